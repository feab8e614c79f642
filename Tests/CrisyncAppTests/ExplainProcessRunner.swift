import Foundation
import Testing

/// Runs real programs (the exporter binary, tmux, chromium) with a deadline: output goes to files
/// (no pipe can fill up and block the child), and a child that outlives the deadline is killed.
enum ExplainProcessRunner {
    struct Outcome: Sendable {
        var status: Int32
        var stdout: String
        var stderr: String
        var timedOut: Bool
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    /// Runs `executable` to completion (or until `timeout`, when its whole process group is
    /// killed). Spawned with posix_spawn in its own process group, with default signal dispositions
    /// and an empty signal mask: Foundation's `Process` reports a tmux client as running for as long
    /// as the tmux server it forked lives, and its children inherit the test runner's signal state.
    static func run(
        _ executable: String, _ arguments: [String], environment: [String: String]? = nil,
        timeout: Duration = .seconds(60)
    ) async throws -> Outcome {
        let directory = try temporaryDirectory("run")
        defer { try? FileManager.default.removeItem(at: directory) }
        let stdoutPath = directory.appendingPathComponent("stdout").path
        let stderrPath = directory.appendingPathComponent("stderr").path

        let pid: pid_t
        do {
            pid = try Spawn.start(
                [executable] + arguments, stdoutPath: stdoutPath, stderrPath: stderrPath, environment: environment)
        } catch {
            throw Failure(description: "\(error)")
        }

        let deadline = ContinuousClock.now + timeout
        var status: Int32 = 0
        var timedOut = false
        while waitpid(pid, &status, WNOHANG) == 0 {
            if ContinuousClock.now >= deadline {
                timedOut = true
                kill(-pid, SIGTERM)
                try? await Task.sleep(for: .seconds(2))
                kill(-pid, SIGKILL)
                waitpid(pid, &status, 0)
                break
            }
            try? await Task.sleep(for: .milliseconds(20))
        }
        let exitStatus = Spawn.exitCode(fromWaitStatus: status)
        return Outcome(
            status: exitStatus, stdout: (try? String(contentsOfFile: stdoutPath, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOfFile: stderrPath, encoding: .utf8)) ?? "", timedOut: timedOut)
    }

    /// A fresh directory under the system's temporary directory.
    static func temporaryDirectory(_ purpose: String) throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent(
            "crisync-\(purpose)-\(UUID().uuidString.prefix(8))")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The `crisync-exporter` binary built next to this test bundle. `swift test` compiles the
    /// modules the tests import but does not relink executables (and holds the build lock while
    /// tests run): a binary older than an object file of the modules it is linked from fails the
    /// test rather than testing old code. `scripts/test.sh` builds everything first.
    static func exporterBinary() throws -> String {
        let directory = Bundle.module.bundleURL.deletingLastPathComponent()
        let path = directory.appendingPathComponent("crisync-exporter").path
        guard FileManager.default.isExecutableFile(atPath: path) else {
            throw Failure(description: "\(path) is missing: run `swift build --product crisync-exporter` first")
        }
        let linked = modificationDate(path) ?? .distantPast
        let modules = [
            "crisync_exporter", "CrisyncApp", "Collector", "Model", "Exposition", "Server", "CMicroHTTPDShim", "KernelReader",
            "RuntimeReader", "KubeletReader",
        ]
        for module in modules {
            let build = directory.appendingPathComponent("\(module).build")
            let files = (try? FileManager.default.contentsOfDirectory(atPath: build.path)) ?? []
            for file in files where file.hasSuffix(".o") {
                let object = build.appendingPathComponent(file).path
                if let compiled = modificationDate(object), compiled > linked {
                    throw Failure(
                        description: "\(path) is older than \(object): run `swift build --product crisync-exporter` "
                            + "before these tests (scripts/test.sh builds everything first)")
                }
            }
        }
        return path
    }

    private static func modificationDate(_ path: String) -> Date? {
        (try? FileManager.default.attributesOfItem(atPath: path))?[.modificationDate] as? Date
    }

    /// The full path of a program on `PATH`, or nil.
    static func which(_ program: String) -> String? {
        let path = Foundation.ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(program)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
