import Foundation
import KubeletReader
import KubeletTestSupport
import Model
import Testing

/// The reader against the fake kubelet over real sockets, plain HTTP: each failure mode.
@Suite("Kubelet reader over HTTP")
struct KubeletReaderHTTPTests {
    @Test("reads the pods the fake kubelet serves")
    func readsPods() async throws {
        try await withFakeKubelet { fake, reader in
            fake.setPods(samplePods)
            let snapshot = try await reader.readPods()
            #expect(snapshot == KubeletSnapshot(pods: samplePods))
            #expect(fake.requests.map(\.uri) == ["/pods"])
            #expect(fake.requests.first?.authorization == nil)
            #expect(fake.requests.first?.method == "GET")
        }
    }

    @Test("decodes a real-shaped node PodList served as raw bytes")
    func servesFixtureBytes() async throws {
        let body = try fixture("node.json")
        try await withFakeKubelet { fake, reader in
            fake.setPodListBody([UInt8](body))
            let snapshot = try await reader.readPods()
            #expect(snapshot == (try PodListDecoder.decode(body)))
            #expect(snapshot.pods.count == 5)
        }
    }

    @Test("an unchanged body gives the same pods, a changed or broken one is seen")
    func unchangedBodyGivesTheSamePodsAndChangesAreSeen() async throws {
        let body = try fixture("node.json")
        try await withFakeKubelet { fake, reader in
            fake.setPodListBody([UInt8](body))
            let first = try await reader.readPods()
            #expect(try await reader.readPods() == first)
            fake.setPods(samplePods)
            #expect(try await reader.readPods() == KubeletSnapshot(pods: samplePods))
            fake.setPodListBody(Array("{\"kind\":\"PodList\",\"items\":[".utf8))
            await #expect(throws: KubeletReaderError.self) { try await reader.readPods() }
            fake.setPodListBody([UInt8](body))
            #expect(try await reader.readPods() == first)
            #expect(fake.requests.count == 5, "every read still asks the kubelet")
        }
    }

    @Test("the same pods in another order on every request, as the real kubelet serves them, decode to the same pods")
    func podsInAnotherOrderEachRequest() async throws {
        try await withFakeKubelet { fake, reader in
            let orders = [samplePods, samplePods.reversed()]
            fake.setPodListBodies(orders.map(KubeletPodListEncoder.encode))
            let first = try await reader.readPods()
            let second = try await reader.readPods()
            let third = try await reader.readPods()
            #expect(first.pods == orders[0])
            #expect(second.pods == orders[1])
            #expect(third == first)
            #expect(Set(second.pods.map(\.uid)) == Set(first.pods.map(\.uid)))
        }
    }

    @Test("concurrent reads share one client")
    func concurrentReads() async throws {
        try await withFakeKubelet { fake, reader in
            fake.setPods(samplePods)
            try await withThrowingTaskGroup(of: KubeletSnapshot.self) { group in
                for _ in 0..<8 { group.addTask { try await reader.readPods() } }
                for try await snapshot in group { #expect(snapshot.pods == samplePods) }
            }
            #expect(fake.requests.count == 8)
        }
    }

    @Test("401 without a token carries the Status message")
    func unauthorizedWithoutToken() async throws {
        try await withFakeKubelet { fake, reader in
            fake.setRequiredToken("secret")
            let error = await readFailure(reader)
            #expect(error == .unauthorized(url: fake.url + "/pods", message: "Unauthorized"))
            #expect(error?.description.contains("401") == true)
            #expect(error?.description.contains(fake.url + "/pods") == true)
        }
    }

    @Test("401 with a wrong token")
    func unauthorizedWithWrongToken() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let tokenFile = try directory.write("token", "not-the-token\n")
        try await withFakeKubelet(reader: KubeletReaderConfiguration(tokenFile: tokenFile)) { fake, reader in
            fake.setRequiredToken("secret")
            #expect(await readFailure(reader) == .unauthorized(url: fake.url + "/pods", message: "Unauthorized"))
            #expect(fake.requests.last?.authorization == "Bearer not-the-token")
        }
    }

