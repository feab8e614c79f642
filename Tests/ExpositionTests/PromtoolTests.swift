import Foundation
import Testing

@testable import Exposition

/// The writer's output must satisfy Prometheus' own linter. promtool comes with Debian's `prometheus`
/// package, which `make test` installs; a missing promtool is a failure, not a skip.
@Suite("promtool check metrics")
struct PromtoolTests {
    @Test func writerOutputIsLintClean() throws {
        let families = [
            MetricFamily(
                name: "crisync_example_events_total", help: "Events seen, by kind.", type: .counter,
                samples: [Sample(["kind": "a \"quoted\" \\ value\nwith newline"], 3), Sample(["kind": "b"], 1e7)]),
            MetricFamily(
                name: "crisync_example_duration_seconds", help: "How long it took.", type: .gauge,
                samples: [Sample(["source": "x"], 0.000123), Sample(["source": "y"], .nan), Sample(["source": "z"], .infinity)]),
            MetricFamily(name: "crisync_example_up", help: "Whether it worked.", type: .gauge, samples: [Sample(value: 1)]),
        ]
        let text = try TextWriter.render(families, format: .prometheusText)
        let result = try runPromtoolCheckMetrics(text)
        #expect(result.status == 0, "promtool check metrics failed: \(result.output)")
        #expect(result.output.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "promtool warnings: \(result.output)")
    }

    @Test func promtoolCatchesBadText() throws {
        // Guards the guard: a counter without _total and HELP-less family must be reported.
        let result = try runPromtoolCheckMetrics("# TYPE bad counter\nbad 1\n")
        #expect(!result.output.isEmpty || result.status != 0)
    }
}

func runPromtoolCheckMetrics(_ text: String) throws -> (status: Int32, output: String) {
    let promtool = try #require(
        ["/usr/bin/promtool", "/usr/local/bin/promtool"].first { FileManager.default.isExecutableFile(atPath: $0) },
        "promtool not found: install Debian's prometheus package (make test does)")
    let process = Process()
    process.executableURL = URL(fileURLWithPath: promtool)
    process.arguments = ["check", "metrics"]
    let input = Pipe()
    let output = Pipe()
    process.standardInput = input
    process.standardOutput = output
    process.standardError = output
    try process.run()
    input.fileHandleForWriting.write(Data(text.utf8))
    try input.fileHandleForWriting.close()
    let data = output.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return (process.terminationStatus, String(decoding: data, as: UTF8.self))
}
