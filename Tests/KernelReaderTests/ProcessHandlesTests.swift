import Foundation
import KernelReader
import Model
import Testing

/// `stat` files kept open between refreshes, against the real procfs: the state is still read
/// afresh each time, an exit is seen, and descriptors are closed when their process is gone or no
/// longer asked about.
@Suite("ProcessHandles on the real procfs", .serialized)
struct ProcessHandlesTests {
    let reader: KernelReader

    init() throws {
        reader = try KernelReader()
    }

    /// Descriptors of this process open on `/proc/<pid>/statm` (other tests may open and close
    /// descriptors meanwhile: only these are counted).
    static func openStatmFiles(of pid: Int32) -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return names.count { name in
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + name)) == "/proc/\(pid)/statm"
        }
    }

    /// A sleeper just started may still be running (exec, loading) at its first reading; tests
    /// that check a kept reading says "sleeping" start from a settled one.
    func asleep(_ child: ChildProcess) throws -> ChildProcess {
        let settled = try waitUntil(seconds: 5) { try reader.process(pid: child.pid)?.state == .sleeping }
        try #require(settled, "pid \(child.pid) did not fall asleep within 5 s")
        return child
    }

    @Test func aLiveProcessKeepsItsReadingUntilItExitsAndIsReaped() throws {
        // Once killed, the child stays a zombie until its parent is killed too.
        let (parent, pid) = try ChildProcess.parentThatNeverReaps(startingChild: "sleep 60 &", parentSeconds: 60)
        defer { parent.kill() }
        let handles = ProcessHandles(capacity: 8)
        let targets = [KernelReader.Target(pid: pid, cgroupsPath: nil)]

        let first = reader.snapshot(targets: targets, previous: nil, handles: handles)
        #expect(first.processes[pid]?.command == "sleep")
        #expect(handles.count == 1)
        #expect(Self.openStatmFiles(of: pid) == 1, "one descriptor kept")

        // Alive: the kept descriptor says so, and the last reading stands (stat is not read again).
        #expect(kill(pid, SIGSTOP) == 0)
        let alive = reader.snapshot(targets: targets, previous: first, handles: handles)
        #expect(alive.processes[pid] == first.processes[pid])
        #expect(handles.count == 1)

        // Exited: no memory any more, so it is read in full at once, a zombie.
        #expect(kill(pid, SIGKILL) == 0)
        var zombie = alive
        #expect(waitUntil(seconds: 5) {
            zombie = reader.snapshot(targets: targets, previous: zombie, handles: handles)
            return zombie.processes[pid]?.state == .zombie
        })
        #expect(zombie.processes[pid]?.exitStatus == 9)
        #expect(zombie.processes[pid]?.startTime == first.processes[pid]?.startTime)
        #expect(zombie.processes[parent.pid]?.command == "sleep", "a zombie's parent is read")
        #expect(handles.count == 0, "no descriptor is kept for a zombie")

        // Reaped (its parent killed): gone.
        parent.kill()
        var gone = zombie
        #expect(waitUntil(seconds: 5) {
            gone = reader.snapshot(targets: targets, previous: gone, handles: handles)
            return gone.processes[pid] == nil
        })
        #expect(gone.queriedPIDs.contains(pid))
        #expect(gone.readErrors.isEmpty)
    }

    @Test func aKeptDescriptorSeesTheReapingAsGone() throws {
        let child = try ChildProcess(["/bin/sleep", "30"])
        let handles = ProcessHandles(capacity: 8)
        let targets = [KernelReader.Target(pid: child.pid, cgroupsPath: nil)]
        let first = reader.snapshot(targets: targets, previous: nil, handles: handles)
        #expect(handles.count == 1)
        child.kill()
        let gone = reader.snapshot(targets: targets, previous: first, handles: handles)
        #expect(gone.queriedPIDs.contains(child.pid))
        #expect(gone.processes[child.pid] == nil)
        #expect(handles.count == 0)
        #expect(Self.openStatmFiles(of: child.pid) == 0)
    }

    @Test func descriptorsOfProcessesNoLongerAskedAboutAreClosed() throws {
        let children = try (0..<3).map { _ in try ChildProcess(["/bin/sleep", "30"]) }
        defer { children.forEach { $0.kill() } }
        let handles = ProcessHandles(capacity: 8)
        let all = children.map { KernelReader.Target(pid: $0.pid, cgroupsPath: nil) }
        let first = reader.snapshot(targets: all, previous: nil, handles: handles)
        #expect(handles.count == 3)
        let second = reader.snapshot(targets: [all[1]], previous: first, handles: handles)
        #expect(second.processes.keys.contains(children[1].pid))
        #expect(handles.count == 1)
        #expect(children.map { Self.openStatmFiles(of: $0.pid) } == [0, 1, 0])
    }

    @Test func beyondCapacityProcessesAreReadInFullEveryTime() throws {
        let children = try (0..<3).map { _ in try asleep(ChildProcess(["/bin/sleep", "30"])) }
        defer { children.forEach { $0.kill() } }
        let handles = ProcessHandles(capacity: 1)
        let targets = children.map { KernelReader.Target(pid: $0.pid, cgroupsPath: nil) }
        var snapshot = reader.snapshot(targets: targets, previous: nil, handles: handles)
        #expect(handles.count == 1)
        let kept = try #require(children.first { Self.openStatmFiles(of: $0.pid) == 1 })
        for child in children { #expect(kill(child.pid, SIGSTOP) == 0) }
        #expect(waitUntil(seconds: 5) {
            snapshot = reader.snapshot(targets: targets, previous: snapshot, handles: handles)
            return children.filter { $0.pid != kept.pid }.allSatisfy { snapshot.processes[$0.pid]?.state == .stopped }
        })
        #expect(snapshot.processes[kept.pid]?.state == .sleeping, "the kept one's last reading stands")
        #expect(handles.count == 1)
    }

    /// `KernelSnapshots` hands each read the one before it with the open files: a live process keeps
    /// its reading from one `next` to the following, and its reaping is seen.
    @Test func successiveSnapshotsCarryThePreviousReadingAndTheHandles() throws {
        let child = try asleep(ChildProcess(["/bin/sleep", "30"]))
        defer { child.kill() }
        let runtime = RuntimeSnapshot(containers: [
            RuntimeContainer(
                id: "c1", sandboxID: "s1", name: "app", state: .running,
                status: RuntimeContainerStatus(state: .running, pid: child.pid))
        ])
        let snapshots = KernelSnapshots(reader: reader, handles: ProcessHandles(capacity: 8))
        let first = snapshots.next(ofRunningContainersIn: runtime)
        #expect(first.processes[child.pid]?.state == .sleeping)
        #expect(Self.openStatmFiles(of: child.pid) == 1)
        #expect(kill(child.pid, SIGSTOP) == 0)
        #expect(snapshots.next(ofRunningContainersIn: runtime).processes[child.pid] == first.processes[child.pid])
        child.kill()
        let gone = snapshots.next(ofRunningContainersIn: runtime)
        #expect(gone.queriedPIDs.contains(child.pid) && gone.processes[child.pid] == nil)
        #expect(Self.openStatmFiles(of: child.pid) == 0)
    }

    @Test func theDefaultCapacityLeavesRoomUnderTheOpenFileLimit() throws {
        var limit = rlimit()
        #expect(getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0)
        let capacity = ProcessHandles().capacity
        #expect(capacity >= 0)
        #expect(capacity <= max(0, Int(min(limit.rlim_cur, 1 << 20)) - 256))
    }
}
