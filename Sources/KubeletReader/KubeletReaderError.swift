/// Why a read of the kubelet's `/pods` failed. Each description is one line naming the URL (or
/// the file) and the cause, fit for a log line and for the `source_up` error label's neighbour.
public enum KubeletReaderError: Error, CustomStringConvertible, Sendable, Equatable {
    /// 401: the kubelet did not accept the bearer token (or none was sent). `message` is the
    /// server's `Status.message` or its plain-text body, truncated; nil when the body was empty.
    case unauthorized(url: String, message: String?)
    /// 403: the token is valid but lacks `nodes/proxy` (or `nodes/pods`) access.
    case forbidden(url: String, message: String?)
    /// Any 5xx.
    case serverError(url: String, status: Int, message: String?)
    /// Any other status that is not 200.
    case unexpectedStatus(url: String, status: Int, message: String?)
    /// No complete answer within the timeout (connecting, waiting for headers, or reading the body).
    case timeout(url: String, seconds: Double)
    /// Nothing listens at the URL's host and port.
    case connectionRefused(url: String)
    /// The TLS handshake failed: untrusted or mismatched certificate, plain HTTP on the TLS port, ...
    case tlsFailure(url: String, reason: String)
    /// The connection failed or broke for another reason (reset, closed mid-body, DNS, ...).
    case connectionFailed(url: String, reason: String)
    /// The body is larger than the configured limit; it was not read past the limit.
    case bodyTooLarge(url: String, limitBytes: Int)
    /// The body is not a PodList; `reason` names the JSON position or field path.
    case malformedJSON(url: String, reason: String)
    /// The bearer token file could not be read, or is empty.
    case tokenFileUnreadable(path: String, reason: String)
    /// The CA file could not be read, or holds no PEM certificate.
    case caFileInvalid(path: String, reason: String)
    /// The configured URL cannot be used (bad scheme, no host, ...).
    case invalidURL(url: String, reason: String)

    public var description: String {
        switch self {
        case .unauthorized(let url, let message):
            "kubelet \(url): 401 Unauthorized (token missing, expired or not accepted)\(suffix(message))"
        case .forbidden(let url, let message):
            "kubelet \(url): 403 Forbidden (the token lacks access to nodes/proxy)\(suffix(message))"
        case .serverError(let url, let status, let message):
            "kubelet \(url): server error \(status)\(suffix(message))"
        case .unexpectedStatus(let url, let status, let message):
            "kubelet \(url): unexpected status \(status)\(suffix(message))"
        case .timeout(let url, let seconds):
            "kubelet \(url): no complete answer within \(formatSeconds(seconds)) s"
        case .connectionRefused(let url):
            "kubelet \(url): connection refused (is the kubelet listening there?)"
        case .tlsFailure(let url, let reason):
            "kubelet \(url): TLS handshake failed: \(reason)"
        case .connectionFailed(let url, let reason):
            "kubelet \(url): connection failed: \(reason)"
        case .bodyTooLarge(let url, let limitBytes):
            "kubelet \(url): body larger than \(limitBytes) bytes (--kubelet.max-bytes), refused"
        case .malformedJSON(let url, let reason):
            "kubelet \(url): malformed PodList JSON: \(reason)"
        case .tokenFileUnreadable(let path, let reason):
            "kubelet token file \(path): \(reason)"
        case .caFileInvalid(let path, let reason):
            "kubelet CA file \(path): \(reason)"
        case .invalidURL(let url, let reason):
            "kubelet URL \(url): \(reason)"
        }
    }

    private func suffix(_ message: String?) -> String {
        guard let message, !message.isEmpty else { return "" }
        return ": \(message)"
    }

    private func formatSeconds(_ seconds: Double) -> String {
        seconds == seconds.rounded() ? String(Int(seconds)) : String(seconds)
    }
}
