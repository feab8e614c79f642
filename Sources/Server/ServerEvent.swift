/// Something the server reports for the operator's log. Delivered on a server thread; the
/// receiver must not block.
public enum ServerEvent: Sendable, Equatable, CustomStringConvertible {
    /// The web config was read (at start, or again after one of its files changed) and is in force.
    case webConfigLoaded(file: String, tls: Bool, basicAuthUsers: Int, reload: Bool)
    /// A changed web config could not be used; the previous one stays in force until the files change again.
    case webConfigRejected(WebConfigError)
    /// A diagnostic from libmicrohttpd, mostly about one client (a dropped connection, a refused
    /// handshake); worth a debug line, not an alarm.
    case libraryMessage(String)

    public var description: String {
        switch self {
        case .webConfigLoaded(let file, let tls, let users, let reload):
            "web config \(file) \(reload ? "reloaded" : "loaded"): TLS \(tls ? "on" : "off"), \(users) basic auth user(s)"
        case .webConfigRejected(let error):
            "\(error)"
        case .libraryMessage(let message):
            "libmicrohttpd: \(message)"
        }
    }
}
