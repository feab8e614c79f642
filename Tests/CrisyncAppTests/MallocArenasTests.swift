import Foundation
import Testing

@testable import CrisyncApp

@Suite("malloc arena limit", .serialized)
struct MallocArenasTests {
    /// glibc's `mallopt` is found at run time and takes the limit (it answers 1 on success).
    @Test func theLimitIsSetWhenTheEnvironmentLeavesItOpen() {
        let saved = getenv("MALLOC_ARENA_MAX").map { String(cString: $0) }
        unsetenv("MALLOC_ARENA_MAX")
        defer { if let saved { setenv("MALLOC_ARENA_MAX", saved, 1) } }
        #expect(MallocArenas.limit(to: 2))
    }

    /// An operator's `MALLOC_ARENA_MAX` wins: the binary leaves it alone.
    @Test func anOperatorsChoiceIsKept() {
        setenv("MALLOC_ARENA_MAX", "4", 1)
        defer { unsetenv("MALLOC_ARENA_MAX") }
        #expect(MallocArenas.limit(to: 2) == false)
    }
}
