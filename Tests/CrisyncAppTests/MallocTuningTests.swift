import Foundation
import MallocTuning
import Testing

@Suite("glibc malloc settings", .serialized)
struct MallocTuningTests {
    /// glibc's `mallopt` is found at run time and takes the limit (it answers 1 on success).
    @Test func theArenaLimitIsSetWhenTheEnvironmentLeavesItOpen() {
        let saved = getenv("MALLOC_ARENA_MAX").map { String(cString: $0) }
        unsetenv("MALLOC_ARENA_MAX")
        defer { if let saved { setenv("MALLOC_ARENA_MAX", saved, 1) } }
        #expect(MallocTuning.limitArenas(to: 2))
    }

    /// An operator's `MALLOC_ARENA_MAX` wins: the binary leaves it alone.
    @Test func anOperatorsArenaChoiceIsKept() {
        setenv("MALLOC_ARENA_MAX", "4", 1)
        defer { unsetenv("MALLOC_ARENA_MAX") }
        #expect(MallocTuning.limitArenas(to: 2) == false)
    }

    @Test func anOperatorsThresholdIsKept() {
        setenv("MALLOC_MMAP_THRESHOLD_", "65536", 1)
        defer { unsetenv("MALLOC_MMAP_THRESHOLD_") }
        #expect(MallocTuning.mapLargeBlocks(from: MallocTuning.defaultMapThreshold) == false)
    }

    /// A large block is mapped on its own every time, not only the first: glibc would otherwise raise
    /// its threshold past the block once it is freed, and serve the next one from an arena that then
    /// keeps the memory. A mapped block's usable size fills its pages but for the chunk header
    /// (16 bytes); an arena's is the request rounded to 16, plus 8.
    @Test func largeBlocksAreMappedEveryTime() throws {
        let saved = getenv("MALLOC_MMAP_THRESHOLD_").map { String(cString: $0) }
        unsetenv("MALLOC_MMAP_THRESHOLD_")
        defer { if let saved { setenv("MALLOC_MMAP_THRESHOLD_", saved, 1) } }
        #expect(MallocTuning.mapLargeBlocks(from: MallocTuning.defaultMapThreshold))
        let usableSize = try #require(Self.mallocUsableSize)
        let size = 409_600  // above the threshold, and above glibc's own default
        for round in 0..<3 {
            let block = try #require(malloc(size))
            let usable = usableSize(block)
            free(block)
            #expect(usable % 4096 == 4096 - 16, "round \(round): usable size \(usable) is not a mapped block's")
        }
    }

    /// `malloc_usable_size`, not in Swift's Glibc module either.
    static let mallocUsableSize: (@convention(c) (UnsafeMutableRawPointer?) -> Int)? = {
        guard let symbol = dlsym(nil, "malloc_usable_size") else { return nil }
        return unsafeBitCast(symbol, to: (@convention(c) (UnsafeMutableRawPointer?) -> Int).self)
    }()
}
