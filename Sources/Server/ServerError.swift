import Glibc

/// Why the server could not start. Each message is one line naming the address and the cause.
public enum ServerError: Error, Hashable, CustomStringConvertible {
    case invalidListenAddress(String, reason: String)
    case socketFailed(address: String, errno: Int32)
    case bindFailed(address: String, errno: Int32)
    case listenFailed(address: String, errno: Int32)
    case daemonStartFailed(address: String)
    /// `--web.config.file` could not be used at start.
    case webConfig(WebConfigError)

    public var description: String {
        switch self {
        // Quoted with escapes, so a stray newline in a flag cannot split the log line (found by fuzzing).
        case .invalidListenAddress(let address, let reason): "invalid listen address \(address.debugDescription): \(reason)"
        case .socketFailed(let address, let code): "listen tcp \(address): socket: \(errnoText(code))"
        case .bindFailed(let address, let code): "listen tcp \(address): bind: \(errnoText(code))"
        case .listenFailed(let address, let code): "listen tcp \(address): listen: \(errnoText(code))"
        case .daemonStartFailed(let address): "listen tcp \(address): libmicrohttpd could not start its daemon"
        case .webConfig(let error): error.description
        }
    }

    /// True when another process already listens there: the exporter exits 1 with this message.
    public var isAddressInUse: Bool {
        if case .bindFailed(_, let code) = self { return code == EADDRINUSE }
        return false
    }
}

/// The one place errno becomes text.
func errnoText(_ code: Int32) -> String {
    String(cString: strerror(code)).lowercased()
}
