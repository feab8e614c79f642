import Foundation
import KubeletReader
import KubeletTestSupport
import Model
import Testing

/// The reader against the fake kubelet over HTTPS, with certificates made by `openssl`.
@Suite("Kubelet reader over HTTPS")
struct KubeletReaderTLSTests {
    /// Certificates for one test, in a directory removed afterwards.
    struct Setup {
        let directory: TemporaryDirectory
        let trusted: TestCertificates
        /// A second CA that did not sign the fake's certificate.
        let stranger: TestCertificates
        let tokenFile: String

        init(subjectAltNames: [String] = ["IP:127.0.0.1", "DNS:localhost"]) throws {
            directory = try TemporaryDirectory()
            trusted = try TestCertificates.make(in: directory.path, name: "trusted", subjectAltNames: subjectAltNames)
            stranger = try TestCertificates.make(in: directory.path, name: "stranger")
            tokenFile = try directory.write("token", "kubelet-reader-token\n")
        }
    }

    func expectTLSFailure(_ error: KubeletReaderError?, url: String, mentioning words: [String]) {
        guard case .tlsFailure(let failedURL, let reason) = error else {
            Issue.record("expected a TLS failure, got \(String(describing: error))")
            return
        }
        #expect(failedURL == url)
        for word in words {
            #expect(reason.contains(word), "\(reason)")
        }
    }

    @Test("succeeds with the token and the CA")
    func tokenAndCA() async throws {
        let setup = try Setup()
        defer { setup.directory.remove() }
        let configuration = KubeletReaderConfiguration(tokenFile: setup.tokenFile, caFile: setup.trusted.caCertificatePath)
        try await withFakeKubelet(tls: setup.trusted.serverTLS, reader: configuration) { fake, reader in
            #expect(fake.url.hasPrefix("https://"))
            fake.setRequiredToken("kubelet-reader-token")
            fake.setPods(samplePods)
            let snapshot = try await reader.readPods()
            #expect(snapshot.pods == samplePods)
            #expect(fake.requests.last?.authorization == "Bearer kubelet-reader-token")
        }
    }

    @Test("fails clearly without the CA (system roots do not know the test CA)")
    func withoutCA() async throws {
        let setup = try Setup()
        defer { setup.directory.remove() }
        try await withFakeKubelet(
            tls: setup.trusted.serverTLS, reader: KubeletReaderConfiguration(tokenFile: setup.tokenFile)
        ) { fake, reader in
            fake.setPods(samplePods)
            let error = await readFailure(reader)
            expectTLSFailure(error, url: fake.url + "/pods", mentioning: ["not signed by a trusted CA", "CERTIFICATE_VERIFY_FAILED"])
            #expect(fake.requests.isEmpty, "no request may reach an unverified server")
        }
    }

    @Test("fails clearly with the wrong CA")
    func wrongCA() async throws {
        let setup = try Setup()
        defer { setup.directory.remove() }
        let configuration = KubeletReaderConfiguration(caFile: setup.stranger.caCertificatePath)
        try await withFakeKubelet(tls: setup.trusted.serverTLS, reader: configuration) { fake, reader in
            expectTLSFailure(await readFailure(reader), url: fake.url + "/pods", mentioning: ["CERTIFICATE_VERIFY_FAILED"])
        }
    }

    @Test("with the token missing, TLS succeeds and the kubelet answers 401")
    func missingToken() async throws {
        let setup = try Setup()
        defer { setup.directory.remove() }
        let configuration = KubeletReaderConfiguration(caFile: setup.trusted.caCertificatePath)
        try await withFakeKubelet(tls: setup.trusted.serverTLS, reader: configuration) { fake, reader in
            fake.setRequiredToken("kubelet-reader-token")
            #expect(await readFailure(reader) == .unauthorized(url: fake.url + "/pods", message: "Unauthorized"))
        }
    }

    @Test("a certificate for another host fails full verification, passes without hostname verification")
    func hostnameMismatch() async throws {
        // A self-signed-style kubelet certificate names the node, not 127.0.0.1.
        let setup = try Setup(subjectAltNames: ["DNS:node-a"])
        defer { setup.directory.remove() }
        let strict = KubeletReaderConfiguration(caFile: setup.trusted.caCertificatePath)
        try await withFakeKubelet(tls: setup.trusted.serverTLS, reader: strict) { fake, reader in
            let error = await readFailure(reader)
            guard case .tlsFailure(_, let reason) = error else {
                Issue.record("expected a TLS failure, got \(String(describing: error))")
                return
            }
            #expect(reason.lowercased().contains("hostname"), "\(reason)")
        }
        let lenient = KubeletReaderConfiguration(
            caFile: setup.trusted.caCertificatePath, certificateVerification: .noHostnameVerification)
        try await withFakeKubelet(tls: setup.trusted.serverTLS, reader: lenient) { fake, reader in
            fake.setPods(samplePods)
            let snapshot = try await reader.readPods()
            #expect(snapshot.pods == samplePods)
        }
        // Skipping the hostname does not skip the chain: a stranger's CA still fails.
        let lenientWrongCA = KubeletReaderConfiguration(
            caFile: setup.stranger.caCertificatePath, certificateVerification: .noHostnameVerification)
        try await withFakeKubelet(tls: setup.trusted.serverTLS, reader: lenientWrongCA) { fake, reader in
            expectTLSFailure(await readFailure(reader), url: fake.url + "/pods", mentioning: ["CERTIFICATE_VERIFY_FAILED"])
        }
    }

