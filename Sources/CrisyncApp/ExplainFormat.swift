import Foundation
import Model

/// Values as `explain` and the landing page show them.
enum ExplainFormat {
    /// `a`, `a and b`, `a, b and c`.
    static func list(_ items: [String]) -> String {
        guard items.count > 1 else { return items.first ?? "" }
        return items.dropLast().joined(separator: ", ") + " and " + items[items.count - 1]
    }

    /// `2027-01-15T08:00:00Z` (UTC, whole seconds).
    static func timestamp(_ unixSeconds: Double) -> String {
        UTCTimestamp.format(unixSeconds: unixSeconds)
    }

    /// A CRI time (nanoseconds since the epoch, 0 when unset), or nil.
    static func timestamp(nanos: Int64) -> String? {
        nanos > 0 ? timestamp(Double(nanos) / 1e9) : nil
    }

    /// `45s`, `3m12s`, `2h5m`, `3d4h`: whole seconds, two units at most.
    static func duration(_ seconds: Double) -> String {
        let total = max(0, Int(seconds.rounded(.down)))
        let days = total / 86400, hours = total % 86400 / 3600, minutes = total % 3600 / 60, rest = total % 60
        if days > 0 { return hours > 0 ? "\(days)d\(hours)h" : "\(days)d" }
        if hours > 0 { return minutes > 0 ? "\(hours)h\(minutes)m" : "\(hours)h" }
        if minutes > 0 { return rest > 0 ? "\(minutes)m\(rest)s" : "\(minutes)m" }
        return "\(rest)s"
    }

    /// An exit code with the signal it stands for when it is 128+N: `137 (SIGKILL)`.
    static func exitCode(_ code: Int32) -> String {
        guard code > 128, let name = signalName(code - 128) else { return "\(code)" }
        return "\(code) (\(name))"
    }

    static func signalName(_ number: Int32) -> String? {
        let names: [Int32: String] = [
            1: "SIGHUP", 2: "SIGINT", 3: "SIGQUIT", 4: "SIGILL", 5: "SIGTRAP", 6: "SIGABRT", 7: "SIGBUS", 8: "SIGFPE",
            9: "SIGKILL", 10: "SIGUSR1", 11: "SIGSEGV", 12: "SIGUSR2", 13: "SIGPIPE", 14: "SIGALRM", 15: "SIGTERM",
        ]
        return names[number]
    }

    /// `Z zombie`: the `/proc/<pid>/stat` letter and what it means.
    static func processState(_ state: ProcessState) -> String {
        let meaning: String =
            switch state {
            case .running: "running"
            case .sleeping: "sleeping"
            case .diskSleep: "disk sleep"
            case .zombie: "zombie"
            case .stopped: "stopped"
            case .tracingStop: "tracing stop"
            case .dead: "dead"
            case .idle: "idle"
            case .parked: "parked"
            case .wakeKill: "wakekill"
            case .waking: "waking"
            case .unknown: "unknown"
            }
        return "\(state.rawValue) \(meaning)"
    }

    /// CRI spelling, as `crictl` shows it: `RUNNING`, `EXITED`.
    static func runtimeState(_ state: RuntimeContainerState) -> String { state.rawValue.uppercased() }

    /// `running`, `waiting: CrashLoopBackOff`, `terminated: Error, exit 1`.
    static func kubeletState(_ state: KubeletContainerState) -> String {
        switch state {
        case .running: "running"
        case .waiting(let reason, _): reason.map { "waiting: \($0)" } ?? "waiting"
        case .terminated(let termination):
            "terminated: \(termination.reason.map { "\($0), " } ?? "")exit \(exitCode(termination.exitCode))"
        case .unknown: "unknown"
        }
    }
}
