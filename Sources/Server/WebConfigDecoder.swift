import CMicroHTTPDShim

/// Turns a web config file's bytes into a `WebConfig`, with exporter-toolkit's rules: unknown
/// fields are errors (it unmarshals strictly), TLS is on as soon as any TLS field is set and then
/// needs both a certificate and a key, client CAs need a client auth policy, relative paths are
/// relative to the file, and only a few well-known response headers may be set.
///
/// Where crisync is stricter, it says so: TLS 1.0/1.1, cipher suite and curve lists, SAN
/// allow-lists and rate limits are refused rather than silently ignored.
enum WebConfigDecoder {
    /// exporter-toolkit's allow-list: header name, and the only values allowed (nil: any).
    static let configurableHeaders: [String: [String]?] = [
        "Strict-Transport-Security": nil,
        "X-Content-Type-Options": ["nosniff"],
        "X-Frame-Options": ["deny", "sameorigin"],
        "X-XSS-Protection": nil,
        "Content-Security-Policy": nil,
    ]

    /// bcrypt costs above this take seconds per check (each new credential is checked on a server thread).
    static let maxBcryptCost = 17

    static func decode(_ bytes: [UInt8], file: String) throws(WebConfigError) -> WebConfig {
        let root: YAMLNode
        do {
            root = try YAMLSubsetParser.parse(bytes)
        } catch {
            throw .invalid(file: file, line: error.line, message: error.message)
        }
        let context = Context(file: file, directory: directory(of: file))
        let top = try context.fields(
            of: root, in: "the web config", known: ["tls_server_config", "http_server_config", "basic_auth_users", "rate_limit"])
        if let rateLimit = top["rate_limit"], rateLimit.value.value != .null {
            throw context.error(
                rateLimit.line, "rate_limit is not supported by crisync; --web.max-requests caps concurrent scrapes instead")
        }
        var config = WebConfig()
        if let tls = top["tls_server_config"] {
            config.tls = try decodeTLS(tls, context)
        }
        if let http = top["http_server_config"] {
            config.headers = try decodeHTTP(http, context)
        }
        if let users = top["basic_auth_users"] {
            config.basicAuthUsers = try decodeUsers(users, context)
        }
        return config
    }

    // MARK: Sections

    private static func decodeTLS(_ entry: YAMLEntry, _ context: Context) throws(WebConfigError) -> TLSServerSettings? {
        let section = "tls_server_config"
        let fields = try context.fields(
            of: entry.value, in: section,
            known: [
                "cert_file", "key_file", "cert", "key", "client_ca_file", "client_ca", "client_auth_type", "min_version",
                "max_version", "prefer_server_cipher_suites", "cipher_suites", "curve_preferences", "client_allowed_sans",
            ])
        for (name, reason) in [
            ("cipher_suites", "crisync's TLS library (GnuTLS) uses its NORMAL suites, TLS 1.2 and later only; remove the list"),
            ("curve_preferences", "crisync's TLS library (GnuTLS) uses its NORMAL groups; remove the list"),
            ("client_allowed_sans", "use a client CA that issues only to allowed clients"),
        ] {
            if let field = fields[name], !context.isEmptyList(field.value) {
                throw context.error(field.line, "\(section).\(name) is not supported by crisync: \(reason)")
            }
        }
        let certFile = try context.string(fields["cert_file"], section)
        let cert = try context.string(fields["cert"], section)
        let keyFile = try context.string(fields["key_file"], section)
        let key = try context.string(fields["key"], section)
        let caFile = try context.string(fields["client_ca_file"], section)
        let ca = try context.string(fields["client_ca"], section)
        let authText = try context.string(fields["client_auth_type"], section)
        let enabled = [certFile, cert, keyFile, key, caFile, ca, authText].contains { !($0 ?? "").isEmpty }
        guard enabled else {
            if let field = fields["min_version"] ?? fields["max_version"] {
                throw context.error(field.line, "\(section) sets TLS versions but no cert_file and key_file")
            }
            return nil
        }
        let certificate = try context.pem(file: certFile, inline: cert, fileField: "cert_file", inlineField: "cert", section, entry.line)
        let privateKey = try context.pem(file: keyFile, inline: key, fileField: "key_file", inlineField: "key", section, entry.line)
        guard let certificate else { throw context.error(entry.line, "\(section): missing one of cert or cert_file") }
        guard let privateKey else { throw context.error(entry.line, "\(section): missing one of key or key_file") }
        let clientCA = try context.pem(
            file: caFile, inline: ca, fileField: "client_ca_file", inlineField: "client_ca", section, entry.line)

        var clientAuth = ClientAuthType.noClientCert
        if let authText, !authText.isEmpty {
            // "RequireClientCert" is exporter-toolkit's older spelling.
            guard let parsed = ClientAuthType(rawValue: authText == "RequireClientCert" ? "RequireAnyClientCert" : authText) else {
                throw context.error(
                    fields["client_auth_type"]!.line,
                    "\(section).client_auth_type: unknown value \"\(escapedForMessage(authText))\"; expected one of "
                        + ClientAuthType.allCases.map(\.rawValue).joined(separator: ", "))
            }
            clientAuth = parsed
        }
        if clientCA != nil && clientAuth == .noClientCert {
            throw context.error(
                (fields["client_ca_file"] ?? fields["client_ca"])!.line,
                "\(section): client CAs are configured but client_auth_type is NoClientCert; set a client auth policy or remove them")
        }
        if clientAuth.verifies && clientCA == nil {
            throw context.error(
                fields["client_auth_type"]!.line,
                "\(section).client_auth_type \(clientAuth.rawValue) verifies client certificates: set client_ca_file (or client_ca)")
        }
        let minVersion = try context.version(fields["min_version"], section) ?? .tls12
        let maxVersion = try context.version(fields["max_version"], section) ?? .tls13
        if minVersion > maxVersion {
            throw context.error(fields["min_version"]!.line, "\(section): min_version \(minVersion.rawValue) is above max_version \(maxVersion.rawValue)")
        }
        return TLSServerSettings(
            certificate: certificate, key: privateKey, clientCA: clientCA, clientAuth: clientAuth, minVersion: minVersion,
            maxVersion: maxVersion, preferServerCipherSuites: try context.bool(fields["prefer_server_cipher_suites"], section) ?? true)
    }