    @Test("insecure-skip-tls-verify accepts any certificate")
    func insecureSkipVerify() async throws {
        let setup = try Setup(subjectAltNames: ["DNS:node-a"])
        defer { setup.directory.remove() }
        let configuration = KubeletReaderConfiguration(certificateVerification: .insecureSkipVerify)
        try await withFakeKubelet(tls: setup.trusted.serverTLS, reader: configuration) { fake, reader in
            fake.setPods(samplePods)
            let snapshot = try await reader.readPods()
            #expect(snapshot.pods == samplePods)
        }
    }

    @Test("a replaced CA file is picked up at the next read")
    func caReplaced() async throws {
        let setup = try Setup()
        defer { setup.directory.remove() }
        let wrongCA = try String(contentsOfFile: setup.stranger.caCertificatePath, encoding: .utf8)
        let rightCA = try String(contentsOfFile: setup.trusted.caCertificatePath, encoding: .utf8)
        let caFile = try setup.directory.write("ca.crt", wrongCA)
        let configuration = KubeletReaderConfiguration(caFile: caFile)
        try await withFakeKubelet(tls: setup.trusted.serverTLS, reader: configuration) { fake, reader in
            fake.setPods(samplePods)
            expectTLSFailure(await readFailure(reader), url: fake.url + "/pods", mentioning: ["CERTIFICATE_VERIFY_FAILED"])
            try setup.directory.write("ca.crt", rightCA)
            let snapshot = try await reader.readPods()
            #expect(snapshot.pods == samplePods)
            // And back: an idle kept-alive connection made under the old CA must not be reused.
            try setup.directory.write("ca.crt", wrongCA)
            expectTLSFailure(await readFailure(reader), url: fake.url + "/pods", mentioning: ["CERTIFICATE_VERIFY_FAILED"])
        }
    }

    @Test("an unreadable or invalid CA file is its own error")
    func caFileProblems() async throws {
        let setup = try Setup()
        defer { setup.directory.remove() }
        let missing = setup.directory.file("no-such-ca.crt")
        try await withFakeKubelet(tls: setup.trusted.serverTLS, reader: KubeletReaderConfiguration(caFile: missing)) {
            fake, reader in
            #expect(await readFailure(reader) == .caFileInvalid(path: missing, reason: "No such file or directory"))
            #expect(fake.requests.isEmpty)
        }
        let garbage = try setup.directory.write("garbage.crt", "this is not a certificate\n")
        try await withFakeKubelet(tls: setup.trusted.serverTLS, reader: KubeletReaderConfiguration(caFile: garbage)) {
            _, reader in
            let error = await readFailure(reader)
            guard case .caFileInvalid(let path, _) = error else {
                Issue.record("expected caFileInvalid, got \(String(describing: error))")
                return
            }
            #expect(path == garbage)
        }
    }

    @Test("https:// against a plain HTTP port is a TLS failure saying so")
    func httpsToPlainPort() async throws {
        let fake = try await FakeKubelet.start()
        let url = fake.url.replacingOccurrences(of: "http://", with: "https://")
        let reader = try KubeletReader(configuration: KubeletReaderConfiguration(url: url, certificateVerification: .insecureSkipVerify))
        let error = await readFailure(reader)
        guard case .tlsFailure(let failedURL, _) = error else {
            Issue.record("expected a TLS failure, got \(String(describing: error))")
            try await reader.shutdown()
            await fake.stop()
            return
        }
        #expect(failedURL == url + "/pods")
        try await reader.shutdown()
        await fake.stop()
    }

    @Test("http:// against the TLS port fails without hanging")
    func httpToTLSPort() async throws {
        let setup = try Setup()
        defer { setup.directory.remove() }
        let fake = try await FakeKubelet.start(tls: setup.trusted.serverTLS)
        let url = fake.url.replacingOccurrences(of: "https://", with: "http://")
        let reader = try KubeletReader(configuration: KubeletReaderConfiguration(url: url, timeoutSeconds: 2))
        let clock = ContinuousClock()
        let start = clock.now
        let error = await readFailure(reader)
        #expect(error != nil)
        #expect(clock.now - start < .seconds(3))
        if case .connectionFailed(let failedURL, _) = error {
            #expect(failedURL == url + "/pods")
        } else {
            Issue.record("expected connectionFailed, got \(String(describing: error))")
        }
        try await reader.shutdown()
        await fake.stop()
    }
}
