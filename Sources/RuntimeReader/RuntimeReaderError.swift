import Foundation

/// Why reading the container runtime over CRI failed. Each description is one line that names the
/// endpoint (or the container) and the cause.
public enum RuntimeReaderError: Error, CustomStringConvertible, Sendable, Hashable {
    /// The endpoint string is not `unix:///path` or a plain path.
    case invalidEndpoint(String, reason: String)
    /// Nothing exists at the socket path: the runtime is not running, or the path is wrong.
    case socketMissing(endpoint: String, method: String)
    /// The socket exists but nobody accepts connections on it (a runtime that died uncleanly).
    case connectionRefused(endpoint: String, method: String)
    /// This process may not open the socket (or reach its directory): a missing group or a mount.
    case permissionDenied(endpoint: String, method: String)
    /// No answer within the deadline: a wedged runtime (for example a SIGSTOPped containerd).
    case deadlineExceeded(endpoint: String, method: String, timeout: Duration)
    /// The runtime does not implement the method (containerd 1.6 and `GetContainerEvents`).
    case unimplemented(endpoint: String, method: String)
    /// `ContainerStatus(verbose).info["info"]` is not the JSON document containerd writes.
    case malformedInfo(endpoint: String, containerID: String, reason: String)
    /// Any other gRPC status, with the runtime's own message.
    case rpcFailed(endpoint: String, method: String, code: String, message: String)

    public var description: String {
        switch self {
        case .invalidEndpoint(let endpoint, let reason):
            "CRI endpoint \"\(endpoint)\" is invalid: \(reason)"
        case .socketMissing(let endpoint, let method):
            "CRI \(endpoint): \(method) failed: the socket does not exist (is the runtime running?)"
        case .connectionRefused(let endpoint, let method):
            "CRI \(endpoint): \(method) failed: connection refused (the socket exists but nothing listens on it)"
        case .permissionDenied(let endpoint, let method):
            "CRI \(endpoint): \(method) failed: permission denied on the socket (crisync needs read and write access to it: run it in the socket's group, or as root)"
        case .deadlineExceeded(let endpoint, let method, let timeout):
            "CRI \(endpoint): \(method) got no answer within \(timeout.secondsText) (runtime wedged or overloaded)"
        case .unimplemented(let endpoint, let method):
            "CRI \(endpoint): \(method) is not implemented by this runtime"
        case .malformedInfo(let endpoint, let containerID, let reason):
            "CRI \(endpoint): ContainerStatus of \(containerID) has a malformed info JSON: \(reason)"
        case .rpcFailed(let endpoint, let method, let code, let message):
            "CRI \(endpoint): \(method) failed: \(code): \(message.isEmpty ? "no message" : message)"
        }
    }

    /// True when the runtime no longer knows the object asked about (gRPC NOT_FOUND).
    public var isNotFound: Bool {
        // The name `CRIClient` writes for `RPCError.Code.notFound`; spelled out so this file (and the
        // parser fuzzer that links it) needs no gRPC.
        if case .rpcFailed(_, _, let code, _) = self { return code == "notFound" }
        return false
    }

    /// True for the answer a runtime gives to a method it does not have.
    public var isUnimplemented: Bool {
        if case .unimplemented = self { return true }
        return false
    }
}

extension Duration {
    /// `2s`, `0.5s`, `1.25s`: seconds, for one-line messages.
    var secondsText: String {
        let (seconds, attoseconds) = components
        let milliseconds = seconds * 1000 + attoseconds / 1_000_000_000_000_000
        if milliseconds % 1000 == 0 { return "\(milliseconds / 1000)s" }
        var text = String(format: "%.3f", Double(milliseconds) / 1000)
        while text.hasSuffix("0") { text.removeLast() }
        return text + "s"
    }
}
