import KernelReader
import Testing

/// `memory.events` is only looked for in a cgroup2 tree that has the memory controller: on hybrid
/// hosts the unified tree never has it, and the failed open cost a path walk per container per refresh.
@Suite("CgroupLayout memory controller")
struct CgroupLayoutMemoryControllerTests {
    @Test func hybridUnifiedTreeHasNoMemoryController() throws {
        #expect(try FixtureTrees.hybridReader().cgroupLayout.unifiedHasMemoryController == false)
    }

    @Test func pureV2TreeHasIt() throws {
        #expect(try FixtureTrees.v2Reader().cgroupLayout.unifiedHasMemoryController)
    }

    @Test func pureV1HasNoUnifiedTree() throws {
        let v1 = try KernelReader(procRoot: FixtureTrees.v1Proc, cgroupRoot: FixtureTrees.v1Cgroup)
        #expect(v1.cgroupLayout.unifiedHasMemoryController == false)
    }
    // OOM kills from memory.events (v2) and memory.oom_control (hybrid, v1): KernelReaderFixtureTests.
}
