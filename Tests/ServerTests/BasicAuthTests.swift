import Foundation
import Testing

@testable import Server

/// bcrypt hashes made with the system's crypt (python3 crypt.METHOD_BLOWFISH): cost 4 keeps tests fast.
let aliceHash = "$2b$04$QJeZ4zi92jQPA4ZMQPZ3cu2wsElNnDZaKn3QroUMR7rnzMN0YI7lK"  // s3cret
let aliceOtherHash = "$2b$04$Qzs/muw24p26nZAJEfIFveel/HJg8MSU8eT0F6INqdXCR8yfKgm2a"  // other
let prometheusHash = "$2y$05$ayhN8dKa/iG3co/E6/vylujvjAmKVFMawHU5VNMoHU5IfmM/eagUi"  // prometheus-scrape, as htpasswd writes it
let aliceCost10Hash = "$2b$10$a.PvRULbHs3EIuUA9ZmWdu4izxplPG5VW4U6gxolyk0mM0e1jlPu."  // s3cret

func basicAuthorization(_ user: String, _ password: String) -> String {
    "Basic " + Data("\(user):\(password)".utf8).base64EncodedString()
}

private func decodeHeader(_ value: String) -> (user: String, password: String)? {
    var output = [UInt8](repeating: 0, count: BasicAuthHeader.maxDecodedLength)
    let bytes = Array(value.utf8)
    let result = bytes.withUnsafeBufferPointer { input in
        output.withUnsafeMutableBufferPointer { BasicAuthHeader.decode(input, into: $0) }
    }
    guard let (length, colon) = result else { return nil }
    return (String(decoding: output[..<colon], as: UTF8.self), String(decoding: output[(colon + 1)..<length], as: UTF8.self))
}

@Suite("Basic auth")
struct BasicAuthTests {
    @Test(arguments: [
        (basicAuthorization("alice", "s3cret"), "alice", "s3cret"),
        ("basic " + Data("a:b:c".utf8).base64EncodedString(), "a", "b:c"),
        ("BASIC " + Data(":".utf8).base64EncodedString(), "", ""),
        (basicAuthorization("üser", "pässword"), "üser", "pässword"),
    ])
    func decodesCredentials(header: String, user: String, password: String) throws {
        let decoded = try #require(decodeHeader(header))
        #expect(decoded.user == user)
        #expect(decoded.password == password)
    }

    @Test(arguments: [
        "", "Basic", "Basic ", "Bearer YWxpY2U6czNjcmV0", "Basic  YWxpY2U6czNjcmV0", "Basic YWxpY2U6czNjcmV0 ", "Basic YWxpY2U6czNjcmV",
        "Basic YWxpY2U=", "Basic ====", "Basic YW=x", "Basic YWx=ZQ==", "Basic YWxp*2U6", "Basic " + String(repeating: "QUFB", count: 300),
        "Digest username=\"alice\"",
    ])
    func refusesMalformedHeaders(header: String) {
        #expect(decodeHeader(header) == nil)
    }

