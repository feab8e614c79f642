import Exposition
import Foundation
import Glibc
import Testing

@testable import Server

private let metricsText = "# HELP up_demo Demo.\n# TYPE up_demo gauge\nup_demo 1\n"
private let openMetricsText = "# HELP up_demo Demo.\n# TYPE up_demo gauge\nup_demo 1\n# EOF\n"

private func startServer(maxRequests: Int = 40, telemetryPath: String = "/metrics") throws -> HTTPServer {
    let server = try HTTPServer.start(
        ServerConfiguration(
            listenAddress: ListenAddress(parsing: "127.0.0.1:0"), telemetryPath: telemetryPath, maxRequests: maxRequests))
    server.publish(
        prometheusText: Array(metricsText.utf8), openMetricsText: Array(openMetricsText.utf8),
        landingPage: Array("<html><body><a href=\"\(telemetryPath)\">Metrics</a></body></html>".utf8))
    return server
}

@Suite("HTTP server over real sockets")
struct HTTPServerTests {
    /// libmicrohttpd warns (through the logger) when its logger is not the first option, since a
    /// problem with an option before it would go unreported.
    @Test func startsWithoutALibraryWarning() throws {
        let events = EventLog()
        let server = try HTTPServer.start(
            ServerConfiguration(listenAddress: ListenAddress(parsing: "127.0.0.1:0")), events: { events.record($0) })
        defer { server.stop() }
        #expect(events.libraryMessages.isEmpty, "\(events.libraryMessages)")
    }

