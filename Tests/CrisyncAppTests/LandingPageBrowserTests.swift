import Foundation
import Server
import Testing

@testable import CrisyncApp

/// The landing page in a real browser: Debian's headless chromium loads it from the exporter's
/// real HTTP server (libmicrohttpd, bound to a free port), dumps the DOM it built and takes a
/// screenshot, which stays in a temporary directory for people to look at.
@Suite("landing page: headless chromium", .serialized)
struct LandingPageBrowserTests {
    static func chromium() throws -> String {
        try #require(
            ExplainProcessRunner.which("chromium"), "chromium is not installed (scripts/deps.sh test installs it)")
    }

    /// Runs chromium headless against `url` with `flags`, with its own profile directory.
    static func browse(_ url: String, _ flags: [String], in directory: URL) async throws -> ExplainProcessRunner.Outcome {
        let profile = directory.appendingPathComponent("profile").path
        let outcome = try await ExplainProcessRunner.run(
            try chromium(),
            ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
             "--user-data-dir=\(profile)"] + flags + [url],
            timeout: .seconds(90))
        #expect(!outcome.timedOut, "chromium did not finish within 90 s")
        #expect(outcome.status == 0, "chromium failed: \(outcome.stderr.suffix(2000))")
        return outcome
    }

    @Test func theBrowserShowsTheFindingsAndNeverRunsAPodName() async throws {
        let server = try HTTPServer.start(ServerConfiguration(listenAddress: try ListenAddress(parsing: "127.0.0.1:0")))
        defer { server.stop() }
        let page = LandingPageScenarios.page(LandingPageScenarios.busy)
        server.publish(prometheusText: Array("# empty\n".utf8), openMetricsText: Array("# EOF\n".utf8), landingPage: Array(page.utf8))
        let url = "http://127.0.0.1:\(server.port)/"
        let directory = try ExplainProcessRunner.temporaryDirectory("landing-page")
        try page.write(to: directory.appendingPathComponent("landing-page.html"), atomically: true, encoding: .utf8)

        let dom = try await Self.browse(url, ["--dump-dom"], in: directory).stdout
        #expect(dom.contains("<title>crisync exporter</title>"), "the browser loaded the page:\n\(dom.prefix(500))")
        #expect(!dom.contains("<script"), "the pod name is text, not a script element")
        #expect(!dom.contains("<img"), "the container name is text, not an image element")
        #expect(dom.contains("&lt;script&gt;alert(\"x\")&lt;/script&gt;'pod"), "the name appears as typed")
        let rows = tableRows(dom)
        #expect(rows.contains { $0.contains("shop") && $0.contains("ghost") && $0.contains("app") && $0.contains("process_zombie") })
        #expect(rows.contains { $0.contains("&lt;script&gt;") && $0.contains("process_missing") })
        #expect(rows.contains { $0.contains("cart-0") && $0.contains("process_zombie") && $0.contains("stuck") })
        #expect(rows.contains { $0.contains("missed-init-exit") })
        #expect(rows.contains { $0.contains("kubelet") && $0.contains("up") })

        let screenshot = directory.appendingPathComponent("landing-page.png")
        _ = try await Self.browse(url, ["--screenshot=\(screenshot.path)", "--window-size=1200,900", "--hide-scrollbars"], in: directory)
        let png = try Data(contentsOf: screenshot)
        #expect(png.prefix(8) == Data([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]), "a PNG")
        #expect(png.count > 40_000, "a rendered page, not a blank one: \(png.count) bytes")
        try? FileManager.default.removeItem(at: directory.appendingPathComponent("profile"))
        print("landing page screenshot: \(screenshot.path)")
    }
}
