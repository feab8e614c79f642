/// The `--web.config.file` contents (Prometheus exporter-toolkit format), validated and with
/// relative paths resolved against the file's directory. Pure data: nothing here reads files.
public struct WebConfig: Sendable, Equatable {
    /// nil: plain HTTP.
    public var tls: TLSServerSettings?
    /// `basic_auth_users`, sorted by name; empty: no authentication.
    public var basicAuthUsers: [BasicAuthUser]
    /// `http_server_config.headers`, sorted by name; added to every response.
    public var headers: [HTTPHeaderField]

    public init(tls: TLSServerSettings? = nil, basicAuthUsers: [BasicAuthUser] = [], headers: [HTTPHeaderField] = []) {
        self.tls = tls
        self.basicAuthUsers = basicAuthUsers
        self.headers = headers
    }
}

public struct BasicAuthUser: Sendable, Equatable {
    public var name: String
    /// A bcrypt hash (`$2y$`, `$2b$` or `$2a$`).
    public var passwordHash: String
}

public struct HTTPHeaderField: Sendable, Equatable {
    public var name: String
    public var value: String
}

/// Where PEM data comes from: a file (`cert_file`) or the config itself (`cert`).
public enum PEMSource: Sendable, Equatable {
    case file(String)
    case inline(String)
}

/// exporter-toolkit's `client_auth_type`, with Go's crypto/tls meaning.
public enum ClientAuthType: String, Sendable, CaseIterable {
    case noClientCert = "NoClientCert"
    case requestClientCert = "RequestClientCert"
    case requireAnyClientCert = "RequireAnyClientCert"
    case verifyClientCertIfGiven = "VerifyClientCertIfGiven"
    case requireAndVerifyClientCert = "RequireAndVerifyClientCert"

    /// Whether a client certificate, when one is presented, is checked against the client CAs.
    public var verifies: Bool { self == .verifyClientCertIfGiven || self == .requireAndVerifyClientCert }
}

/// TLS protocol versions crisync serves. Older ones are refused when the config is read.
public enum TLSVersion: String, Sendable, Comparable, CaseIterable {
    case tls12 = "TLS12"
    case tls13 = "TLS13"

    public static func < (lhs: TLSVersion, rhs: TLSVersion) -> Bool { lhs == .tls12 && rhs == .tls13 }
}

public struct TLSServerSettings: Sendable, Equatable {
    public var certificate: PEMSource
    public var key: PEMSource
    public var clientCA: PEMSource?
    public var clientAuth: ClientAuthType
    /// Default TLS 1.2, as exporter-toolkit.
    public var minVersion: TLSVersion
    public var maxVersion: TLSVersion
    /// With GnuTLS this orders the negotiation by the server's preference (`%SERVER_PRECEDENCE`).
    public var preferServerCipherSuites: Bool

    public init(
        certificate: PEMSource, key: PEMSource, clientCA: PEMSource? = nil, clientAuth: ClientAuthType = .noClientCert,
        minVersion: TLSVersion = .tls12, maxVersion: TLSVersion = .tls13, preferServerCipherSuites: Bool = true
    ) {
        self.certificate = certificate
        self.key = key
        self.clientCA = clientCA
        self.clientAuth = clientAuth
        self.minVersion = minVersion
        self.maxVersion = maxVersion
        self.preferServerCipherSuites = preferServerCipherSuites
    }

    /// The GnuTLS priority string: GnuTLS's NORMAL suites, restricted to the configured versions.
    public var gnutlsPriorities: String {
        var versions = ["-VERS-ALL"]
        for version in TLSVersion.allCases.reversed() where version >= minVersion && version <= maxVersion {
            versions.append(version == .tls13 ? "+VERS-TLS1.3" : "+VERS-TLS1.2")
        }
        return (["NORMAL"] + versions + (preferServerCipherSuites ? ["%SERVER_PRECEDENCE"] : [])).joined(separator: ":")
    }
}
