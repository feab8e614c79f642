import Foundation
import KernelReader
import Model
import Testing

/// A steady node's refresh takes the previous snapshot as it is: the same targets, every process
/// alive in its cgroup with a descriptor kept, no OOM kill anywhere. These tests check that every
/// change still breaks through: an exit, an OOM kill, a new container.
@Suite("Steady snapshots", .serialized)
struct SteadySnapshotTests {
    typealias Node = KernelSnapshotReuseTests
    static let alive = "1096 206 182 5 0 102 0\n"
    static let exited = "0 0 0 0 0 0 0\n"

    /// Three refreshes on a `statm` fixture node: the first reads, the second settles the OOM
    /// counters, the third is steady.
    func steadyNode(_ tree: ScratchTree, handles: ProcessHandles) throws -> (KernelReader, KernelSnapshot) {
        try Node.node(tree, oomKills: 1, systemOOMKills: 7)
        try tree.write("proc/\(Node.pid)/statm", Self.alive)
        let reader = try Node.reader(tree)
        let first = reader.snapshot(targets: Node.targets, previous: nil, handles: handles)
        let second = reader.snapshot(targets: Node.targets, previous: first, handles: handles)
        #expect(handles.steadySnapshots == 0, "the counters had not settled yet")
        let third = reader.snapshot(targets: Node.targets, previous: second, handles: handles)
        #expect(handles.steadySnapshots == 1)
        #expect(third == second, "nothing moved: the previous snapshot, settled")
        #expect(third.systemOOMKillsSettled)
        #expect(third.processes[Node.pid]?.state == .sleeping)
        #expect(handles.count == 1)
        return (reader, third)
    }

    @Test func anExitBreaksThrough() throws {
        try withScratchTree { tree in
            let handles = ProcessHandles(capacity: 8)
            let (reader, steady) = try steadyNode(tree, handles: handles)
            try tree.write("proc/\(Node.pid)/statm", Self.exited)
            try tree.write("proc/\(Node.pid)/stat", Node.statLine(pid: Node.pid, command: "app", state: "Z", ppid: Node.shim, start: 500))
            let next = reader.snapshot(targets: Node.targets, previous: steady, handles: handles)
            #expect(next.processes[Node.pid]?.state == .zombie)
            #expect(next.processes[Node.shim] != nil, "a zombie's parent is read")
            #expect(handles.count == 0)
            #expect(handles.steadySnapshots == 1, "read, not taken")
            _ = reader.snapshot(targets: Node.targets, previous: next, handles: handles)
            #expect(handles.steadySnapshots == 1, "a zombie is never steady")
        }
    }

    @Test func anOOMKillBreaksThrough() throws {
        try withScratchTree { tree in
            let handles = ProcessHandles(capacity: 8)
            let (reader, steady) = try steadyNode(tree, handles: handles)
            try Node.node(tree, oomKills: 2, systemOOMKills: 8)
            let next = reader.snapshot(targets: Node.targets, previous: steady, handles: handles)
            #expect(next.cgroups[Node.path]?.oomKills == 2)
            #expect(next.systemOOMKills == 8 && next.systemOOMKillsSettled == false)
        }
    }

    @Test func aNewContainerBreaksThrough() throws {
        try withScratchTree { tree in
            let handles = ProcessHandles(capacity: 8)
            let (reader, steady) = try steadyNode(tree, handles: handles)
            let other: Int32 = 4400
            let otherPath = "/kubepods.slice/pod-b/ctr-2"
            try tree.write("proc/\(other)/stat", Node.statLine(pid: other, command: "web", state: "S", ppid: Node.shim, start: 900))
            try tree.write("proc/\(other)/statm", Self.alive)
            try tree.write("proc/\(other)/cgroup", "0::\(otherPath)\n")
            try tree.write("cgroup\(otherPath)/memory.events", "oom_kill 0\n")
            let targets = Node.targets + [KernelReader.Target(pid: other, cgroupsPath: otherPath)]
            let next = reader.snapshot(targets: targets, previous: steady, handles: handles)
            #expect(next.processes[other]?.command == "web")
            #expect(next.cgroups[otherPath]?.populated == true)
            #expect(next.processes[Node.pid] == steady.processes[Node.pid])
            #expect(handles.count == 2)
            #expect(handles.steadySnapshots == 1)
            // And steady again with both, listed in either order (the runtime's order changes).
            #expect(reader.snapshot(targets: targets, previous: next, handles: handles) == next)
            #expect(reader.snapshot(targets: targets.reversed(), previous: next, handles: handles) == next)
            #expect(handles.steadySnapshots == 3)
        }
    }

    /// On the real procfs, with process descriptors: a live child in its own cgroup is steady, and
    /// its death is seen at the next refresh (the exit watch reports it).
    @Test func aRealExitBreaksThroughProcessDescriptors() throws {
        let child = try ChildProcess(["/bin/sleep", "30"])
        defer { child.kill() }
        let reader = try KernelReader()
        let process = try child.asleep(reader: reader)
        #expect(process.command == "sleep")
        let path = try #require(process.cgroups.first?.path)
        let targets = [KernelReader.Target(pid: child.pid, cgroupsPath: path)]
        let handles = ProcessHandles(capacity: 8)
        var snapshot = reader.snapshot(targets: targets, previous: nil, handles: handles)
        #expect(snapshot.processes[child.pid]?.command == "sleep")
        #expect(ProcessHandlesTests.openHandles(of: child.pid, .processDescriptor) == 1)
        // Steady once the machine-wide OOM counter has settled (two equal readings; an OOM kill
        // anywhere on this shared machine moves it, so a few more tries are allowed).
        for _ in 0..<20 where handles.steadySnapshots == 0 {
            snapshot = reader.snapshot(targets: targets, previous: snapshot, handles: handles)
        }
        #expect(handles.steadySnapshots > 0)
        let steady = snapshot
        child.kill()
        let after = reader.snapshot(targets: targets, previous: steady, handles: handles)
        #expect(after.queriedPIDs.contains(child.pid))
        #expect(after.processes[child.pid] == nil, "reaped: gone")
        #expect(handles.count == 0)
    }
}
