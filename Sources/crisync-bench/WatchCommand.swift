import ArgumentParser
import Foundation

/// `crisync-bench watch`: CPU and memory of a running process over a while (the real exporter).
struct WatchCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "watch",
        abstract: "Record a process's CPU per --period and its resident memory over --seconds.",
        discussion: "For the real crisync-exporter left alone: CPU per refresh is CPU per --collector.interval. Appends a \"watch\" record.")

    @Option(help: "Name in the results.") var label: String
    @Option(help: "The node the process reads: real or synthetic.") var node: String
    @Option(help: "Containers on that node.") var containers: Int
    @Option(help: "PID to watch.") var pid: Int32
    @Option(help: "Seconds to watch.") var seconds: Double = 60
    @Option(help: "The process's refresh interval, in seconds.") var period: Double = 5
    @Option(help: "JSON-lines file the record is appended to.") var results: String

    func run() async throws {
        guard let cpuStart = OtherProcess.cpuSeconds(pid: pid) else { throw BenchError("no process \(pid)") }
        let start = ProcessMeter.now()
        var rss: [Double] = []
        var split: (anonymous: Int, file: Int) = (0, 0)
        while ProcessMeter.now() - start < seconds {
            try await Task.sleep(for: .milliseconds(500))
            guard let bytes = OtherProcess.residentBytes(pid: pid), let parts = OtherProcess.residentSplit(pid: pid) else {
                throw BenchError("process \(pid) (\(label)) exited")
            }
            rss.append(mib(bytes))
            split = parts
        }
        guard let cpuEnd = OtherProcess.cpuSeconds(pid: pid) else { throw BenchError("process \(pid) (\(label)) exited") }
        let elapsed = ProcessMeter.now() - start
        let record = WatchRecord(
            label: label, node: node, containers: containers, seconds: elapsed, cpuMsPerPeriod: (cpuEnd - cpuStart) * 1000 * period / elapsed, periodSeconds: period,
            rssMiB: Summary(rss), rssFirstMiB: rss.first ?? 0, rssLastMiB: rss.last ?? 0, rssAnonymousMiB: mib(split.anonymous),
            rssFileMiB: mib(split.file))
        try ResultLog(path: results).append(record)
        note(
            "\(label): \(String(format: "%.2f", record.cpuMsPerPeriod)) ms CPU per \(period) s, RSS \(String(format: "%.1f", record.rssLastMiB)) MiB "
                + "(anonymous \(String(format: "%.1f", record.rssAnonymousMiB)), file \(String(format: "%.1f", record.rssFileMiB)))")
    }
}

struct WatchRecord: Codable {
    var kind = "watch"
    var label: String
    var node: String
    var containers: Int
    var seconds: Double
    /// CPU per period (per refresh at the exporter's interval), in milliseconds; tick resolution 10 ms
    /// per sample, so only meaningful over many periods.
    var cpuMsPerPeriod: Double
    var periodSeconds: Double
    var rssMiB: Summary
    var rssFirstMiB: Double
    var rssLastMiB: Double
    /// At the end: anonymous memory (heap, stacks) and file pages mapped (the binary's code).
    var rssAnonymousMiB: Double
    var rssFileMiB: Double
}
