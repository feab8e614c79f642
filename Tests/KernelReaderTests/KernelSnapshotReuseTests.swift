import Foundation
import KernelReader
import Model
import Testing

/// What a refresh reads again, given the previous refresh's snapshot: `stat` of every process always;
/// a cgroup's OOM counter only when `/proc/vmstat` says an OOM kill happened; a cgroup's presence and
/// a process's parent only when the process cannot answer for them. Each test changes a file behind
/// the reader's back and checks whether the next snapshot saw it.
@Suite("KernelReader snapshots reuse what cannot have changed")
struct KernelSnapshotReuseTests {
    static let path = "/kubepods.slice/pod-a/ctr-1"
    static let pid: Int32 = 4321
    static let shim: Int32 = 4300

    /// A cgroup v2 node with one container process (`pid`, child of the shim) in `path`.
    static func node(_ tree: ScratchTree, oomKills: Int = 0, systemOOMKills: Int = 7, state: String = "S") throws {
        try tree.write("proc/stat", "cpu  1 0 1 100 0 0 0 0 0 0\nbtime 1795920000\n")
        try tree.write("proc/vmstat", "nr_free_pages 1\npgfault 9\noom_kill \(systemOOMKills)\nthp_fault_alloc 0\n")
        try tree.write("proc/\(shim)/stat", statLine(pid: shim, command: "containerd-shim", state: "S", ppid: 1, start: 100))
        try tree.write("proc/\(shim)/cgroup", "0::/system.slice/containerd.service\n")
        try tree.write("proc/\(pid)/stat", statLine(pid: pid, command: "app", state: state, ppid: shim, start: 500))
        try tree.write("proc/\(pid)/cgroup", "0::\(path)\n")
        try tree.write("cgroup/cgroup.controllers", "cpu memory pids\n")
        try tree.write("cgroup\(path)/cgroup.events", "populated 1\nfrozen 0\n")
        try tree.write("cgroup\(path)/memory.events", "low 0\nhigh 0\nmax 0\noom 0\noom_kill \(oomKills)\n")
    }

    static func statLine(pid: Int32, command: String, state: String, ppid: Int32, start: Int) -> String {
        // Fields 1-22 as the kernel writes them; starttime is field 22.
        "\(pid) (\(command)) \(state) \(ppid) \(pid) \(pid) 0 -1 4194560 100 0 0 0 1 1 0 0 20 0 1 0 \(start) 1000 100 "
            + "18446744073709551615 1 1 0 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 0 0 0 0 0 0 0 0\n"
    }

    static func reader(_ tree: ScratchTree) throws -> KernelReader {
        try KernelReader(procRoot: tree.root + "/proc", cgroupRoot: tree.root + "/cgroup")
    }

    static let targets = [KernelReader.Target(pid: pid, cgroupsPath: path)]

    @Test func oomCounterIsReadAgainOnlyAfterTheSystemCounterMoved() throws {
        try withScratchTree { tree in
            try Self.node(tree, oomKills: 0, systemOOMKills: 7)
            let reader = try Self.reader(tree)
            let first = reader.snapshot(targets: Self.targets, previous: nil)
            #expect(first.systemOOMKills == 7)
            #expect(first.systemOOMKillsSettled == false, "no previous refresh to compare with")
            #expect(first.cgroups[Self.path] == CgroupInfo(path: Self.path, exists: true, populated: true, oomKills: 0))

            // Not settled yet: the next refresh still reads the counter.
            try Self.node(tree, oomKills: 2, systemOOMKills: 7)
            let second = reader.snapshot(targets: Self.targets, previous: first)
            #expect(second.cgroups[Self.path]?.oomKills == 2)
            #expect(second.systemOOMKillsSettled)

            // Settled and unchanged: the cgroup's counter is kept, not read (the file says 3).
            try Self.node(tree, oomKills: 3, systemOOMKills: 7)
            let third = reader.snapshot(targets: Self.targets, previous: second)
            #expect(third.cgroups[Self.path]?.oomKills == 2)

            // The system counter moved: read now, and once more in the refresh after.
            try Self.node(tree, oomKills: 4, systemOOMKills: 8)
            let fourth = reader.snapshot(targets: Self.targets, previous: third)
            #expect(fourth.cgroups[Self.path]?.oomKills == 4)
            #expect(fourth.systemOOMKillsSettled == false)
            try Self.node(tree, oomKills: 5, systemOOMKills: 8)
            let fifth = reader.snapshot(targets: Self.targets, previous: fourth)
            #expect(fifth.cgroups[Self.path]?.oomKills == 5, "the kernel raises the system counter first: read once more")
            try Self.node(tree, oomKills: 6, systemOOMKills: 8)
            #expect(reader.snapshot(targets: Self.targets, previous: fifth).cgroups[Self.path]?.oomKills == 5)
        }
    }

