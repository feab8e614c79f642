#if canImport(Glibc)
import Glibc
#endif

/// How glibc's malloc is set up for a long-running refresh loop. Both settings are what an operator
/// could set with `MALLOC_ARENA_MAX` and `MALLOC_MMAP_THRESHOLD_`; an operator's own choice wins.
public enum MallocTuning {
    /// `M_MMAP_THRESHOLD` and `M_ARENA_MAX` of `<malloc.h>`.
    private static let mmapThresholdParameter: Int32 = -3
    private static let arenaMaxParameter: Int32 = -8

    /// glibc gives each thread that allocates its own arena (up to 8 per core) and keeps what is
    /// freed in it. The exporter's threads (NIO event loops, Swift's cooperative pool,
    /// libmicrohttpd's) each got one: measured, that was about 40% of the exporter's anonymous memory
    /// at 5,000 containers (`BENCHMARKS.md`). Two arenas keep that small without making every thread
    /// wait on one lock.
    ///
    /// Limits the arenas to `count`, unless `MALLOC_ARENA_MAX` is set (then glibc already applied
    /// the operator's choice). Returns whether the limit was set here.
    @discardableResult
    public static func limitArenas(to count: Int32) -> Bool {
        guard getenv("MALLOC_ARENA_MAX") == nil else { return false }
        return mallopt(arenaMaxParameter, count)
    }

    /// Every refresh reads a few large buffers (the kubelet's `/pods` body, megabytes on a large
    /// node; the CRI listings; the arrays and maps of every container) and lets them go. glibc maps
    /// a block that large on its own, but once one is freed it raises that threshold to the block's
    /// size, so from the next refresh on they come from an arena, which keeps the peak for good: at
    /// 5,000 containers the exporter's anonymous memory was 44 or 59 MiB depending on when it was
    /// read, and 30 MiB with blocks from `bytes` up always mapped and unmapped. It costs the page
    /// faults of mapping them again: about 0.6 ms per refresh at 1,000 containers (BENCHMARKS.md).
    ///
    /// Fixes the threshold at `bytes`, unless `MALLOC_MMAP_THRESHOLD_` is set. Returns whether it
    /// was set here.
    @discardableResult
    public static func mapLargeBlocks(from bytes: Int32) -> Bool {
        guard getenv("MALLOC_MMAP_THRESHOLD_") == nil else { return false }
        return mallopt(mmapThresholdParameter, bytes)
    }

    /// Both settings, as the exporter and its benchmarks run.
    public static func applyDefaults() {
        limitArenas(to: 2)
        mapLargeBlocks(from: defaultMapThreshold)
    }

    /// glibc's own starting threshold, kept from moving.
    public static let defaultMapThreshold: Int32 = 128 << 10

    private static func mallopt(_ parameter: Int32, _ value: Int32) -> Bool {
        #if canImport(Glibc)
        // `mallopt` is not in Swift's Glibc module: found at run time, as any C caller would link it.
        guard let symbol = dlsym(nil, "mallopt") else { return false }  // nil: RTLD_DEFAULT
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        return unsafeBitCast(symbol, to: Mallopt.self)(parameter, value) == 1
        #else
        return false
        #endif
    }
}
