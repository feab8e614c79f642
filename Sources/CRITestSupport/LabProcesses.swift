import Foundation

/// Finding and signalling the processes behind the lab's pods: shims and container inits.
public enum LabProcesses {
    /// A `containerd-shim-runc-v2` serving the lab's containerd.
    public struct Shim: Sendable, Hashable {
        public var pid: Int32
        /// The task the shim was started for: the pod's sandbox (one shim serves the whole pod).
        public var id: String
    }

    /// Shims whose command line carries `-address <socketPath>` (exactly), i.e. children of THIS
    /// containerd, not of a system one.
    public static func shims(servingSocket socketPath: String, procRoot: String = "/proc") -> [Shim] {
        let entries = (try? FileManager.default.contentsOfDirectory(atPath: procRoot)) ?? []
        return entries.compactMap { entry -> Shim? in
            guard let pid = Int32(entry),
                let comm = try? String(contentsOfFile: "\(procRoot)/\(entry)/comm", encoding: .utf8),
                comm.hasPrefix("containerd-shim"),
                let cmdline = FileManager.default.contents(atPath: "\(procRoot)/\(entry)/cmdline")
            else { return nil }
            let arguments = cmdline.split(separator: 0).map { String(decoding: $0, as: UTF8.self) }
            guard argument(after: "-address", in: arguments) == socketPath,
                let id = argument(after: "-id", in: arguments)
            else { return nil }
            return Shim(pid: pid, id: id)
        }
    }

    /// The PID of the shim serving pod `sandboxID` of the containerd at `socketPath`.
    public static func shimPID(ofSandbox sandboxID: String, socketPath: String, procRoot: String = "/proc") -> Int32? {
        shims(servingSocket: socketPath, procRoot: procRoot).first { $0.id == sandboxID }?.pid
    }

    /// Field 4 of `/proc/<pid>/stat`; nil when the process is gone.
    public static func parentPID(of pid: Int32, procRoot: String = "/proc") -> Int32? {
        guard let fields = statFieldsAfterCommand(pid: pid, procRoot: procRoot), fields.count > 1 else { return nil }
        return Int32(fields[1])
    }

    /// Field 3 of `/proc/<pid>/stat` (R, S, Z, T, ...); nil when the process is gone.
    public static func stateLetter(of pid: Int32, procRoot: String = "/proc") -> Character? {
        statFieldsAfterCommand(pid: pid, procRoot: procRoot)?.first?.first
    }

    /// Sends `signal` (SIGSTOP, SIGCONT, SIGKILL, ...) to `pid`.
    public static func send(_ signal: Int32, to pid: Int32) throws {
        guard kill(pid, signal) == 0 else { throw CRIDriverError.signalFailed(pid: pid, signal: signal, errno: errno) }
    }

    /// SIGSTOPs `pid`, runs `body`, and SIGCONTs `pid` afterwards whatever happened, so a failing
    /// test never leaves a runtime or shim frozen.
    public static func whileStopped<Result: Sendable>(
        _ pid: Int32, _ body: () async throws -> Result
    ) async throws -> Result {
        try send(SIGSTOP, to: pid)
        defer { kill(pid, SIGCONT) }
        return try await body()
    }

    /// Polls every 10 ms until `condition` holds or `timeout` passes; returns whether it held.
    public static func wait(
        upTo timeout: Duration, until condition: () -> Bool
    ) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while !condition() {
            guard ContinuousClock.now < deadline else { return false }
            try? await Task.sleep(for: .milliseconds(10))
        }
        return true
    }

    private static func argument(after flag: String, in arguments: [String]) -> String? {
        guard let index = arguments.firstIndex(of: flag), index + 1 < arguments.count else { return nil }
        return arguments[index + 1]
    }

    /// The fields after `(comm)`: the command name runs to the LAST `)`.
    private static func statFieldsAfterCommand(pid: Int32, procRoot: String) -> [Substring]? {
        guard let data = FileManager.default.contents(atPath: "\(procRoot)/\(pid)/stat") else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        guard let close = text.lastIndex(of: ")") else { return nil }
        return text[text.index(after: close)...].split(separator: " ")
    }
}
