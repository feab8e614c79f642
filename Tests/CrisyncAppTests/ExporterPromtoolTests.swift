import Foundation
import Testing

/// What the exporter binary really serves, not just what the writer renders from hand-made
/// families, must satisfy Prometheus' own linter: the self-metrics, the source families with both
/// sources down, every family the collector emits on an empty node. promtool comes with Debian's
/// `prometheus` package, which `make test` installs; a missing promtool fails, never skips.
@Suite("promtool check metrics on the exporter binary's /metrics", .timeLimit(.minutes(2)))
struct ExporterPromtoolTests {
    static func promtool() throws -> String {
        try #require(
            ["/usr/bin/promtool", "/usr/local/bin/promtool"].first { FileManager.default.isExecutableFile(atPath: $0) },
            "promtool not found: install Debian's prometheus package (make test does)")
    }

    @Test func servedMetricsAreLintClean() async throws {
        let promtool = try Self.promtool()
        let scratch = try ExplainProcessRunner.temporaryDirectory("promtool")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let exporter = try ExporterProcess.start(
            ["--runtime.endpoint", "unix:///nonexistent.sock", "--kubelet.url", "http://127.0.0.1:1"], in: scratch.path)
        defer { exporter.stop() }

        // The first refresh (both sources down) is published shortly after the "listening" line.
        var scrape = HTTPAnswer(status: 0, seconds: 0, body: "")
        let published = await eventually(.seconds(20)) {
            scrape = try HTTPAnswer.get("http://127.0.0.1:\(exporter.port)/metrics", headers: ["Accept: text/plain"])
            return scrape.status == 200 && scrape.body.contains("\ncrisync_source_up{")
        }
        #expect(published, "no refresh published: \(scrape.status) \(scrape.body)\n\(exporter.log)")
        #expect(!scrape.body.contains("# EOF"), "the Prometheus text format, not OpenMetrics")
        for family in ["crisync_build_info", "process_cpu_seconds_total", "process_max_fds", "process_open_fds"] {
            #expect(scrape.body.contains("\n# TYPE \(family) "), "\(family) is served")
        }

        let scrapePath = scratch.appendingPathComponent("metrics.prom").path
        try scrape.body.write(toFile: scrapePath, atomically: true, encoding: .utf8)
        let result = try BlockingCommand.run([promtool, "check", "metrics"], stdinPath: scrapePath)
        #expect(result.status == 0, "promtool check metrics: exit \(result.status)\n\(result.output)")
        #expect(result.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "promtool reports:\n\(result.output)")
    }

    /// Guards the guard: promtool does read its standard input here and complains about bad text.
    @Test func promtoolReportsBadText() throws {
        let promtool = try Self.promtool()
        let scratch = try ExplainProcessRunner.temporaryDirectory("promtool-bad")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let path = scratch.appendingPathComponent("bad.prom").path
        try "# TYPE bad_counter counter\nbad_counter 1\n".write(toFile: path, atomically: true, encoding: .utf8)
        let result = try BlockingCommand.run([promtool, "check", "metrics"], stdinPath: path)
        #expect(result.status != 0 || !result.output.isEmpty, "promtool said nothing about a counter without _total")
    }
}
