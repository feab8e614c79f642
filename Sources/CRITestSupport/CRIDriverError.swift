/// Why a test-driver operation failed; one line naming the operation and the cause.
public enum CRIDriverError: Error, CustomStringConvertible, Sendable {
    case labNotConfigured(String)
    case callFailed(method: String, target: String, reason: String)
    case timedOut(what: String, after: Duration, last: String)
    case signalFailed(pid: Int32, signal: Int32, errno: Int32)
    case cleanupFailed([String])

    public var description: String {
        switch self {
        case .labNotConfigured(let message):
            message
        case .callFailed(let method, let target, let reason):
            "CRI \(method) \(target) failed: \(reason)"
        case .timedOut(let what, let after, let last):
            "timed out after \(after) waiting for \(what) (last seen: \(last))"
        case .signalFailed(let pid, let signal, let errno):
            "kill(\(pid), \(signal)) failed: errno \(errno)"
        case .cleanupFailed(let problems):
            "cleanup left problems: " + problems.joined(separator: "; ")
        }
    }
}
