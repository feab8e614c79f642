import Foundation
import Glibc
import Testing

@testable import Server

/// A PKI for TLS tests: server certificate from `ca`; clients: valid, expired (2020), from an
/// unrelated CA, and one whose certificate is only for servers (wrong extended key usage).
private func makePKI() throws -> TestPKI {
    let pki = try TestPKI()
    try pki.issue("server", usage: .server, commonName: "localhost")
    try pki.issue("client", usage: .client)
    try pki.issue("expired", usage: .client, notBefore: "20200101000000Z", notAfter: "20200201000000Z")
    try pki.makeCA("other-ca")
    try pki.issue("stranger", usage: .client, signer: "other-ca")
    try pki.issue("server-as-client", usage: .server)
    return pki
}

private func tlsConfig(_ pki: TestPKI, _ extra: String = "") -> String {
    """
    tls_server_config:
      cert_file: \(pki.certificate("server"))
      key_file: \(pki.key("server"))
    \(extra)
    """
}

/// A client for `Curl.get`: which certificate it presents, if any.
enum ClientIdentity: String, CaseIterable, CustomTestStringConvertible {
    case none, client, expired, stranger, serverAsClient = "server-as-client"

    var testDescription: String { rawValue }

    func curlArguments(_ pki: TestPKI) -> [String] {
        self == .none ? [] : ["--cert", pki.certificate(rawValue), "--key", pki.key(rawValue)]
    }
}