    private static func decodeHTTP(_ entry: YAMLEntry, _ context: Context) throws(WebConfigError) -> [HTTPHeaderField] {
        let section = "http_server_config"
        let fields = try context.fields(of: entry.value, in: section, known: ["http2", "headers"])
        // crisync speaks HTTP/1.1 only (libmicrohttpd): `http2` is accepted and has nothing to switch.
        _ = try context.bool(fields["http2"], section)
        guard let headers = fields["headers"] else { return [] }
        var result: [HTTPHeaderField] = []
        for header in try context.stringMap(headers, "\(section).headers") {
            guard let allowed = configurableHeaders[header.key] else {
                throw context.error(
                    header.line,
                    "\(section).headers: HTTP header \"\(escapedForMessage(header.key))\" can not be configured; allowed: "
                        + configurableHeaders.keys.sorted().joined(separator: ", "))
            }
            if let allowed, !allowed.contains(header.value) {
                throw context.error(
                    header.line,
                    "\(section).headers: invalid value for \(header.key); expected one of \(allowed.joined(separator: ", "))")
            }
            if header.value.utf8.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
                throw context.error(header.line, "\(section).headers: the value of \(header.key) contains a control character")
            }
            result.append(HTTPHeaderField(name: header.key, value: header.value))
        }
        return result.sorted { $0.name < $1.name }
    }

    private static func decodeUsers(_ entry: YAMLEntry, _ context: Context) throws(WebConfigError) -> [BasicAuthUser] {
        var users: [BasicAuthUser] = []
        for user in try context.stringMap(entry, "basic_auth_users") {
            guard !user.key.isEmpty, !user.key.contains(":") else {
                throw context.error(user.line, "basic_auth_users: a user name must be non-empty and must not contain \":\"")
            }
            // The hash is not quoted in the message: it is a secret too.
            guard crisync_is_bcrypt_hash(user.value) == 1 else {
                throw context.error(
                    user.line,
                    "basic_auth_users.\(escapedForMessage(user.key)): not a bcrypt hash ($2y$, $2b$ or $2a$, e.g. from htpasswd -nBC 10 \(escapedForMessage(user.key)))")
            }
            let cost = Int(user.value.utf8.dropFirst(4).prefix(2).reduce(0) { $0 * 10 + Int($1 - UInt8(ascii: "0")) })
            guard cost <= maxBcryptCost else {
                throw context.error(
                    user.line,
                    "basic_auth_users.\(escapedForMessage(user.key)): bcrypt cost \(cost) is above \(maxBcryptCost): every new credential would take seconds to check")
            }
            users.append(BasicAuthUser(name: user.key, passwordHash: user.value))
        }
        return users.sorted { $0.name < $1.name }
    }

    /// The directory relative paths are resolved against ("." for a bare file name).
    static func directory(of file: String) -> String {
        guard let slash = file.lastIndex(of: "/") else { return "." }
        return slash == file.startIndex ? "/" : String(file[..<slash])
    }
}