    @Test func withoutVmstatEveryRefreshReadsTheCounter() throws {
        try withScratchTree { tree in
            try Self.node(tree, oomKills: 0)
            try FileManager.default.removeItem(atPath: tree.root + "/proc/vmstat")
            let reader = try Self.reader(tree)
            var snapshot = reader.snapshot(targets: Self.targets, previous: nil)
            for kills in 1...3 {
                try tree.write("cgroup\(Self.path)/memory.events", "oom_kill \(kills)\n")
                snapshot = reader.snapshot(targets: Self.targets, previous: snapshot)
                #expect(snapshot.systemOOMKills == nil)
                #expect(snapshot.cgroups[Self.path]?.oomKills == UInt64(kills))
            }
        }
    }

    @Test func aLiveMemberAnswersForItsCgroupAndItsParentIsNotRead() throws {
        try withScratchTree { tree in
            try Self.node(tree)
            // Were it read, this cgroup would look empty: the live process in it says otherwise.
            try tree.write("cgroup\(Self.path)/cgroup.events", "populated 0\nfrozen 0\n")
            let snapshot = try Self.reader(tree).snapshot(targets: Self.targets, previous: nil)
            #expect(snapshot.cgroups[Self.path] == CgroupInfo(path: Self.path, exists: true, populated: true, oomKills: 0))
            #expect(snapshot.queriedPIDs == [Self.pid])
            #expect(snapshot.processes[Self.shim] == nil)
        }
    }

    @Test func aZombieLeavesItsCgroupInDoubtAndItsParentIsRead() throws {
        try withScratchTree { tree in
            try Self.node(tree)
            let reader = try Self.reader(tree)
            let live = reader.snapshot(targets: Self.targets, previous: nil)
            try Self.node(tree, state: "Z")
            try tree.write("cgroup\(Self.path)/cgroup.events", "populated 0\nfrozen 0\n")
            let zombie = reader.snapshot(targets: Self.targets, previous: live)
            #expect(zombie.processes[Self.pid]?.state == .zombie)
            #expect(zombie.cgroups[Self.path] == CgroupInfo(path: Self.path, exists: true, populated: false, oomKills: 0))
            #expect(zombie.processes[Self.shim]?.command == "containerd-shim")
        }
    }

    @Test func aReusedPIDIsReadAsANewProcess() throws {
        try withScratchTree { tree in
            try Self.node(tree)
            let reader = try Self.reader(tree)
            let before = reader.snapshot(targets: Self.targets, previous: nil)
            // Another process now has the PID: a later start time, and another cgroup.
            try tree.write("proc/\(Self.pid)/stat", Self.statLine(pid: Self.pid, command: "other", state: "S", ppid: 1, start: 900))
            try tree.write("proc/\(Self.pid)/cgroup", "0::/user.slice\n")
            try tree.write("cgroup\(Self.path)/cgroup.events", "populated 0\nfrozen 0\n")
            let after = reader.snapshot(targets: Self.targets, previous: before)
            #expect(after.processes[Self.pid]?.command == "other")
            #expect(after.processes[Self.pid]?.cgroups == [CgroupMembership(hierarchyID: 0, controllers: [], path: "/user.slice")])
            #expect(after.cgroups[Self.path]?.populated == false, "the PID's new owner does not answer for the cgroup")
        }
    }

    @Test func aKnownProcessKeepsItsCgroupsButItsStateIsReadAgain() throws {
        try withScratchTree { tree in
            try Self.node(tree)
            let reader = try Self.reader(tree)
            let before = reader.snapshot(targets: Self.targets, previous: nil)
            try tree.write("proc/\(Self.pid)/cgroup", "0::/moved\n")
            try tree.write("proc/\(Self.pid)/stat", Self.statLine(pid: Self.pid, command: "app", state: "D", ppid: Self.shim, start: 500))
            let after = reader.snapshot(targets: Self.targets, previous: before)
            #expect(after.processes[Self.pid]?.state == .diskSleep)
            #expect(after.processes[Self.pid]?.cgroups == before.processes[Self.pid]?.cgroups)
        }
    }

    @Test func aVanishedProcessIsGoneAndItsCgroupIsReadInFull() throws {
        try withScratchTree { tree in
            try Self.node(tree)
            let reader = try Self.reader(tree)
            let before = reader.snapshot(targets: Self.targets, previous: nil)
            try FileManager.default.removeItem(atPath: tree.root + "/proc/\(Self.pid)")
            try FileManager.default.removeItem(atPath: tree.root + "/cgroup/kubepods.slice/pod-a/ctr-1")
            let after = reader.snapshot(targets: Self.targets, previous: before)
            #expect(after.queriedPIDs.contains(Self.pid))
            #expect(after.processes[Self.pid] == nil)
            #expect(after.cgroups[Self.path] == CgroupInfo(path: Self.path, exists: false))
        }
    }
}
