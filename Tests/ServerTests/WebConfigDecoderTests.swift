import Testing

@testable import Server

private let file = "/etc/crisync/web.yml"
private let hashA = "$2b$04$QJeZ4zi92jQPA4ZMQPZ3cu2wsElNnDZaKn3QroUMR7rnzMN0YI7lK"
private let hashB = "$2y$04$Qzs/muw24p26nZAJEfIFveel/HJg8MSU8eT0F6INqdXCR8yfKgm2a"

private func decode(_ text: String, file: String = file) throws(WebConfigError) -> WebConfig {
    try WebConfigDecoder.decode(Array(text.utf8), file: file)
}

@Suite("Web config decoding (exporter-toolkit rules)")
struct WebConfigDecoderTests {
    @Test(arguments: ["", "{}", "tls_server_config:\nbasic_auth_users:\n", "http_server_config:\n  http2: false\n"])
    func nothingConfiguredIsPlainHTTPWithoutAuth(text: String) throws {
        #expect(try decode(text) == WebConfig())
    }

    @Test func fullConfig() throws {
        let config = try decode(
            """
            tls_server_config:
              cert_file: tls/server.crt
              key_file: /abs/server.key
              client_auth_type: RequireAndVerifyClientCert
              client_ca_file: ca.crt
              min_version: TLS13
              prefer_server_cipher_suites: no
            http_server_config:
              http2: true
              headers:
                X-Frame-Options: deny
                Strict-Transport-Security: max-age=31536000
            basic_auth_users:
              prometheus: \(hashA)
              alice: "\(hashB)"
            """)
        #expect(
            config.tls
                == TLSServerSettings(
                    certificate: .file("/etc/crisync/tls/server.crt"), key: .file("/abs/server.key"),
                    clientCA: .file("/etc/crisync/ca.crt"), clientAuth: .requireAndVerifyClientCert, minVersion: .tls13,
                    maxVersion: .tls13, preferServerCipherSuites: false))
        #expect(config.basicAuthUsers.map(\.name) == ["alice", "prometheus"])
        #expect(config.basicAuthUsers.map(\.passwordHash) == [hashB, hashA])
        #expect(
            config.headers == [
                HTTPHeaderField(name: "Strict-Transport-Security", value: "max-age=31536000"),
                HTTPHeaderField(name: "X-Frame-Options", value: "deny"),
            ])
    }

    @Test func relativePathsResolveAgainstTheConfigDirectory() throws {
        let tls = try #require(try decode("tls_server_config:\n  cert_file: a.crt\n  key_file: ../k.key\n", file: "web.yml").tls)
        #expect(tls.certificate == .file("./a.crt"))
        #expect(tls.key == .file("./../k.key"))
        let rooted = try #require(try decode("tls_server_config:\n  cert_file: a.crt\n  key_file: k\n", file: "/web.yml").tls)
        #expect(rooted.certificate == .file("//a.crt"))
    }

    @Test func inlinePEMAndOldClientAuthSpelling() throws {
        let tls = try #require(
            try decode(
                """
                tls_server_config:
                  cert: |
                    -----BEGIN CERTIFICATE-----
                    AAAA
                    -----END CERTIFICATE-----
                  key: "-----BEGIN PRIVATE KEY-----\\nBBBB\\n-----END PRIVATE KEY-----\\n"
                  client_auth_type: RequireClientCert
                """
            ).tls)
        #expect(tls.certificate == .inline("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n"))
        #expect(tls.key == .inline("-----BEGIN PRIVATE KEY-----\nBBBB\n-----END PRIVATE KEY-----\n"))
        #expect(tls.clientAuth == .requireAnyClientCert)
    }

    @Test(arguments: [
        (TLSVersion.tls12, TLSVersion.tls13, true, "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:%SERVER_PRECEDENCE"),
        (.tls13, .tls13, false, "NORMAL:-VERS-ALL:+VERS-TLS1.3"),
        (.tls12, .tls12, false, "NORMAL:-VERS-ALL:+VERS-TLS1.2"),
    ])
    func priorityStrings(min: TLSVersion, max: TLSVersion, prefer: Bool, expected: String) {
        let settings = TLSServerSettings(
            certificate: .file("c"), key: .file("k"), minVersion: min, maxVersion: max, preferServerCipherSuites: prefer)
        #expect(settings.gnutlsPriorities == expected)
    }

    /// Every refusal names the file and line and says what to do; none quotes a hash.
    @Test(arguments: [
        ("tls: {}\n", 1, "unknown field \"tls\" in the web config; known fields: tls_server_config, http_server_config, basic_auth_users, rate_limit"),
        ("tls_server_config:\n  certfile: x\n", 2,
         "unknown field \"certfile\" in tls_server_config; known fields: cert_file, key_file, cert, key, client_ca_file, client_ca, client_auth_type, min_version, max_version, prefer_server_cipher_suites, cipher_suites, curve_preferences, client_allowed_sans"),
        ("tls_server_config:\n  cert_file: a\n", 1, "tls_server_config: missing one of key or key_file"),
        ("tls_server_config:\n  key_file: a\n", 1, "tls_server_config: missing one of cert or cert_file"),
        ("tls_server_config:\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca\n", 1,
         "tls_server_config: missing one of cert or cert_file"),
        ("tls_server_config:\n  cert_file: a\n  cert: b\n  key_file: k\n", 1, "tls_server_config: set only one of cert_file and cert"),
        ("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: Sometimes\n", 4,
         "tls_server_config.client_auth_type: unknown value \"Sometimes\"; expected one of NoClientCert, RequestClientCert, RequireAnyClientCert, VerifyClientCertIfGiven, RequireAndVerifyClientCert"),
        ("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: ca\n", 4,
         "tls_server_config: client CAs are configured but client_auth_type is NoClientCert; set a client auth policy or remove them"),
        ("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: VerifyClientCertIfGiven\n", 4,
         "tls_server_config.client_auth_type VerifyClientCertIfGiven verifies client certificates: set client_ca_file (or client_ca)"),
        ("tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS11\n", 4,
         "tls_server_config.min_version TLS11 is not supported: crisync serves TLS 1.2 and 1.3 only"),
        ("tls_server_config:\n  cert_file: a\n  key_file: b\n  max_version: SSL3\n", 4,
         "tls_server_config.max_version: unknown TLS version \"SSL3\"; expected TLS12 or TLS13"),
        ("tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS13\n  max_version: TLS12\n", 4,
         "tls_server_config: min_version TLS13 is above max_version TLS12"),
        ("tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: [TLS_AES_128_GCM_SHA256]\n", 4,
         "tls_server_config.cipher_suites is not supported by crisync: crisync's TLS library (GnuTLS) uses its NORMAL suites, TLS 1.2 and later only; remove the list"),
        ("tls_server_config:\n  min_version: TLS13\n", 2, "tls_server_config sets TLS versions but no cert_file and key_file"),
        ("tls_server_config:\n  cert_file: [a]\n", 2, "tls_server_config.cert_file must be a string, found a list"),
        ("tls_server_config: yes\n", 1, "tls_server_config must be a mapping, found a string"),
        ("tls_server_config:\n  cert_file: a\n  key_file: b\n  prefer_server_cipher_suites: \"true\"\n", 4,
         "tls_server_config.prefer_server_cipher_suites must be true or false"),
        ("http_server_config:\n  headers:\n    Server: crisync\n", 3,
         "http_server_config.headers: HTTP header \"Server\" can not be configured; allowed: Content-Security-Policy, Strict-Transport-Security, X-Content-Type-Options, X-Frame-Options, X-XSS-Protection"),
        ("http_server_config:\n  headers:\n    X-Frame-Options: allow\n", 3,
         "http_server_config.headers: invalid value for X-Frame-Options; expected one of deny, sameorigin"),
        ("http_server_config:\n  headers:\n    Content-Security-Policy: \"a\\r\\nSet-Cookie: x\"\n", 3,
         "http_server_config.headers: the value of Content-Security-Policy contains a control character"),
        ("basic_auth_users:\n  alice: plaintext-password\n", 2,
         "basic_auth_users.alice: not a bcrypt hash ($2y$, $2b$ or $2a$, e.g. from htpasswd -nBC 10 alice)"),
        ("basic_auth_users:\n  alice: \"$6$rounds=5000$salt$hash\"\n", 2,
         "basic_auth_users.alice: not a bcrypt hash ($2y$, $2b$ or $2a$, e.g. from htpasswd -nBC 10 alice)"),
        ("basic_auth_users:\n  \"a:b\": \(hashA)\n", 2, "basic_auth_users: a user name must be non-empty and must not contain \":\""),
        ("basic_auth_users:\n  alice:\n    nested: x\n", 2, "basic_auth_users.alice must be a string, found a mapping"),
        ("basic_auth_users:\n  alice: $2y$31$Qzs/muw24p26nZAJEfIFveel/HJg8MSU8eT0F6INqdXCR8yfKgm2a\n", 2,
         "basic_auth_users.alice: bcrypt cost 31 is above 17: every new credential would take seconds to check"),
        ("rate_limit:\n  burst: 10\n", 1, "rate_limit is not supported by crisync; --web.max-requests caps concurrent scrapes instead"),
        ("basic_auth_users:\n  a: 1\n  a: 2\n", 3, "key \"a\" appears twice in the same mapping"),
        // Found by fuzzing (fuzz/corpus/web-config/escaped-cr-key): text from the file is escaped, one line.
        ("\"[\\r\": b", 1, #"unknown field "[\r" in the web config; known fields: tls_server_config, http_server_config, basic_auth_users, rate_limit"#),
        ("basic_auth_users:\n  \"a\\nb\": x\n", 2, #"basic_auth_users.a\nb: not a bcrypt hash ($2y$, $2b$ or $2a$, e.g. from htpasswd -nBC 10 a\nb)"#),
        ("x: 1\n\"x\": 2\n\"\\ty\": 3\n\"\\ty\": 4\n", 2, "key \"x\" appears twice in the same mapping"),
        ("a:\n  \"\\t\": 1\n  \"\\t\": 2\n", 3, #"key "\t" appears twice in the same mapping"#),
    ])
    func refusals(text: String, line: Int, message: String) {
        let error = #expect(throws: WebConfigError.self) { try decode(text) }
        #expect(error == .invalid(file: file, line: line, message: message))
        #expect(error?.description == "web config \(file):\(line): \(message)")
        #expect(!(error?.description.contains("QJeZ4zi") ?? true), "a hash leaked into the message")
    }
}