@Suite("TLS with real certificates and curl")
struct TLSServerTests {
    @Test func servesOverTLSAndRefusesPlainHTTP() throws {
        let pki = try makePKI()
        let directory = try TemporaryDirectory()
        let server = try startConfiguredServer(webConfig: tlsConfig(pki), in: directory)
        defer { server.stop() }
        #expect(server.servesTLS)
        let base = "https://127.0.0.1:\(server.port)"

        let metrics = try Curl.get(base + "/metrics", ["--cacert", pki.certificate("ca")])
        #expect(metrics.exitCode == 0, "\(metrics.log)")
        #expect(metrics.status == 200)
        #expect(metrics.body == demoMetrics)
        #expect(metrics.log.contains("subject: CN=localhost"))
        #expect(try Curl.get(base + "/healthz", ["--cacert", pki.certificate("ca")]).body == "ok\n")

        // curl speaking plain HTTP to the TLS port gets no HTTP answer at all.
        let plain = try Curl.get("http://127.0.0.1:\(server.port)/metrics")
        #expect(plain.wasRefused, "exit \(plain.exitCode), status \(plain.status)")
        // Nor does a raw client: at most a TLS alert record, never "HTTP/" or any metrics.
        let fd = try RawHTTP.connect(port: server.port)
        defer { close(fd) }
        RawHTTP.send(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        let reply = RawHTTP.readAll(fd)
        #expect(!reply.starts(with: Array("HTTP/".utf8)))
        #expect(!String(decoding: reply, as: UTF8.self).contains("up_demo"))
        #expect(reply.count < 64, "\(reply.count) bytes in answer to plain HTTP")

        // A client that does not trust the issuer refuses the server (the server leaks nothing either way).
        let untrusting = try Curl.get(base + "/metrics")
        #expect(untrusting.wasRefused)
    }

    @Test func tls12IsTheDefaultMinimumAndVersionsAreEnforced() throws {
        let pki = try makePKI()
        let directory = try TemporaryDirectory()
        let ca = ["--cacert", pki.certificate("ca")]
        do {
            let server = try startConfiguredServer(webConfig: tlsConfig(pki), in: directory)
            defer { server.stop() }
            let url = "https://127.0.0.1:\(server.port)/metrics"
            let modern = try Curl.get(url, ca)
            #expect(modern.log.contains("SSL connection using TLSv1.3"), "\(modern.log)")
            let tls12 = try Curl.get(url, ca + ["--tls-max", "1.2"])
            #expect(tls12.status == 200)
            #expect(tls12.log.contains("SSL connection using TLSv1.2"))
            // OpenSSL refuses TLS 1.1 at its default security level anyway; lowering it shows that
            // the refusal comes from the server.
            let tls11 = try Curl.get(url, ca + ["--tlsv1.1", "--tls-max", "1.1", "--ciphers", "DEFAULT@SECLEVEL=0"])
            #expect(tls11.wasRefused, "\(tls11.log)")
        }
        do {
            let server = try startConfiguredServer(webConfig: tlsConfig(pki, "  min_version: TLS13"), in: directory)
            defer { server.stop() }
            let url = "https://127.0.0.1:\(server.port)/metrics"
            #expect(try Curl.get(url, ca + ["--tls-max", "1.2"]).wasRefused)
            #expect(try Curl.get(url, ca).status == 200)
        }
        do {
            let server = try startConfiguredServer(webConfig: tlsConfig(pki, "  max_version: TLS12"), in: directory)
            defer { server.stop() }
            let url = "https://127.0.0.1:\(server.port)/metrics"
            #expect(try Curl.get(url, ca + ["--tlsv1.3"]).wasRefused)
            #expect(try Curl.get(url, ca).log.contains("SSL connection using TLSv1.2"))
        }
    }

    /// Go's crypto/tls semantics for each `client_auth_type`, checked with every kind of client,
    /// over TLS 1.3 and TLS 1.2 (where a refused client certificate surfaces differently).
    @Test(arguments: [
        (ClientAuthType.noClientCert, [ClientIdentity.none, .client, .expired, .stranger, .serverAsClient], [ClientIdentity]()),
        (.requestClientCert, [.none, .client, .expired, .stranger, .serverAsClient], []),
        (.requireAnyClientCert, [.client, .expired, .stranger, .serverAsClient], [.none]),
        (.verifyClientCertIfGiven, [.none, .client], [.expired, .stranger, .serverAsClient]),
        (.requireAndVerifyClientCert, [.client], [.none, .expired, .stranger, .serverAsClient]),
    ])
    func clientCertificatePolicies(policy: ClientAuthType, served: [ClientIdentity], refused: [ClientIdentity]) throws {
        let pki = try makePKI()
        let directory = try TemporaryDirectory()
        let caLine = policy == .noClientCert ? "" : "  client_ca_file: \(pki.certificate("ca"))\n"
        let server = try startConfiguredServer(
            webConfig: tlsConfig(pki, "  client_auth_type: \(policy.rawValue)\n" + caLine), in: directory)
        defer { server.stop() }
        let url = "https://127.0.0.1:\(server.port)/metrics"
        for tlsMax in ["1.3", "1.2"] {
            for identity in served {
                let result = try Curl.get(url, ["--cacert", pki.certificate("ca"), "--tls-max", tlsMax] + identity.curlArguments(pki))
                #expect(result.status == 200, "\(policy) TLS \(tlsMax) \(identity): \(result.log)")
                #expect(result.body == demoMetrics)
            }
            for identity in refused {
                let result = try Curl.get(url, ["--cacert", pki.certificate("ca"), "--tls-max", tlsMax] + identity.curlArguments(pki))
                #expect(result.wasRefused, "\(policy) TLS \(tlsMax) \(identity): exit \(result.exitCode) status \(result.status)")
            }
        }
        // A refused handshake never reaches the HTTP layer, so the server is still fine.
        #expect(try Curl.get(url, ["--cacert", pki.certificate("ca")] + ClientIdentity.client.curlArguments(pki)).status == 200)
    }

    @Test func basicAuthOverTLS() throws {
        let pki = try makePKI()
        let directory = try TemporaryDirectory()
        let server = try startConfiguredServer(
            webConfig: tlsConfig(pki, "basic_auth_users:\n  prometheus: \(prometheusHash)\n"), in: directory)
        defer { server.stop() }
        let url = "https://127.0.0.1:\(server.port)/metrics"
        let ca = ["--cacert", pki.certificate("ca")]
        #expect(try Curl.get(url, ca + ["-u", "prometheus:prometheus-scrape"]).body == demoMetrics)
        let wrong = try Curl.get(url, ca + ["-u", "prometheus:guess"])
        #expect(wrong.status == 401)
        #expect(wrong.header("WWW-Authenticate") == "Basic")
        #expect(try Curl.get(url, ca).status == 401)
        #expect(try Curl.get("https://127.0.0.1:\(server.port)/healthz", ca).status == 200)
    }

    @Test func unusableTLSMaterialFailsTheStartWithTheFileNamed() throws {
        let pki = try makePKI()
        let directory = try TemporaryDirectory()
        let configPath = directory.file("web.yml")
        func startError(_ yaml: String) throws -> String? {
            try directory.write("web.yml", yaml)
            let error = #expect(throws: ServerError.self) {
                try HTTPServer.start(
                    ServerConfiguration(listenAddress: ListenAddress(parsing: "127.0.0.1:0"), webConfigFile: configPath))
            }
            return error?.description
        }
        let mismatched = try startError(
            "tls_server_config:\n  cert_file: \(pki.certificate("server"))\n  key_file: \(pki.key("client"))\n")
        #expect(
            mismatched?.hasPrefix(
                "web config \(configPath): tls_server_config.cert_file \(pki.certificate("server")) and tls_server_config.key_file \(pki.key("client")): certificate and key do not form a pair: "
            ) == true, "\(mismatched ?? "")")
        let missing = try startError("tls_server_config:\n  cert_file: nope.crt\n  key_file: \(pki.key("server"))\n")
        #expect(missing == "web config \(configPath): tls_server_config.cert_file \(directory.path)/nope.crt: open: no such file or directory")
        try directory.write("garbage.crt", "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n")
        let garbage = try startError("tls_server_config:\n  cert_file: garbage.crt\n  key_file: \(pki.key("server"))\n")
        #expect(garbage?.hasPrefix("web config \(configPath): tls_server_config.cert_file \(directory.path)/garbage.crt: no usable certificate: ") == true, "\(garbage ?? "")")
        let keyAsCA = try startError(
            tlsConfig(pki, "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: \(pki.key("ca"))\n"))
        #expect(keyAsCA?.hasPrefix("web config \(configPath): tls_server_config.client_ca_file \(pki.key("ca")): no usable CA certificate") == true, "\(keyAsCA ?? "")")
        // Nothing of the key or certificate contents appears in any message.
        let keyText = try String(contentsOfFile: pki.key("client"), encoding: .utf8)
        let keyBody = keyText.split(separator: "\n")[1]
        #expect(![mismatched, missing, garbage, keyAsCA].contains { $0?.contains(keyBody) == true })
    }

    /// exporter-toolkit's own validator (promtool check web-config, Prometheus 2.42) agrees on
    /// what is a valid config.
    @Test func promtoolAgrees() throws {
        let pki = try makePKI()
        let directory = try TemporaryDirectory()
        let cases: [(String, Bool)] = [
            (tlsConfig(pki), true),
            (tlsConfig(pki, "  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: \(pki.certificate("ca"))\n  min_version: TLS13\n"), true),
            (tlsConfig(pki, "basic_auth_users:\n  alice: \(aliceHash)\nhttp_server_config:\n  headers:\n    X-Frame-Options: deny\n"), true),
            ("basic_auth_users:\n  alice: \(aliceHash)\n", true),
            ("tls_server_config:\n  cert_file: \(pki.certificate("server"))\n  key_file: \(pki.key("client"))\n", false),
            ("tls_server_config:\n  cert_file: \(pki.certificate("server"))\n", false),
            (tlsConfig(pki, "  client_ca_file: \(pki.certificate("ca"))\n"), false),
            (tlsConfig(pki, "  client_auth_type: Sometimes\n"), false),
            ("basic_auth_users:\n  alice: not-a-hash\n", false),
            ("tls_server_config:\n  certfile: x\n", false),
            ("http_server_config:\n  headers:\n    Server: x\n", false),
        ]
        for (index, (yaml, valid)) in cases.enumerated() {
            let path = try directory.write("case\(index).yml", yaml)
            let promtool = try Subprocess.run("promtool", ["check", "web-config", path])
            let ours = WebConfigLoader.load(file: path).result
            #expect((promtool.status == 0) == valid, "promtool on case \(index): \(promtool.stdout) \(promtool.stderr)")
            switch ours {
            case .success: #expect(valid, "crisync accepted case \(index)")
            case .failure(let error): #expect(!valid, "crisync refused case \(index): \(error)")
            }
        }
    }
}
