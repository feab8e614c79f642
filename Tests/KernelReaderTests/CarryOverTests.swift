import Foundation
import KernelReader
import Model
import Testing

/// A refresh that carries the previous snapshot over and reads only the containers in doubt must
/// return exactly what reading every container returns. A node of fixture processes changes at
/// random, refresh after refresh (containers come and go, exit, are reaped, are OOM-killed, live
/// outside their cgroup, cannot be read), and two readers follow it: one carrying over, one reading
/// everything. Their snapshots are compared at every refresh.
@Suite("Carried-over kernel snapshots")
struct CarryOverTests {
    typealias Node = KernelSnapshotReuseTests
    typealias Statm = SteadySnapshotTests

    /// A container of the fixture node: its process, its cgroup, and what happened to them.
    struct Container {
        var pid: Int32
        var path: String
        var oomKills = 0
        /// Alive in its cgroup and readable.
        var healthy = true
    }

    /// The fixture node: files written as the kernel would show them.
    struct FixtureNode {
        let tree: ScratchTree
        var targets: [KernelReader.Target] = []
        var containers: [Int32: Container] = [:]
        var systemOOMKills = 7
        var nextPID: Int32 = 5000

        init(tree: ScratchTree) throws {
            self.tree = tree
            try tree.write("proc/stat", "cpu  1 0 1 100 0 0 0 0 0 0\nbtime 1795920000\n")
            try tree.write("cgroup/cgroup.controllers", "cpu memory pids\n")
            try tree.write("proc/\(Node.shim)/stat", Node.statLine(pid: Node.shim, command: "shim", state: "S", ppid: 1, start: 100))
            try tree.write("proc/\(Node.shim)/cgroup", "0::/system.slice/containerd.service\n")
            try writeVMStat()
        }

        func writeVMStat() throws {
            try tree.write("proc/vmstat", "nr_free_pages 1\noom_kill \(systemOOMKills)\n")
        }

        /// A new running container; `elsewhere`: its process lives in another cgroup than the
        /// runtime says (a recycled PID); `unreadable`: its `stat` is malformed.
        mutating func add(elsewhere: Bool = false, unreadable: Bool = false) throws {
            let pid = nextPID
            nextPID += 1
            let path = "/kubepods.slice/pod-\(pid % 7)/ctr-\(pid)"
            let stat = Node.statLine(pid: pid, command: "app", state: "S", ppid: Node.shim, start: Int(pid))
            try tree.write("proc/\(pid)/stat", unreadable ? "\(pid) (app" : stat)
            try tree.write("proc/\(pid)/statm", Statm.alive)
            try tree.write("proc/\(pid)/cgroup", "0::\(elsewhere ? "/other.slice/x" : path)\n")
            try tree.write("cgroup\(path)/cgroup.events", "populated 1\n")
            try tree.write("cgroup\(path)/memory.events", "oom_kill 0\n")
            containers[pid] = Container(pid: pid, path: path, healthy: !elsewhere && !unreadable)
            targets.append(KernelReader.Target(pid: pid, cgroupsPath: path))
        }

        /// The runtime no longer lists it (deleted, or no longer running).
        mutating func remove(_ pid: Int32) {
            targets.removeAll { $0.pid == pid }
            containers[pid] = nil
        }

        mutating func exit(_ pid: Int32) throws {
            containers[pid]?.healthy = false
            guard FileManager.default.fileExists(atPath: tree.root + "/proc/\(pid)") else { return }
            try tree.write("proc/\(pid)/statm", Statm.exited)
            try tree.write("proc/\(pid)/stat", Node.statLine(pid: pid, command: "app", state: "Z", ppid: Node.shim, start: Int(pid)))
        }

        mutating func reap(_ pid: Int32) throws {
            containers[pid]?.healthy = false
            guard FileManager.default.fileExists(atPath: tree.root + "/proc/\(pid)") else { return }
            try FileManager.default.removeItem(atPath: tree.root + "/proc/\(pid)")
            guard let path = containers[pid]?.path else { return }
            try tree.write("cgroup\(path)/cgroup.events", "populated 0\n")
        }

        /// The runtime catches up: containers that are not alive in their cgroup are no longer listed
        /// as running.
        mutating func dropUnhealthy() {
            for container in containers.values where !container.healthy { remove(container.pid) }
        }

        mutating func oomKill(_ pid: Int32) throws {
            guard var container = containers[pid] else { return }
            container.oomKills += 1
            containers[pid] = container
            systemOOMKills += 1
            try writeVMStat()
            try tree.write("cgroup\(container.path)/memory.events", "oom_kill \(container.oomKills)\n")
        }
    }

    @Test(arguments: [1, 2, 3] as [UInt64])
    func carryingOverGivesWhatReadingEverythingGives(seed: UInt64) throws {
        try withScratchTree { tree in
            var random = SplitMix64(seed: seed)  // so a failure replays
            var node = try FixtureNode(tree: tree)
            for index in 0..<24 { try node.add(elsewhere: index % 8 == 0) }
            let reader = try Node.reader(tree)
            let carrying = ProcessHandles(capacity: 64)
            let reading = ProcessHandles(capacity: 64, carriesOver: false)
            var carried: KernelSnapshot?
            var read: KernelSnapshot?
            for round in 0..<300 {
                for _ in 0..<Int.random(in: 0...2, using: &random) {
                    let pids = node.targets.compactMap(\.pid)
                    let pid = pids.randomElement(using: &random) ?? 0
                    switch Int.random(in: 0..<10, using: &random) {
                    case 0: try node.add(elsewhere: Bool.random(using: &random) && Bool.random(using: &random))
                    case 1: node.remove(pid)
                    case 2: try node.exit(pid)
                    case 3: try node.reap(pid)
                    case 4: try node.oomKill(pid)
                    case 5: try node.add(unreadable: Int.random(in: 0..<4, using: &random) == 0)
                    case 6: node.targets.shuffle(using: &random)
                    case 7: node.dropUnhealthy()
                    default: break  // a steady refresh
                    }
                }
                let nextCarried = reader.snapshot(targets: node.targets, previous: carried, handles: carrying)
                let nextRead = reader.snapshot(targets: node.targets, previous: read, handles: reading)
                #expect(nextCarried.processes == nextRead.processes, "round \(round): processes")
                #expect(nextCarried.queriedPIDs == nextRead.queriedPIDs, "round \(round): queried PIDs")
                #expect(nextCarried.cgroups == nextRead.cgroups, "round \(round): cgroups")
                #expect(nextCarried.readErrors == nextRead.readErrors, "round \(round): read errors")
                #expect(nextCarried == nextRead, "round \(round)")
                #expect(carrying.count == reading.count, "round \(round): descriptors kept")
                guard nextCarried == nextRead else { return }
                carried = nextCarried
                read = nextRead
            }
            #expect(reading.carriedSnapshots == 0 && reading.steadySnapshots == 0)
            #expect(carrying.carriedSnapshots > 100, "most refreshes carried the previous snapshot over")
            #expect(carrying.steadySnapshots > 0)
        }
    }
}