    @Test("403 carries the kubelet's plain-text reason")
    func forbidden() async throws {
        try await withFakeKubelet { fake, reader in
            fake.setMode(.forbidden)
            let error = await readFailure(reader)
            #expect(
                error
                    == .forbidden(
                        url: fake.url + "/pods",
                        message:
                            "Forbidden (user=system:serviceaccount:monitoring:crisync, verb=get, resource=nodes, subresource(s)=[proxy])"
                    ))
        }
    }

    @Test("500 is a server error with the Status message")
    func serverError() async throws {
        try await withFakeKubelet { fake, reader in
            fake.setMode(.serverError)
            #expect(
                await readFailure(reader)
                    == .serverError(url: fake.url + "/pods", status: 500, message: "fake-kubelet: injected internal error"))
            // The same reader recovers when the kubelet does.
            fake.setMode(.ok)
            fake.setPods(samplePods)
            let snapshot = try await reader.readPods()
            #expect(snapshot.pods == samplePods)
        }
    }

    @Test("a wrong path is an unexpected status with the body as message")
    func notFound() async throws {
        let fake = try await FakeKubelet.start()
        let reader = try KubeletReader(configuration: KubeletReaderConfiguration(url: fake.url + "/api/"))
        #expect(
            await readFailure(reader)
                == .unexpectedStatus(url: fake.url + "/api/pods", status: 404, message: "404 page not found"))
        try await reader.shutdown()
        await fake.stop()
    }

    @Test(
        "a slow kubelet times out within the timeout",
        arguments: [FakeKubeletMode.slowHead(.seconds(20)), .slowBody(.seconds(20)), .trickle(.milliseconds(100))])
    func slow(mode: FakeKubeletMode) async throws {
        let configuration = KubeletReaderConfiguration(timeoutSeconds: 0.5)
        try await withFakeKubelet(reader: configuration) { fake, reader in
            fake.setPods(samplePods)
            fake.setMode(mode)
            let clock = ContinuousClock()
            let start = clock.now
            let error = await readFailure(reader)
            let elapsed = clock.now - start
            #expect(error == .timeout(url: fake.url + "/pods", seconds: 0.5))
            #expect(elapsed >= .milliseconds(450))
            #expect(elapsed < .milliseconds(2500), "took \(elapsed)")
        }
    }

    @Test("a slow kubelet within the timeout is fine")
    func slowButInTime() async throws {
        try await withFakeKubelet(reader: KubeletReaderConfiguration(timeoutSeconds: 3)) { fake, reader in
            fake.setPods(samplePods)
            fake.setMode(.slowBody(.milliseconds(300)))
            let snapshot = try await reader.readPods()
            #expect(snapshot.pods == samplePods)
            fake.setMode(.slowHead(.milliseconds(300)))
            let snapshot2 = try await reader.readPods()
            #expect(snapshot2.pods == samplePods)
        }
    }

    @Test("garbage is malformed JSON")
    func garbage() async throws {
        try await withFakeKubelet { fake, reader in
            fake.setMode(.garbage)
            let error = try #require(await readFailure(reader))
            guard case .malformedJSON(let url, let reason) = error else {
                Issue.record("expected malformedJSON, got \(error)")
                return
            }
            #expect(url == fake.url + "/pods")
            #expect(reason.contains("invalid JSON"), "\(reason)")
        }
    }

    @Test("a truncated body with a matching length is malformed JSON")
    func truncated() async throws {
        try await withFakeKubelet { fake, reader in
            fake.setPods(samplePods)
            fake.setMode(.truncated)
            let error = try #require(await readFailure(reader))
            guard case .malformedJSON = error else {
                Issue.record("expected malformedJSON, got \(error)")
                return
            }
        }
    }

    @Test("a connection dropped mid-body is a connection failure, not a partial decode")
    func droppedMidBody() async throws {
        try await withFakeKubelet { fake, reader in
            fake.setPods(samplePods)
            fake.setMode(.droppedMidBody)
            let error = try #require(await readFailure(reader))
            guard case .connectionFailed(let url, _) = error else {
                Issue.record("expected connectionFailed, got \(error)")
                return
            }
            #expect(url == fake.url + "/pods")
        }
    }

    @Test(
        "a body over max-bytes is refused without reading it all",
        arguments: [true, false])
    func bodyTooLarge(declaresLength: Bool) async throws {
        let limit = 1 << 20
        try await withFakeKubelet(reader: KubeletReaderConfiguration(maxBodyBytes: limit)) { fake, reader in
            fake.setMode(.huge(bytes: 100_000_000, declaresLength: declaresLength))
            let clock = ContinuousClock()
            let start = clock.now
            #expect(await readFailure(reader) == .bodyTooLarge(url: fake.url + "/pods", limitBytes: limit))
            #expect(clock.now - start < .seconds(3))
            // Give the fake time to notice the hang-up, then check how much it managed to send.
            try await Task.sleep(for: .milliseconds(200))
            #expect(fake.bytesWritten < 10_000_000, "the socket took \(fake.bytesWritten) bytes")
        }
    }

    @Test("the limit is exact: a body of max-bytes is read, one byte more is refused")
    func exactLimit() async throws {
        let size = 300_000
        for declaresLength in [true, false] {
            try await withFakeKubelet(reader: KubeletReaderConfiguration(maxBodyBytes: size)) { fake, reader in
                fake.setMode(.huge(bytes: size, declaresLength: declaresLength))
                let snapshot = try await reader.readPods()
                #expect(snapshot.pods.isEmpty)
            }
            try await withFakeKubelet(reader: KubeletReaderConfiguration(maxBodyBytes: size - 1)) { fake, reader in
                fake.setMode(.huge(bytes: size, declaresLength: declaresLength))
                #expect(await readFailure(reader) == .bodyTooLarge(url: fake.url + "/pods", limitBytes: size - 1))
            }
        }
    }

    @Test("a real 100 MB body against the default 64 MiB limit stays fast and bounded")
    func hundredMegabytes() async throws {
        try await withFakeKubelet { fake, reader in
            // Chunked: no length to refuse up front, so the reader must stop while streaming.
            fake.setMode(.huge(bytes: 100_000_000, declaresLength: false))
            let clock = ContinuousClock()
            let start = clock.now
            #expect(
                await readFailure(reader)
                    == .bodyTooLarge(url: fake.url + "/pods", limitBytes: KubeletReaderConfiguration.defaultMaxBodyBytes))
            let elapsed = clock.now - start
            try await Task.sleep(for: .milliseconds(200))
            let sent = fake.bytesWritten
            print("100 MB chunked body vs 64 MiB limit: refused after \(elapsed), the socket took \(sent) bytes")
            // 64 MiB read plus what the two kernel socket buffers can hold; far below 100 MB.
            #expect(sent < (64 << 20) + (16 << 20), "the reader kept reading past its limit: \(sent) bytes")
            #expect(elapsed < .seconds(10))
        }
    }

    @Test("connection refused")
    func connectionRefused() async throws {
        let fake = try await FakeKubelet.start()
        let url = fake.url
        await fake.stop()
        let reader = try KubeletReader(configuration: KubeletReaderConfiguration(url: url))
        let clock = ContinuousClock()
        let start = clock.now
        #expect(await readFailure(reader) == .connectionRefused(url: url + "/pods"))
        #expect(clock.now - start < .seconds(2))
        try await reader.shutdown()
    }

    @Test("a kubelet that goes away: idle kept-alive connections are dropped, the next read is refused")
    func kubeletGoesAway() async throws {
        let fake = try await FakeKubelet.start()
        fake.setPods(samplePods)
        let reader = try KubeletReader(configuration: KubeletReaderConfiguration(url: fake.url))
        let snapshot = try await reader.readPods()
        #expect(snapshot.pods == samplePods)
        let clock = ContinuousClock()
        let start = clock.now
        await fake.stop()  // the reader still holds an idle connection to it
        #expect(clock.now - start < .seconds(2))
        try await Task.sleep(for: .milliseconds(100))
        #expect(await readFailure(reader) == .connectionRefused(url: fake.url + "/pods"))
        try await reader.shutdown()
    }

    @Test("a kubelet that dies mid-answer fails the read at once, not at the timeout")
    func kubeletDiesMidAnswer() async throws {
        let fake = try await FakeKubelet.start()
        fake.setMode(.slowHead(.seconds(20)))
        let reader = try KubeletReader(configuration: KubeletReaderConfiguration(url: fake.url, timeoutSeconds: 10))
        let clock = ContinuousClock()
        let start = clock.now
        async let failure = readFailure(reader)
        try await Task.sleep(for: .milliseconds(300))
        await fake.stop()
        let error = await failure
        #expect(clock.now - start < .seconds(2))
        guard case .connectionFailed(let url, _) = error else {
            Issue.record("expected connectionFailed, got \(String(describing: error))")
            try await reader.shutdown()
            return
        }
        #expect(url == fake.url + "/pods")
        try await reader.shutdown()
    }

    @Test("the token file is read on every request")
    func tokenRotation() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let tokenFile = try directory.write("token", "first-token\n")
        try await withFakeKubelet(reader: KubeletReaderConfiguration(tokenFile: tokenFile)) { fake, reader in
            fake.setPods(samplePods)
            fake.setRequiredToken("first-token")
            let snapshot = try await reader.readPods()
            #expect(snapshot.pods == samplePods)
            // Rotate as the kubelet does (write elsewhere, rename over); the old token stops working.
            try directory.write("token", "second-token")
            fake.setRequiredToken("second-token")
            let snapshot2 = try await reader.readPods()
            #expect(snapshot2.pods == samplePods)
            #expect(fake.requests.map(\.authorization) == ["Bearer first-token", "Bearer second-token"])
        }
    }

    @Test("an unreadable or empty token file fails before any request")
    func tokenFileProblems() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let missing = directory.file("missing")
        try await withFakeKubelet(reader: KubeletReaderConfiguration(tokenFile: missing)) { fake, reader in
            #expect(await readFailure(reader) == .tokenFileUnreadable(path: missing, reason: "No such file or directory"))
            #expect(fake.requests.isEmpty)
        }
        let empty = try directory.write("empty", " \n")
        try await withFakeKubelet(reader: KubeletReaderConfiguration(tokenFile: empty)) { fake, reader in
            #expect(await readFailure(reader) == .tokenFileUnreadable(path: empty, reason: "empty"))
            #expect(fake.requests.isEmpty)
        }
        try await withFakeKubelet(reader: KubeletReaderConfiguration(tokenFile: directory.path)) { fake, reader in
            #expect(await readFailure(reader) == .tokenFileUnreadable(path: directory.path, reason: "Is a directory"))
        }
    }

    @Test(
        "unusable URLs are refused at construction",
        arguments: [
            "ftp://127.0.0.1:10250", "https://", "127.0.0.1:10250", "not a url at all", "http://:10255", "https:///pods",
            "https://token@:10250", "https://[]:10250", "https://node name:10250", "https://[::1:10250", "http://node:port",
            "https://[::1]x",
        ])
    func invalidURL(url: String) async throws {
        let reader: KubeletReader
        do {
            reader = try KubeletReader(configuration: KubeletReaderConfiguration(url: url))
        } catch {
            guard case .invalidURL(let reportedURL, _) = error else {
                Issue.record("expected invalidURL, got \(error)")
                return
            }
            #expect(reportedURL == url)
            return
        }
        try await reader.shutdown()
        Issue.record("\(url) was accepted")
    }

    @Test(
        "usable URLs are accepted at construction",
        arguments: ["https://127.0.0.1:10250", "http://[::1]:10255/", "HTTPS://kubelet.example:10250/base/", "http://node"])
    func validURL(url: String) async throws {
        let reader = try KubeletReader(configuration: KubeletReaderConfiguration(url: url))
        try await reader.shutdown()
    }

    @Test("the pods URL has exactly one slash")
    func podsURL() {
        #expect(KubeletReaderConfiguration(url: "https://127.0.0.1:10250").podsURL == "https://127.0.0.1:10250/pods")
        #expect(KubeletReaderConfiguration(url: "http://127.0.0.1:10255/").podsURL == "http://127.0.0.1:10255/pods")
        #expect(KubeletReaderConfiguration().url == "https://127.0.0.1:10250")
        #expect(KubeletReaderConfiguration().timeoutSeconds == 5)
        #expect(KubeletReaderConfiguration().maxBodyBytes == 64 * 1024 * 1024)
        #expect(KubeletReaderConfiguration().certificateVerification == .full)
    }
}
