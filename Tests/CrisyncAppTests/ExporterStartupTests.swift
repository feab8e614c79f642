import Foundation
import Glibc
import Testing

/// The exporter binary stopped during start-up, as a pod deleted right after it was created.
@Suite("exporter start-up and SIGTERM", .serialized, .timeLimit(.minutes(2)))
struct ExporterStartupTests {
    static func spawnExporter(log: String) throws -> pid_t {
        try Spawn.start(
            [
                try ExplainProcessRunner.exporterBinary(), "--web.listen-address", "127.0.0.1:0", "--runtime.endpoint",
                "unix:///nonexistent/crisync-startup.sock", "--kubelet.url", "http://127.0.0.1:9", "--kubelet.token-file", "",
                "--kubelet.ca-file", "",
            ], stdoutPath: log)
    }

    /// waitpid with a deadline; nil if still running (then killed).
    static func exitStatus(of pid: pid_t, within timeout: Duration) async -> Int32? {
        let deadline = ContinuousClock.now + timeout
        var status: Int32 = 0
        while ContinuousClock.now < deadline {
            if waitpid(pid, &status, WNOHANG) == pid { return Spawn.exitCode(fromWaitStatus: status) }
            try? await Task.sleep(for: .milliseconds(10))
        }
        kill(pid, SIGKILL)
        waitpid(pid, &status, 0)
        return nil
    }

    /// SIGTERM as soon as the server answers: it must shut down cleanly, every time.
    @Test func sigtermRightAfterListeningShutsDownCleanly() async throws {
        let directory = NSTemporaryDirectory() + "crisync-startup-\(getpid())"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        for attempt in 0..<10 {
            let log = "\(directory)/exporter-\(attempt).log"
            let pid = try Self.spawnExporter(log: log)
            let deadline = ContinuousClock.now + .seconds(20)
            while ContinuousClock.now < deadline,
                !((try? String(contentsOfFile: log, encoding: .utf8)) ?? "").contains("msg=listening")
            {
                try await Task.sleep(for: .milliseconds(1))
            }
            kill(pid, SIGTERM)
            let status = await Self.exitStatus(of: pid, within: .seconds(10))
            let text = (try? String(contentsOfFile: log, encoding: .utf8)) ?? ""
            #expect(status == 0, "attempt \(attempt): \(status.map { "exit \($0)" } ?? "still running 10 s after SIGTERM")\n\(text)")
            #expect(text.contains("msg=\"shutting down\""), "attempt \(attempt): \(text)")
        }
    }

    /// SIGTERM at any moment of start-up stops the process (by the default action before the
    /// handler is installed, cleanly after): never a hang.
    @Test(arguments: [0, 5, 20, 50])
    func sigtermDuringStartUpNeverHangs(afterMilliseconds delay: Int) async throws {
        let log = NSTemporaryDirectory() + "crisync-startup-\(getpid())-\(delay).log"
        defer { unlink(log) }
        let pid = try Self.spawnExporter(log: log)
        try await Task.sleep(for: .milliseconds(delay))
        kill(pid, SIGTERM)
        let status = await Self.exitStatus(of: pid, within: .seconds(10))
        #expect(status == 0 || status == 128 + SIGTERM, "\(status.map { "exit \($0)" } ?? "hung after SIGTERM")")
    }
}