    @Test func authenticatorChecksCachesAndForgetsOnReplace() throws {
        let authenticator = BasicAuthenticator()
        #expect(!authenticator.isEnabled)
        authenticator.replaceUsers([BasicAuthUser(name: "alice", passwordHash: aliceCost10Hash)])
        #expect(authenticator.isEnabled)
        let right = basicAuthorization("alice", "s3cret")
        let first = ContinuousClock().measure { #expect(authenticator.authorizeHeader(right)) }
        let second = ContinuousClock().measure { #expect(authenticator.authorizeHeader(right)) }
        // Cost 10 is tens of milliseconds; a cache hit is an HMAC (microseconds, unless preempted).
        #expect(second < first / 4, "cache miss \(first), hit \(second)")
        #expect(!authenticator.authorizeHeader(basicAuthorization("alice", "wrong")))
        #expect(!authenticator.authorizeHeader(basicAuthorization("mallory", "s3cret")))
        #expect(!authenticator.authorizeHeader(nil))
        #expect(!authenticator.authorizeHeader("Basic !!!!"))

        authenticator.replaceUsers([BasicAuthUser(name: "alice", passwordHash: aliceOtherHash)])
        #expect(!authenticator.authorizeHeader(right), "a cached success survived a change of password")
        #expect(authenticator.authorizeHeader(basicAuthorization("alice", "other")))
        authenticator.replaceUsers([])
        #expect(!authenticator.isEnabled)
    }

    @Test func unknownUsersCostABcryptCheckToo() throws {
        let authenticator = BasicAuthenticator()
        authenticator.replaceUsers([BasicAuthUser(name: "alice", passwordHash: aliceCost10Hash)])
        let known = ContinuousClock().measure { _ = authenticator.authorizeHeader(basicAuthorization("alice", "wrong-1")) }
        let unknown = ContinuousClock().measure { _ = authenticator.authorizeHeader(basicAuthorization("nobody", "wrong-1")) }
        // Both run one cost-10 bcrypt; an unknown user answering much faster would reveal who exists.
        #expect(unknown > known / 3, "known \(known), unknown \(unknown)")
    }

    @Test func httpRequestsNeedCredentialsExceptHealthz() throws {
        let directory = try TemporaryDirectory()
        let server = try startConfiguredServer(
            webConfig: """
                basic_auth_users:
                  alice: \(aliceHash)
                http_server_config:
                  headers:
                    X-Content-Type-Options: nosniff
                """, in: directory)
        defer { server.stop() }
        let port = server.port

        let missing = try RawHTTP.request(port: port, path: "/metrics")
        #expect(missing.status == 401)
        #expect(missing.header("WWW-Authenticate") == "Basic")
        #expect(missing.text == "Unauthorized\n")
        #expect(missing.header("X-Content-Type-Options") == "nosniff")

        // Wrong password, unknown user, garbage: byte-for-byte the same answer, nothing to learn from it.
        for authorization in [basicAuthorization("alice", "wrong"), basicAuthorization("bob", "s3cret"), "Basic %%%", "Bearer token"] {
            let refused = try RawHTTP.request(port: port, path: "/metrics", headers: ["Authorization": authorization])
            #expect(refused.status == 401, "\(authorization)")
            #expect(refused.headers.filter { $0.key != "date" } == missing.headers.filter { $0.key != "date" })
            #expect(refused.body == missing.body)
        }
        // Unknown paths and other methods do not reveal the routing either.
        #expect(try RawHTTP.request(port: port, path: "/nowhere").status == 401)
        #expect(try RawHTTP.request(port: port, method: "POST", path: "/metrics").status == 401)
        #expect(try RawHTTP.request(port: port, method: "HEAD", path: "/").status == 401)

        let allowed = try RawHTTP.request(port: port, path: "/metrics", headers: ["Authorization": basicAuthorization("alice", "s3cret")])
        #expect(allowed.status == 200)
        #expect(allowed.text == demoMetrics)
        #expect(allowed.header("X-Content-Type-Options") == "nosniff")
        let notFound = try RawHTTP.request(port: port, path: "/nowhere", headers: ["Authorization": basicAuthorization("alice", "s3cret")])
        #expect(notFound.status == 404)

        let health = try RawHTTP.request(port: port, path: "/healthz")
        #expect(health.status == 200)
        #expect(health.text == "ok\n")
        #expect(health.header("X-Content-Type-Options") == "nosniff")
    }

    @Test func curlWithBasicAuth() throws {
        let directory = try TemporaryDirectory()
        let server = try startConfiguredServer(webConfig: "basic_auth_users:\n  prometheus: \(prometheusHash)\n", in: directory)
        defer { server.stop() }
        let url = "http://127.0.0.1:\(server.port)/metrics"
        let ok = try Curl.get(url, ["-u", "prometheus:prometheus-scrape"])
        #expect(ok.status == 200)
        #expect(ok.body == demoMetrics)
        let wrong = try Curl.get(url, ["-u", "prometheus:nope"])
        #expect(wrong.status == 401)
        #expect(wrong.header("WWW-Authenticate") == "Basic")
        #expect(wrong.body == "Unauthorized\n")
    }
}

extension BasicAuthenticator {
    /// Test convenience: the header as a Swift string.
    func authorizeHeader(_ header: String?) -> Bool {
        guard let header else { return authorize(nil) }
        return header.withCString { authorize($0) }
    }
}
