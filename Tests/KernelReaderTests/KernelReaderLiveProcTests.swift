import Foundation
import KernelReader
import Model
import Testing

/// The reader against this machine's real /proc: our own process, a fresh child, a real zombie under
/// a stopped parent, and a PID that has gone.
@Suite("KernelReader on the real /proc")
struct KernelReaderLiveProcTests {
    let reader: KernelReader

    init() throws {
        reader = try KernelReader()
    }

    @Test func bootTimeMatchesTheKernel() throws {
        let procStat = try String(contentsOfFile: "/proc/stat", encoding: .utf8)
        let line = try #require(procStat.split(separator: "\n").first { $0.hasPrefix("btime ") })
        #expect(reader.bootTime == Int64(line.dropFirst("btime ".count)))
        #expect(reader.bootTime < Int64(Date().timeIntervalSince1970))
    }

    @Test func ourOwnProcess() throws {
        let process = try #require(try reader.process(pid: getpid()))
        #expect(process.pid == getpid())
        #expect([.running, .sleeping, .diskSleep].contains(process.state))
        #expect(process.ppid == getppid())
        let now = Date().timeIntervalSince1970
        #expect(process.startTime <= now + 1)
        #expect(process.startTime >= Double(reader.bootTime))
        #expect(process.exitStatus == nil)
        let cgroupText = try String(contentsOfFile: "/proc/self/cgroup", encoding: .utf8)
        #expect(process.cgroups == (try ProcCgroupParser.parse(cgroupText)))
        #expect(!process.cgroups.isEmpty)
    }

    @Test func aFreshChildStartsNow() throws {
        let child = try ChildProcess(["/bin/sleep", "30"])
        defer { child.kill() }
        let spawnedAt = Date().timeIntervalSince1970
        // Right after the spawn the child may still carry our own name until it has exec'd.
        var process: Model.KernelProcess?
        #expect(try waitUntil(seconds: 5) {
            process = try reader.process(pid: child.pid)
            return process?.command == "sleep"
        })
        let found = try #require(process)
        #expect(found.ppid == getpid())
        // Alive; just after exec it may still be paging its binary in (D), as seen once here.
        #expect([.running, .sleeping, .diskSleep].contains(found.state))
        // btime is whole seconds and starttime is in ticks, so allow a little over one second.
        #expect(abs(found.startTime - spawnedAt) < 2, "start \(found.startTime) vs spawn \(spawnedAt)")
    }

    struct ZombieCase: Sendable, CustomTestStringConvertible {
        var name: String
        /// Shell code that starts a child in the background and leaves its PID in `$!`.
        var startChild: String
        /// The raw wait status the zombie's `exit_code` field should show.
        var waitStatus: Int32
        var testDescription: String { name }
    }

    @Test(arguments: [
        ZombieCase(name: "child killed by SIGKILL", startChild: "sleep 100 & kill -9 $!", waitStatus: 9),
        ZombieCase(name: "child that exits 3", startChild: "(exit 3) &", waitStatus: 3 << 8),
        ZombieCase(name: "child that exits 0", startChild: "sleep 0 &", waitStatus: 0),
    ])
    func realZombieUnderAStoppedParent(_ testCase: ZombieCase) throws {
        let (parent, zombiePID) = try ChildProcess.parentThatNeverReaps(startingChild: testCase.startChild, parentSeconds: 30)
        defer { parent.kill() }

        var zombie: Model.KernelProcess?
        #expect(try waitUntil(seconds: 5) {
            zombie = try reader.process(pid: zombiePID)
            return zombie?.state == .zombie
        })
        let found = try #require(zombie)
        #expect(found.state == .zombie)
        #expect(found.exitStatus == testCase.waitStatus)
        #expect(found.ppid == parent.pid)

        // Stop the parent as a wedged shim would be: the snapshot must show it in state T.
        #expect(Glibc.kill(parent.pid, SIGSTOP) == 0)
        var snapshot = KernelSnapshot()
        #expect(waitUntil(seconds: 5) {
            snapshot = reader.snapshot(pids: [zombiePID], cgroupPaths: [String]())
            return snapshot.processes[parent.pid]?.state == .stopped
        })
        #expect(snapshot.processes[zombiePID]?.state == .zombie)
        #expect(snapshot.processes[parent.pid]?.command == "sleep")
        #expect(snapshot.queriedPIDs == [zombiePID, parent.pid])
        #expect(snapshot.readErrors.isEmpty)
    }

    @Test func aReapedPIDIsGone() throws {
        let child = try ChildProcess(["/bin/true"])
        child.waitForExit()
        #expect(try reader.process(pid: child.pid) == nil)
        let snapshot = reader.snapshot(pids: [child.pid], cgroupPaths: [String]())
        #expect(snapshot.queriedPIDs == [child.pid])
        #expect(snapshot.processes.isEmpty)
        #expect(snapshot.readErrors.isEmpty)
    }

    /// The same process (same PID and start time) keeps the cgroups read before; a PID whose start
    /// time differs (reused) is read again; the state is read every time.
    @Test func cgroupsComeFromThePreviousSnapshotOnlyForTheSameProcess() throws {
        let first = reader.snapshot(pids: [getpid()], cgroupPaths: [String]())
        var marked = try #require(first.processes[getpid()])
        #expect(!marked.cgroups.isEmpty)
        marked.cgroups = [CgroupMembership(hierarchyID: 0, controllers: [], path: "/from-the-previous-refresh")]
        marked.state = .zombie
        var previous = first
        previous.processes[getpid()] = marked

        let second = reader.snapshot(pids: [getpid()], cgroupPaths: [String](), previous: previous)
        #expect(second.processes[getpid()]?.cgroups == marked.cgroups, "not read again")
        #expect(second.processes[getpid()]?.state != .zombie, "the state is always read")

        marked.startTime -= 1  // another process that had this PID
        previous.processes[getpid()] = marked
        let third = reader.snapshot(pids: [getpid()], cgroupPaths: [String](), previous: previous)
        #expect(third.processes[getpid()]?.cgroups == first.processes[getpid()]?.cgroups, "read again")
    }

    @Test func snapshotOfOurselvesIncludesOurParent() throws {
        let snapshot = reader.snapshot(pids: [getpid()], cgroupPaths: [String]())
        #expect(snapshot.processes[getpid()]?.ppid == getppid())
        #expect(snapshot.processes[getppid()] != nil)
        #expect(snapshot.queriedPIDs == [getpid(), getppid()])
    }
}

