import Foundation
import KernelReader
import Model
import Testing

/// Descriptors kept open between refreshes, against the real procfs, of both kinds (process
/// descriptors, the default on a procfs of our own PID namespace, and `statm`): an exit is seen, and
/// descriptors are closed when their process is gone or no longer asked about.
@Suite("ProcessHandles on the real procfs", .serialized)
struct ProcessHandlesTests {
    let reader: KernelReader

    init() throws {
        reader = try KernelReader()
    }

    /// Descriptors this process keeps for `pid`: process descriptors (fdinfo names their PID) or
    /// its `/proc/<pid>/statm` (other tests may open and close descriptors meanwhile: only these are
    /// counted).
    static func openHandles(of pid: Int32, _ kind: Kind) -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return names.count { name in
            let target = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + name)
            switch kind {
            case .statm:
                return target == "/proc/\(pid)/statm"
            case .processDescriptor:
                guard target == "anon_inode:[pidfd]",
                    let info = try? String(contentsOfFile: "/proc/self/fdinfo/" + name, encoding: .utf8)
                else { return false }
                return info.split(separator: "\n").contains("Pid:\t\(pid)")
            }
        }
    }

    enum Kind: CaseIterable {
        case processDescriptor, statm
    }

    func makeHandles(_ kind: Kind, capacity: Int) -> ProcessHandles {
        ProcessHandles(capacity: capacity, allowsProcessDescriptors: kind == .processDescriptor)
    }

    /// The child, once asleep (see ``ChildProcess/asleep(reader:)``).
    func asleep(_ child: ChildProcess) throws -> ChildProcess {
        try child.asleep(reader: reader)
        return child
    }

    @Test(arguments: Kind.allCases) func aLiveProcessKeepsItsReadingUntilItExitsAndIsReaped(kind: Kind) throws {
        // Once killed, the child stays a zombie until its parent is killed too.
        let (parent, pid) = try ChildProcess.parentThatNeverReaps(startingChild: "sleep 60 &", parentSeconds: 60)
        defer { parent.kill() }
        let handles = makeHandles(kind, capacity: 8)
        let targets = [KernelReader.Target(pid: pid, cgroupsPath: nil)]

        let first = reader.snapshot(targets: targets, previous: nil, handles: handles)
        #expect(first.processes[pid]?.command == "sleep")
        #expect(handles.count == 1)
        #expect(Self.openHandles(of: pid, kind) == 1, "one descriptor kept")

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

    @Test(arguments: Kind.allCases) func aKeptDescriptorSeesTheReapingAsGone(kind: Kind) throws {
        let child = try ChildProcess(["/bin/sleep", "30"])
        let handles = makeHandles(kind, capacity: 8)
        let targets = [KernelReader.Target(pid: child.pid, cgroupsPath: nil)]
        let first = reader.snapshot(targets: targets, previous: nil, handles: handles)
        #expect(handles.count == 1)
        child.kill()
        let gone = reader.snapshot(targets: targets, previous: first, handles: handles)
        #expect(gone.queriedPIDs.contains(child.pid))
        #expect(gone.processes[child.pid] == nil)
        #expect(handles.count == 0)
        #expect(Self.openHandles(of: child.pid, kind) == 0)
    }

    @Test(arguments: Kind.allCases) func descriptorsOfProcessesNoLongerAskedAboutAreClosed(kind: Kind) throws {
        let children = try (0..<3).map { _ in try ChildProcess(["/bin/sleep", "30"]) }
        defer { children.forEach { $0.kill() } }
        let handles = makeHandles(kind, capacity: 8)
        let all = children.map { KernelReader.Target(pid: $0.pid, cgroupsPath: nil) }
        let first = reader.snapshot(targets: all, previous: nil, handles: handles)
        #expect(handles.count == 3)
        let second = reader.snapshot(targets: [all[1]], previous: first, handles: handles)
        #expect(second.processes.keys.contains(children[1].pid))
        #expect(handles.count == 1)
        #expect(children.map { Self.openHandles(of: $0.pid, kind) } == [0, 1, 0])
    }

    @Test(arguments: Kind.allCases) func beyondCapacityProcessesAreReadInFullEveryTime(kind: Kind) throws {
        let children = try (0..<3).map { _ in try asleep(ChildProcess(["/bin/sleep", "30"])) }
        defer { children.forEach { $0.kill() } }
        let handles = makeHandles(kind, capacity: 1)
        let targets = children.map { KernelReader.Target(pid: $0.pid, cgroupsPath: nil) }
        var snapshot = reader.snapshot(targets: targets, previous: nil, handles: handles)
        #expect(handles.count == 1)
        let kept = try #require(children.first { Self.openHandles(of: $0.pid, kind) == 1 })
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
    @Test(arguments: Kind.allCases) func successiveSnapshotsCarryThePreviousReadingAndTheHandles(kind: Kind) throws {
        let child = try asleep(ChildProcess(["/bin/sleep", "30"]))
        defer { child.kill() }
        let runtime = RuntimeSnapshot(containers: [
            RuntimeContainer(
                id: "c1", sandboxID: "s1", name: "app", state: .running,
                status: RuntimeContainerStatus(state: .running, pid: child.pid))
        ])
        let snapshots = KernelSnapshots(reader: reader, handles: makeHandles(kind, capacity: 8))
        let first = snapshots.next(ofRunningContainersIn: runtime)
        #expect(first.processes[child.pid]?.state == .sleeping)
        #expect(Self.openHandles(of: child.pid, kind) == 1)
        #expect(kill(child.pid, SIGSTOP) == 0)
        #expect(snapshots.next(ofRunningContainersIn: runtime).processes[child.pid] == first.processes[child.pid])
        child.kill()
        let gone = snapshots.next(ofRunningContainersIn: runtime)
        #expect(gone.queriedPIDs.contains(child.pid) && gone.processes[child.pid] == nil)
        #expect(Self.openHandles(of: child.pid, kind) == 0)
    }

    @Test func theRealProcfsIsOursAndAFixtureTreeIsNot() throws {
        #expect(reader.procfsIsOwn)
        #expect(try FixtureTrees.hybridReader().procfsIsOwn == false)
    }

    /// A procfs whose `self` names another process (a host's procfs seen from a container's PID
    /// namespace): its PIDs are not ours to open, so `statm` is kept even where process descriptors
    /// are allowed. The tree copies a real child's files under its real PID, so a process descriptor
    /// opened by mistake would be found.
    @Test func aProcfsOfAnotherNamespaceKeepsStatm() throws {
        let child = try asleep(ChildProcess(["/bin/sleep", "30"]))
        defer { child.kill() }
        try withScratchTree { tree in
            try tree.write("stat", try Data(contentsOf: URL(fileURLWithPath: "/proc/stat")))
            try FileManager.default.createSymbolicLink(atPath: tree.root + "/self", withDestinationPath: "1")
            for file in ["stat", "statm", "cgroup"] {
                try tree.write("\(child.pid)/\(file)", try Data(contentsOf: URL(fileURLWithPath: "/proc/\(child.pid)/\(file)")))
            }
            let foreign = try KernelReader(procRoot: tree.root, cgroupRoot: reader.cgroupRoot)
            #expect(foreign.procfsIsOwn == false)
            let handles = ProcessHandles(capacity: 8, allowsProcessDescriptors: true)
            let targets = [KernelReader.Target(pid: child.pid, cgroupsPath: nil)]
            let first = foreign.snapshot(targets: targets, previous: nil, handles: handles)
            #expect(first.processes[child.pid]?.command == "sleep")
            #expect(handles.count == 1)
            #expect(Self.openHandles(of: child.pid, .processDescriptor) == 0)
            // The tree's process "exits": its statm shows no memory, and it is read in full.
            try tree.write("\(child.pid)/statm", "0 0 0 0 0 0 0\n")
            try tree.write("\(child.pid)/stat", "\(child.pid) (sleep) Z 1 0 0 0 -1 4194572 0 0 0 0 0 0 0 0 20 0 1 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 0 0 0 0 0 0 0 9\n")
            let second = foreign.snapshot(targets: targets, previous: first, handles: handles)
            #expect(second.processes[child.pid]?.state == .zombie)
            #expect(handles.count == 0)
        }
    }

    /// The default kind on the real procfs is the process descriptor, and a steady refresh asks
    /// nothing of the process's files: `known` comes back even though a read would now differ.
    @Test func processDescriptorsAreTheDefaultOnTheRealProcfs() throws {
        let child = try asleep(ChildProcess(["/bin/sleep", "30"]))
        defer { child.kill() }
        let handles = ProcessHandles(capacity: 8)
        let targets = [KernelReader.Target(pid: child.pid, cgroupsPath: nil)]
        let first = reader.snapshot(targets: targets, previous: nil, handles: handles)
        #expect(Self.openHandles(of: child.pid, .processDescriptor) == 1)
        #expect(Self.openHandles(of: child.pid, .statm) == 0)
        #expect(kill(child.pid, SIGSTOP) == 0)
        #expect(waitUntil(seconds: 5) { (try? reader.process(pid: child.pid))??.state == .stopped })
        #expect(reader.snapshot(targets: targets, previous: first, handles: handles).processes[child.pid]?.state == .sleeping)
    }

    @Test func theDefaultCapacityLeavesRoomUnderTheOpenFileLimit() throws {
        var limit = rlimit()
        #expect(getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0)
        let capacity = ProcessHandles().capacity
        #expect(capacity >= 0)
        #expect(capacity == max(0, Int(min(limit.rlim_cur, 1 << 20)) - ProcessHandles.reservedDescriptors))
    }
}
