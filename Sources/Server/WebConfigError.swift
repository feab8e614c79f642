/// Why a web config file could not be used. Each description is one line naming the file (and
/// the line, or the referenced file) and the cause; secrets (hashes, keys) are never quoted.
public enum WebConfigError: Error, Sendable, Hashable, CustomStringConvertible {
    /// The config file itself could not be read.
    case unreadable(file: String, reason: String)
    /// Not valid YAML of the supported subset, or not a valid web config; `line` is 1-based.
    case invalid(file: String, line: Int, message: String)
    /// A file the config names (`cert_file`, `key_file`, `client_ca_file`) could not be read.
    case referencedFileUnreadable(file: String, field: String, path: String, reason: String)
    /// The certificate, key or CA was read but GnuTLS cannot use it.
    case unusableTLSMaterial(file: String, field: String, reason: String)
    /// A reload would switch between HTTP and HTTPS, which needs a restart.
    case tlsModeChange(file: String, nowTLS: Bool)

    public var description: String {
        switch self {
        case .unreadable(let file, let reason):
            "web config \(file): \(reason)"
        case .invalid(let file, let line, let message):
            "web config \(file):\(line): \(message)"
        case .referencedFileUnreadable(let file, let field, let path, let reason):
            "web config \(file): \(field) \(path): \(reason)"
        case .unusableTLSMaterial(let file, let field, let reason):
            "web config \(file): \(field): \(reason)"
        case .tlsModeChange(let file, let nowTLS):
            "web config \(file): the new file \(nowTLS ? "enables" : "disables") TLS; switching between HTTP and HTTPS needs a restart, "
                + "so the previous configuration stays in force"
        }
    }
}