extension ChildProcess {
    /// A shell that starts a child (`startChild` leaves its PID in `$!`), then execs into sleep, which
    /// never reaps it: once the child exits it is a zombie until the parent is killed.
    static func parentThatNeverReaps(startingChild startChild: String, parentSeconds: Int) throws -> (ChildProcess, Int32) {
        let pidFile = FileManager.default.temporaryDirectory.appendingPathComponent("child-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: pidFile) }
        let parent = try ChildProcess(["/bin/sh", "-c", "\(startChild)\necho $! > \(pidFile)\nexec sleep \(parentSeconds)"])
        var written: Int32?
        _ = waitUntil(seconds: 5) {
            // The file is complete once it ends in a newline.
            guard let text = try? String(contentsOfFile: pidFile, encoding: .utf8), text.hasSuffix("\n") else { return false }
            written = Int32(text.dropLast())
            return true
        }
        guard let written else {
            parent.kill()
            throw ChildProcessError(message: "the shell did not report its child's PID within 5 s")
        }
        return (parent, written)
    }
}

struct ChildProcessError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}

/// A child process started with Foundation's `Process`, killed and reaped by PID when done.
final class ChildProcess: @unchecked Sendable {
    private let process = Process()
    var pid: Int32 { process.processIdentifier }

    init(_ arguments: [String]) throws {
        process.executableURL = URL(fileURLWithPath: arguments[0])
        process.arguments = Array(arguments.dropFirst())
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    func waitForExit() { process.waitUntilExit() }

    var isRunning: Bool { process.isRunning }

    /// The signal that ended the process, or nil if it exited (or is still running).
    var terminationSignal: Int32? {
        guard !process.isRunning, process.terminationReason == .uncaughtSignal else { return nil }
        return process.terminationStatus
    }

    /// Its reading once it sleeps: just spawned, it may still be running (exec, loading), and tests
    /// that compare a later reading with this one need it settled.
    @discardableResult
    func asleep(reader: KernelReader) throws -> Model.KernelProcess {
        var process: Model.KernelProcess?
        let settled = try waitUntil(seconds: 5) {
            process = try reader.process(pid: pid)
            return process?.state == .sleeping
        }
        try #require(settled, "pid \(pid) did not fall asleep within 5 s")
        return try #require(process)
    }

    /// SIGKILL (works on a stopped process too), then reap.
    func kill() {
        if process.isRunning { _ = Glibc.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }
}