/// Typed access to YAML nodes, with errors that name the file, line and field.
private struct Context {
    var file: String
    var directory: String

    func error(_ line: Int, _ message: String) -> WebConfigError {
        .invalid(file: file, line: line, message: message)
    }

    func fields(of node: YAMLNode, in section: String, known: [String]) throws(WebConfigError) -> [String: YAMLEntry] {
        switch node.value {
        case .null:
            return [:]
        case .mapping(let entries):
            var result: [String: YAMLEntry] = [:]
            for entry in entries {
                guard known.contains(entry.key) else {
                    throw error(entry.line, "unknown field \"\(escapedForMessage(entry.key))\" in \(section); known fields: \(known.joined(separator: ", "))")
                }
                result[entry.key] = entry
            }
            return result
        default:
            throw error(node.line, "\(section) must be a mapping, found \(node.value.kindDescription)")
        }
    }

    func string(_ entry: YAMLEntry?, _ section: String) throws(WebConfigError) -> String? {
        guard let entry else { return nil }
        switch entry.value.value {
        case .null: return nil
        case .scalar(let text, _): return text
        default: throw error(entry.line, "\(section).\(entry.key) must be a string, found \(entry.value.value.kindDescription)")
        }
    }

    /// YAML 1.1 booleans, as Go's yaml.v2 reads them.
    func bool(_ entry: YAMLEntry?, _ section: String) throws(WebConfigError) -> Bool? {
        guard let entry else { return nil }
        if case .null = entry.value.value { return nil }
        if case .scalar(let text, quoted: false) = entry.value.value {
            switch text {
            case "true", "True", "TRUE", "yes", "Yes", "YES", "on", "On", "ON", "y", "Y": return true
            case "false", "False", "FALSE", "no", "No", "NO", "off", "Off", "OFF", "n", "N": return false
            default: break
            }
        }
        throw error(entry.line, "\(section).\(entry.key) must be true or false")
    }

    func version(_ entry: YAMLEntry?, _ section: String) throws(WebConfigError) -> TLSVersion? {
        guard let text = try string(entry, section), let entry else { return nil }
        if let version = TLSVersion(rawValue: text) { return version }
        if text == "TLS10" || text == "TLS11" {
            throw error(entry.line, "\(section).\(entry.key) \(text) is not supported: crisync serves TLS 1.2 and 1.3 only")
        }
        throw error(entry.line, "\(section).\(entry.key): unknown TLS version \"\(escapedForMessage(text))\"; expected TLS12 or TLS13")
    }

    func isEmptyList(_ node: YAMLNode) -> Bool {
        switch node.value {
        case .null: true
        case .sequence(let items): items.isEmpty
        default: false
        }
    }

    /// A mapping of strings to strings, in file order, with each entry's line.
    func stringMap(_ entry: YAMLEntry, _ section: String) throws(WebConfigError) -> [(key: String, value: String, line: Int)] {
        switch entry.value.value {
        case .null:
            return []
        case .mapping(let entries):
            var result: [(key: String, value: String, line: Int)] = []
            for item in entries {
                guard case .scalar(let value, _) = item.value.value else {
                    throw error(item.line, "\(section).\(escapedForMessage(item.key)) must be a string, found \(item.value.value.kindDescription)")
                }
                result.append((item.key, value, item.line))
            }
            return result
        default:
            throw error(entry.line, "\(section) must be a mapping, found \(entry.value.value.kindDescription)")
        }
    }

    /// One of a file path or inline PEM; relative paths are relative to the config file.
    func pem(
        file: String?, inline: String?, fileField: String, inlineField: String, _ section: String, _ line: Int
    ) throws(WebConfigError) -> PEMSource? {
        let file = file.flatMap { $0.isEmpty ? nil : $0 }
        let inline = inline.flatMap { $0.isEmpty ? nil : $0 }
        switch (file, inline) {
        case (nil, nil): return nil
        case (let path?, nil): return .file(path.hasPrefix("/") ? path : directory + "/" + path)
        case (nil, let text?): return .inline(text)
        case (.some, .some): throw error(line, "\(section): set only one of \(fileField) and \(inlineField)")
        }
    }
}
