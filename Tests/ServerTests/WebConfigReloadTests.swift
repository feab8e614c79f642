import Foundation
import Testing

@testable import Server

@Suite("Web config reload")
struct WebConfigReloadTests {
    @Test func rotatedCertificateIsServedToNewConnectionsWithoutRestart() throws {
        let pki = try TestPKI()
        try pki.issue("first", usage: .server, commonName: "first")
        try pki.issue("second", usage: .server, commonName: "second")
        let directory = try TemporaryDirectory()
        try replaceFile(directory.file("tls.crt"), withContentsOf: pki.certificate("first"))
        try replaceFile(directory.file("tls.key"), withContentsOf: pki.key("first"))
        let events = EventLog()
        let server = try startConfiguredServer(
            webConfig: "tls_server_config:\n  cert_file: tls.crt\n  key_file: tls.key\n", in: directory, events: events)
        defer { server.stop() }
        let url = "https://127.0.0.1:\(server.port)/metrics"
        let ca = ["--cacert", pki.certificate("ca")]
        #expect(try Curl.get(url, ca).log.contains("subject: CN=first"))

        // What cert-manager does: new files, same names. The config file itself is untouched.
        try replaceFile(directory.file("tls.crt"), withContentsOf: pki.certificate("second"))
        try replaceFile(directory.file("tls.key"), withContentsOf: pki.key("second"))
        let after = try Curl.get(url, ca)
        #expect(after.status == 200)
        #expect(after.log.contains("subject: CN=second"), "\(after.log)")
        try events.wait { if case .webConfigLoaded(_, true, 0, true) = $0 { true } else { false } }
    }

    @Test func changedPasswordsAndHeadersApplyToTheNextRequest() throws {
        let directory = try TemporaryDirectory()
        let events = EventLog()
        let server = try startConfiguredServer(webConfig: "basic_auth_users:\n  alice: \(aliceHash)\n", in: directory, events: events)
        defer { server.stop() }
        let old = ["Authorization": basicAuthorization("alice", "s3cret")]
        let new = ["Authorization": basicAuthorization("alice", "other")]
        #expect(try RawHTTP.request(port: server.port, path: "/metrics", headers: old).status == 200)

        try replaceFile(
            directory.file("web.yml"),
            with: "basic_auth_users:\n  alice: \(aliceOtherHash)\nhttp_server_config:\n  headers:\n    X-Frame-Options: deny\n")
        #expect(try RawHTTP.request(port: server.port, path: "/metrics", headers: old).status == 401)
        let allowed = try RawHTTP.request(port: server.port, path: "/metrics", headers: new)
        #expect(allowed.status == 200)
        #expect(allowed.text == demoMetrics)
        #expect(allowed.header("X-Frame-Options") == "deny")
        // The headers stay on later snapshots too.
        server.publish(prometheusText: Array("x 2\n".utf8), openMetricsText: Array("x 2\n# EOF\n".utf8), landingPage: [])
        let later = try RawHTTP.request(port: server.port, path: "/metrics", headers: new)
        #expect(later.text == "x 2\n")
        #expect(later.header("X-Frame-Options") == "deny")

        // Removing every user turns authentication off again.
        try replaceFile(directory.file("web.yml"), with: "")
        #expect(try RawHTTP.request(port: server.port, path: "/metrics").status == 200)
        #expect(events.all.filter { if case .webConfigLoaded(_, _, _, true) = $0 { true } else { false } }.count == 2)
    }

    @Test func aBrokenEditKeepsThePreviousConfigAndIsReportedOnce() throws {
        let directory = try TemporaryDirectory()
        let events = EventLog()
        let server = try startConfiguredServer(webConfig: "basic_auth_users:\n  alice: \(aliceHash)\n", in: directory, events: events)
        defer { server.stop() }
        let credentials = ["Authorization": basicAuthorization("alice", "s3cret")]
        let path = directory.file("web.yml")
        try replaceFile(path, with: "basic_auth_users:\n  alice: \(aliceHash)\n   bob: x\n")
        for _ in 0..<3 {
            #expect(try RawHTTP.request(port: server.port, path: "/metrics", headers: credentials).status == 200)
        }
        #expect(try RawHTTP.request(port: server.port, path: "/metrics").status == 401)
        let rejections = events.all.filter { if case .webConfigRejected = $0 { true } else { false } }
        #expect(
            rejections == [
                .webConfigRejected(.invalid(file: path, line: 3, message: "unexpected indentation: line 2 already has a value (multi-line values are not supported)"))
            ])
        #expect(rejections.first?.description == "web config \(path):3: unexpected indentation: line 2 already has a value (multi-line values are not supported)")
    }

    @Test func switchingBetweenHTTPAndHTTPSNeedsARestart() throws {
        let pki = try TestPKI()
        try pki.issue("server", usage: .server)
        let directory = try TemporaryDirectory()
        let events = EventLog()
        let server = try startConfiguredServer(webConfig: "", in: directory, events: events)
        defer { server.stop() }
        try replaceFile(
            directory.file("web.yml"), with: "tls_server_config:\n  cert_file: \(pki.certificate("server"))\n  key_file: \(pki.key("server"))\n")
        #expect(try RawHTTP.request(port: server.port, path: "/metrics").status == 200)
        #expect(events.all.contains(.webConfigRejected(.tlsModeChange(file: directory.file("web.yml"), nowTLS: true))))
        #expect(!server.servesTLS)
    }

    @Test func checksAreRateLimited() throws {
        let directory = try TemporaryDirectory()
        let events = EventLog()
        let server = try startConfiguredServer(
            webConfig: "basic_auth_users:\n  alice: \(aliceHash)\n", in: directory, checkInterval: 3600, events: events)
        defer { server.stop() }
        try replaceFile(directory.file("web.yml"), with: "")
        // Within the interval the old config stands, however many connections arrive.
        for _ in 0..<5 { #expect(try RawHTTP.request(port: server.port, path: "/metrics").status == 401) }
        #expect(events.all.count == 1, "\(events.all)")
    }
}