    @Test func servesPrometheusTextByDefault() throws {
        let server = try startServer()
        defer { server.stop() }
        let response = try RawHTTP.request(port: server.port, path: "/metrics")
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "text/plain; version=0.0.4; charset=utf-8")
        #expect(response.header("Content-Encoding") == nil)
        #expect(response.text == metricsText)
    }

    /// A scrape before the exporter's first snapshot must not look like a healthy, empty target.
    @Test func beforeTheFirstPublishMetricsIsUnavailable() throws {
        let server = try HTTPServer.start(ServerConfiguration(listenAddress: ListenAddress(parsing: "127.0.0.1:0")))
        defer { server.stop() }
        let early = try RawHTTP.request(port: server.port, path: "/metrics")
        #expect(early.status == 503)
        #expect(early.header("Retry-After") == "1")
        #expect(try RawHTTP.request(port: server.port, path: "/healthz").status == 200, "the process serves")
        server.publish(prometheusText: Array(metricsText.utf8), openMetricsText: Array(openMetricsText.utf8), landingPage: [])
        let later = try RawHTTP.request(port: server.port, path: "/metrics")
        #expect(later.status == 200 && later.text == metricsText)
    }

    @Test func servesOpenMetricsWhenAsked() throws {
        let server = try startServer()
        defer { server.stop() }
        let response = try RawHTTP.request(
            port: server.port, path: "/metrics",
            headers: ["Accept": "application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5"])
        #expect(response.status == 200)
        #expect(response.header("Content-Type") == "application/openmetrics-text; version=1.0.0; charset=utf-8")
        #expect(response.text.hasSuffix("# EOF\n"))
        #expect(response.text == openMetricsText)
    }

    @Test(arguments: [false, true])
    func gzipRoundTrip(openMetrics: Bool) throws {
        let server = try startServer()
        defer { server.stop() }
        var headers = ["Accept-Encoding": "gzip, deflate"]
        if openMetrics { headers["Accept"] = "application/openmetrics-text" }
        let response = try RawHTTP.request(port: server.port, path: "/metrics", headers: headers)
        #expect(response.status == 200)
        #expect(response.header("Content-Encoding") == "gzip")
        #expect(response.body.starts(with: [0x1f, 0x8b]), "not a gzip member")
        let inflated = try #require(gunzip(response.body))
        #expect(String(decoding: inflated, as: UTF8.self) == (openMetrics ? openMetricsText : metricsText))
    }

    /// Found by fuzzing: a one-byte `Accept-Encoding: ;` crashed the exporter.
    @Test(arguments: [";", ";q=1", ",;", ";;"])
    func malformedAcceptEncodingIsServedNotFatal(value: String) throws {
        let server = try startServer()
        defer { server.stop() }
        let response = try RawHTTP.request(port: server.port, path: "/metrics", headers: ["Accept-Encoding": value, "Accept": ";"])
        #expect(response.status == 200)
        #expect(response.text == metricsText)
        #expect(try RawHTTP.request(port: server.port, path: "/healthz").status == 200)
    }

    @Test func headHasHeadersButNoBody() throws {
        let server = try startServer()
        defer { server.stop() }
        let response = try RawHTTP.request(port: server.port, method: "HEAD", path: "/metrics")
        #expect(response.status == 200)
        #expect(response.header("Content-Length") == String(metricsText.utf8.count))
        #expect(response.body.isEmpty)
    }

    @Test func otherPaths() throws {
        let server = try startServer(telemetryPath: "/custom-metrics")
        defer { server.stop() }
        let health = try RawHTTP.request(port: server.port, path: "/healthz")
        #expect(health.status == 200)
        #expect(health.text == "ok\n")
        let landing = try RawHTTP.request(port: server.port, path: "/")
        #expect(landing.status == 200)
        #expect(landing.header("Content-Type") == "text/html; charset=utf-8")
        #expect(landing.text.contains("href=\"/custom-metrics\""))
        let metrics = try RawHTTP.request(port: server.port, path: "/custom-metrics")
        #expect(metrics.text == metricsText)
        let missing = try RawHTTP.request(port: server.port, path: "/metrics")
        #expect(missing.status == 404)
        #expect(missing.text == "404 page not found\n")
        let unknown = try RawHTTP.request(port: server.port, method: "DELETE", path: "/nowhere")
        #expect(unknown.status == 404)
    }

    @Test(arguments: ["POST", "PUT", "DELETE", "OPTIONS"])
    func otherMethodsAre405(method: String) throws {
        let server = try startServer()
        defer { server.stop() }
        for path in ["/metrics", "/", "/healthz"] {
            let response = try RawHTTP.request(port: server.port, method: method, path: path)
            #expect(response.status == 405, "\(method) \(path)")
            #expect(response.header("Allow") == "GET, HEAD")
            #expect(response.text == "405 method not allowed\n")
        }
    }

    @Test func concurrentScrapesAllSucceed() async throws {
        let server = try startServer(maxRequests: 0)
        defer { server.stop() }
        let port = server.port
        let results = try await withThrowingTaskGroup(of: Int.self) { group in
            for _ in 0..<16 {
                group.addTask {
                    var ok = 0
                    for _ in 0..<25 {
                        let response = try RawHTTP.request(port: port, path: "/metrics", headers: ["Accept-Encoding": "gzip"])
                        if response.status == 200, gunzip(response.body).map({ String(decoding: $0, as: UTF8.self) }) == metricsText {
                            ok += 1
                        }
                    }
                    return ok
                }
            }
            return try await group.reduce(0, +)
        }
        #expect(results == 16 * 25)
    }

    @Test func publishSwapsSnapshotsAtomically() async throws {
        let server = try startServer(maxRequests: 0)
        defer { server.stop() }
        let port = server.port
        let versions = (0..<20).map { "# HELP v Version.\n# TYPE v gauge\nv \($0)\n" }
        let reader = Task.detached {
            var seen: Set<String> = []
            for _ in 0..<200 {
                let text = try RawHTTP.request(port: port, path: "/metrics").text
                seen.insert(text)
            }
            return seen
        }
        for version in versions {
            server.publish(prometheusText: Array(version.utf8), openMetricsText: Array((version + "# EOF\n").utf8), landingPage: [])
            try await Task.sleep(for: .milliseconds(5))
        }
        let seen = try await reader.value
        #expect(seen.isSubset(of: Set(versions + [metricsText])), "a response mixed two snapshots: \(seen)")
    }

    @Test func scrapesBeyondMaxRequestsGet503() throws {
        let server = try startServer(maxRequests: 2)
        defer { server.stop() }
        // A body far larger than the loopback socket buffers keeps a scrape in flight while its
        // client does not read: two such clients use up the limit.
        let big = [UInt8](repeating: UInt8(ascii: "x"), count: 32 << 20)
        server.publish(prometheusText: big, openMetricsText: big, landingPage: [])
        var stalled: [Int32] = []
        for _ in 0..<2 {
            let fd = try RawHTTP.connect(port: server.port)
            RawHTTP.send(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
            stalled.append(fd)
        }
        defer { stalled.forEach { close($0) } }
        try waitUntil { server.scrapesInFlight == 2 }
        let rejected = try RawHTTP.request(port: server.port, path: "/metrics")
        #expect(rejected.status == 503)
        #expect(rejected.header("Retry-After") == "1")
        // Health and landing are not scrapes and stay available.
        #expect(try RawHTTP.request(port: server.port, path: "/healthz").status == 200)
        stalled.forEach { close($0) }
        stalled.removeAll()
        try waitUntil { server.scrapesInFlight == 0 }
        let head = try RawHTTP.request(port: server.port, method: "HEAD", path: "/metrics")
        #expect(head.status == 200)
    }

    @Test func portInUseIsReportedClearly() throws {
        let first = try startServer()
        defer { first.stop() }
        let error = #expect(throws: ServerError.self) {
            try HTTPServer.start(ServerConfiguration(listenAddress: ListenAddress(parsing: "127.0.0.1:\(first.port)")))
        }
        #expect(error?.isAddressInUse == true)
        #expect(error?.description == "listen tcp 127.0.0.1:\(first.port): bind: address already in use")
    }

    @Test func stopIsIdempotentAndClosesThePort() throws {
        let server = try startServer()
        let port = server.port
        server.stop()
        server.stop()
        #expect(throws: (any Error).self) { try RawHTTP.request(port: port, path: "/healthz") }
    }
}

func waitUntil(timeout: Double = 10, _ condition: () -> Bool) throws {
    let deadline = Date().addingTimeInterval(timeout)
    while !condition() {
        guard Date() < deadline else { throw POSIXError(.ETIMEDOUT) }
        usleep(10_000)
    }
}
