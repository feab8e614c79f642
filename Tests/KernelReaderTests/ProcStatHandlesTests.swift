import Foundation
import KernelReader
import Model
import Testing

/// `stat` files kept open between refreshes, against the real procfs: the state is still read
/// afresh each time, an exit is seen, and descriptors are closed when their process is gone or no
/// longer asked about.
@Suite("ProcStatHandles on the real procfs", .serialized)
struct ProcStatHandlesTests {
    let reader: KernelReader

    init() throws {
        reader = try KernelReader()
    }

    /// Descriptors of this process open on `/proc/<pid>/stat` (other tests may open and close
    /// descriptors meanwhile: only these are counted).
    static func openStatFiles(of pid: Int32) -> Int {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd")) ?? []
        return names.count { name in
            (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/fd/" + name)) == "/proc/\(pid)/stat"
        }
    }

    @Test func aKeptFileShowsEachStateChangeAndTheExit() throws {
        let child = try ChildProcess(["/bin/sleep", "30"])
        defer { child.kill() }
        let handles = ProcStatHandles(capacity: 8)
        let targets = [KernelReader.Target(pid: child.pid, cgroupsPath: nil)]

        let first = reader.snapshot(targets: targets, previous: nil, handles: handles)
        #expect(first.processes[child.pid]?.command == "sleep")
        #expect(handles.count == 1)
        #expect(Self.openStatFiles(of: child.pid) == 1, "one descriptor kept")

        #expect(kill(child.pid, SIGSTOP) == 0)
        var stopped = first
        #expect(waitUntil(seconds: 5) {
            stopped = reader.snapshot(targets: targets, previous: stopped, handles: handles)
            return stopped.processes[child.pid]?.state == .stopped
        })
        #expect(stopped.processes[child.pid]?.startTime == first.processes[child.pid]?.startTime)
        #expect(handles.count == 1, "the same descriptor, read again")
        #expect(Self.openStatFiles(of: child.pid) == 1)

        child.kill()
        let gone = reader.snapshot(targets: targets, previous: stopped, handles: handles)
        #expect(gone.queriedPIDs.contains(child.pid))
        #expect(gone.processes[child.pid] == nil)
        #expect(gone.readErrors.isEmpty)
        #expect(handles.count == 0)
        #expect(Self.openStatFiles(of: child.pid) == 0)
    }

    @Test func descriptorsOfProcessesNoLongerAskedAboutAreClosed() throws {
        let children = try (0..<3).map { _ in try ChildProcess(["/bin/sleep", "30"]) }
        defer { children.forEach { $0.kill() } }
        let handles = ProcStatHandles(capacity: 8)
        let all = children.map { KernelReader.Target(pid: $0.pid, cgroupsPath: nil) }
        let first = reader.snapshot(targets: all, previous: nil, handles: handles)
        #expect(handles.count == 3)
        let second = reader.snapshot(targets: [all[1]], previous: first, handles: handles)
        #expect(second.processes.keys.contains(children[1].pid))
        #expect(handles.count == 1)
        #expect(children.map { Self.openStatFiles(of: $0.pid) } == [0, 1, 0])
    }

    @Test func beyondCapacityProcessesAreStillReadEveryTime() throws {
        let children = try (0..<3).map { _ in try ChildProcess(["/bin/sleep", "30"]) }
        defer { children.forEach { $0.kill() } }
        let handles = ProcStatHandles(capacity: 1)
        let targets = children.map { KernelReader.Target(pid: $0.pid, cgroupsPath: nil) }
        var snapshot = reader.snapshot(targets: targets, previous: nil, handles: handles)
        #expect(handles.count == 1)
        for child in children { #expect(kill(child.pid, SIGSTOP) == 0) }
        #expect(waitUntil(seconds: 5) {
            snapshot = reader.snapshot(targets: targets, previous: snapshot, handles: handles)
            return children.allSatisfy { snapshot.processes[$0.pid]?.state == .stopped }
        })
        #expect(handles.count == 1)
    }

    @Test func theDefaultCapacityLeavesRoomUnderTheOpenFileLimit() throws {
        var limit = rlimit()
        #expect(getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0)
        let capacity = ProcStatHandles().capacity
        #expect(capacity >= 0)
        #expect(capacity <= max(0, Int(min(limit.rlim_cur, 1 << 20)) - 256))
    }
}
