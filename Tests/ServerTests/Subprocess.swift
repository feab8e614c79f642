import Foundation
import Glibc

/// What a finished child process left behind.
struct ProcessOutput {
    var status: Int32
    var stdout: String
    var stderr: String
}

/// Runs real tools (openssl, curl, promtool) with a deadline: a child that hangs is killed and
/// the test fails instead of hanging the suite.
enum Subprocess {
    static func run(_ executable: String, _ arguments: [String], timeout: Double = 30) throws -> ProcessOutput {
        let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("crisync-subprocess-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let outURL = scratch.appendingPathComponent("out")
        let errURL = scratch.appendingPathComponent("err")
        _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
        _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
        let out = try FileHandle(forWritingTo: outURL)
        let err = try FileHandle(forWritingTo: errURL)
        defer {
            try? out.close()
            try? err.close()
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try resolve(executable))
        process.arguments = arguments
        process.standardOutput = out
        process.standardError = err
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(5_000) }
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            throw SubprocessError.timedOut(command: ([executable] + arguments).joined(separator: " "), seconds: timeout)
        }
        process.waitUntilExit()
        return ProcessOutput(
            status: process.terminationStatus,
            stdout: (try? String(contentsOf: outURL, encoding: .utf8)) ?? "",
            stderr: (try? String(contentsOf: errURL, encoding: .utf8)) ?? "")
    }

    /// Runs and requires exit status 0.
    @discardableResult
    static func check(_ executable: String, _ arguments: [String], timeout: Double = 30) throws -> ProcessOutput {
        let output = try run(executable, arguments, timeout: timeout)
        guard output.status == 0 else {
            throw SubprocessError.failed(
                command: ([executable] + arguments).joined(separator: " "), status: output.status, stderr: output.stderr)
        }
        return output
    }

    /// The absolute path of a tool on PATH (or the path itself).
    static func resolve(_ executable: String) throws -> String {
        if executable.hasPrefix("/") { return executable }
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin").split(separator: ":") {
            let candidate = "\(directory)/\(executable)"
            if access(candidate, X_OK) == 0 { return candidate }
        }
        throw SubprocessError.notInstalled(executable)
    }
}

enum SubprocessError: Error, CustomStringConvertible {
    case notInstalled(String)
    case timedOut(command: String, seconds: Double)
    case failed(command: String, status: Int32, stderr: String)

    var description: String {
        switch self {
        case .notInstalled(let tool): "\(tool) is not installed (scripts/deps.sh test installs it)"
        case .timedOut(let command, let seconds): "\(command) did not finish within \(seconds) s"
        case .failed(let command, let status, let stderr): "\(command) exited \(status): \(stderr)"
        }
    }
}

/// A private temporary directory, removed when dropped.
final class TemporaryDirectory {
    let path: String

    init(_ prefix: String = "crisync-server-test") throws {
        var template = Array("\(FileManager.default.temporaryDirectory.path)/\(prefix)-XXXXXX".utf8CString)
        guard let made = mkdtemp(&template) else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
        path = String(cString: made)
    }

    func file(_ name: String) -> String { "\(path)/\(name)" }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let target = file(name)
        try text.write(toFile: target, atomically: false, encoding: .utf8)
        return target
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }
}
