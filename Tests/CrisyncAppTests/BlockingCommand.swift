import Foundation
import Glibc

/// Runs a command to completion with posix_spawn and waitpid, its input read from a file (by
/// default /dev/null) and its output going to a file.
///
/// Foundation's `Process.waitUntilExit()` waits on a run loop, which can wait forever when called
/// from a Swift concurrency thread; waitpid cannot.
enum BlockingCommand {
    struct Result {
        var status: Int32
        var output: String
    }

    static func run(_ arguments: [String], stdinPath: String = "/dev/null", environment: [String: String]? = nil) throws -> Result {
        let outputPath = NSTemporaryDirectory() + "crisync-command-\(getpid())-\(UInt32.random(in: 0..<UInt32.max)).log"
        defer { unlink(outputPath) }
        let pid: pid_t
        do {
            pid = try Spawn.start(
                arguments, stdinPath: stdinPath, stdoutPath: outputPath, environment: environment, newProcessGroup: false,
                searchPath: true)
        } catch {
            throw ScenarioError("cannot run \(arguments[0]): \(error)")
        }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
        let output = (try? String(contentsOfFile: outputPath, encoding: .utf8)) ?? ""
        return Result(status: Spawn.exitCode(fromWaitStatus: status), output: output)
    }
}
