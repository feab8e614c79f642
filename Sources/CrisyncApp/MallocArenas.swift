#if canImport(Glibc)
import Glibc
#endif

/// glibc's malloc gives each thread that allocates its own arena (up to 8 per core) and keeps what
/// is freed in it. The exporter's threads (NIO event loops, Swift's cooperative pool,
/// libmicrohttpd's) each got one: measured, that was about 40% of the exporter's anonymous memory
/// at 5,000 containers (`BENCHMARKS.md`). Two arenas keep that small without making every thread
/// wait on one lock.
enum MallocArenas {
    /// `M_ARENA_MAX` of `<malloc.h>`.
    private static let arenaMaxParameter: Int32 = -8

    /// Limits the arenas to `count`, unless `MALLOC_ARENA_MAX` is set (then glibc already applied
    /// the operator's choice). Returns whether the limit was set here.
    @discardableResult
    static func limit(to count: Int32) -> Bool {
        #if canImport(Glibc)
        guard getenv("MALLOC_ARENA_MAX") == nil else { return false }
        // `mallopt` is not in Swift's Glibc module: found at run time, as any C caller would link it.
        guard let symbol = dlsym(nil, "mallopt") else { return false }  // nil: RTLD_DEFAULT
        typealias Mallopt = @convention(c) (Int32, Int32) -> Int32
        return unsafeBitCast(symbol, to: Mallopt.self)(arenaMaxParameter, count) == 1
        #else
        return false
        #endif
    }
}
