import ArgumentParser
import Foundation
import Glibc

/// `crisync-bench first-scrape`: from starting the exporter to its first answered `/metrics`.
struct FirstScrapeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "first-scrape",
        abstract: "Time from starting the exporter to its first 200 on /metrics.",
        discussion: """
            Starts the command after --, which must listen on 127.0.0.1:--port, and asks for /metrics \
            every millisecond until it answers 200 with crisync_source_up in the body (while the first \
            refresh is in progress, the sources are down and the findings empty). 200 answers without \
            metrics are counted. Repeats --runs times, stopping the exporter with SIGTERM each time, \
            and appends a "startup" record.
            """)

    @Option(help: "Port the exporter listens on.") var port: UInt16
    @Option(help: "Starts to measure.") var runs = 5
    @Option(help: "JSON-lines file the record is appended to.") var results: String
    @Argument(parsing: .postTerminator, help: "The exporter and its arguments.") var command: [String]

    func run() async throws {
        guard let executable = command.first else { throw ValidationError("give the exporter command after --") }
        var times: [Double] = []
        var firstAnswerTimes: [Double] = []
        var emptyAnswers = 0
        var sourcesUpAtFirstScrape: [Int] = []
        var ignoredTerminations = 0
        for _ in 0..<runs {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: executable)
            process.arguments = Array(command.dropFirst())
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            let start = ProcessMeter.now()
            try process.run()
            var response: HTTPProbe.Response?
            var firstAnswer: Double?
            while response == nil, ProcessMeter.now() - start < 10, process.isRunning {
                if let answer = HTTPProbe.get(port: port, path: "/metrics"), answer.status == 200 {
                    if firstAnswer == nil { firstAnswer = ProcessMeter.now() - start }
                    // Until the exporter has published its first snapshot the server may answer 200
                    // with an empty body: that is counted, and the wait goes on for real metrics.
                    if answer.body.contains("crisync_source_up") { response = answer } else { emptyAnswers += 1 }
                } else {
                    usleep(1000)
                }
            }
            let elapsed = ProcessMeter.now() - start
            if process.isRunning, !Self.stop(process) { ignoredTerminations += 1 }
            guard let response else { throw BenchError("the exporter did not serve its metrics on /metrics within 10 s") }
            times.append(elapsed * 1000)
            firstAnswerTimes.append((firstAnswer ?? elapsed) * 1000)
            sourcesUpAtFirstScrape.append(
                response.body.split(separator: "\n").filter { $0.hasPrefix("crisync_source_up{") && $0.hasSuffix(" 1") }.count)
            // Let the port and the runtime settle between starts.
            try await Task.sleep(for: .milliseconds(300))
        }
        let record = StartupRecord(
            firstScrapeMs: Summary(times), firstAnswerMs: Summary(firstAnswerTimes), emptyAnswers: emptyAnswers,
            sourcesUpAtFirstScrape: sourcesUpAtFirstScrape, ignoredTerminations: ignoredTerminations)
        try ResultLog(path: results).append(record)
        if ignoredTerminations > 0 {
            note("first-scrape: \(ignoredTerminations) of \(runs) starts did not stop on SIGTERM within 5 s (SIGKILLed)")
        }
        note("first /metrics after \(String(format: "%.1f", record.firstScrapeMs.median)) ms (median of \(runs); max \(String(format: "%.1f", record.firstScrapeMs.max)) ms)")
    }
}

extension FirstScrapeCommand {
    /// SIGTERM, then SIGKILL if the process is still running 5 s later (a SIGTERM sent right after
    /// the first answer can land before the exporter has started waiting for it). False when
    /// SIGKILL was needed.
    static func stop(_ process: Process) -> Bool {
        kill(process.processIdentifier, SIGTERM)
        let deadline = ProcessMeter.now() + 5
        while process.isRunning, ProcessMeter.now() < deadline { usleep(10_000) }
        guard process.isRunning else { return true }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        return false
    }
}

struct StartupRecord: Codable {
    var kind = "startup"
    /// Milliseconds from starting the process to its first /metrics answer carrying crisync_source_up.
    var firstScrapeMs: Summary
    /// Milliseconds to the first 200 of any body (an empty one, before the first publish).
    var firstAnswerMs: Summary
    /// 200 answers with no metrics in them, over all starts.
    var emptyAnswers: Int
    /// How many sources were already up in that first answer, per start.
    var sourcesUpAtFirstScrape: [Int]
    /// Starts where SIGTERM, sent right after the first answer, did not stop the exporter within 5 s.
    var ignoredTerminations: Int?
}
