import ArgumentParser
import Foundation

/// `crisync-bench serve`: `wrk` against one server's /metrics, with that server's CPU per request.
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run wrk against a URL and record requests/s, latency and the server's CPU per request.",
        discussion: "The wrk Lua script (bench/wrk-report.lua) prints the summary as one JSON line. Appends a \"serve\" record.")

    @Option(help: "Server name in the results (crisync, reference, node_exporter).") var server: String
    @Option(help: "URL to load.") var url: String
    @Option(help: "PID of the server process, for its CPU time.") var pid: Int32
    @Option(help: "Open connections.") var connections: Int
    @Option(help: "Seconds of load.") var seconds: Int = 10
    @Flag(help: "Ask for gzip (Accept-Encoding: gzip).") var gzip = false
    @Option(name: .customLong("wrk-script"), help: "bench/wrk-report.lua") var wrkScript: String
    @Option(help: "JSON-lines file the record is appended to.") var results: String
    @Option(name: .customLong("node-containers"), help: "Containers on the node while measuring (node_exporter's cost grows with them).")
    var nodeContainers: Int?
    @Option(help: "serving (the /metrics comparison at 1,000 containers) or node-size (node_exporter's cost at each node size).")
    var purpose = "serving"

    func run() async throws {
        guard let cpuBefore = OtherProcess.cpuSeconds(pid: pid) else { throw BenchError("no process \(pid) (\(server))") }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/wrk")
        // One wrk thread whatever the connections: on two cores, two wrk threads beside the server's
        // two oversubscribe the machine and the p99 measures the scheduler (the C reference server's
        // p99 at 4 connections went from 3.5 ms with two wrk threads to 0.74 ms with one, with more
        // requests per second, not fewer).
        var arguments = [
            "-t", "1", "-c", String(connections), "-d", "\(seconds)s", "--timeout", "2s",
            "-s", wrkScript,
        ]
        if gzip { arguments += ["-H", "Accept-Encoding: gzip"] }
        process.arguments = arguments + [url]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard let cpuAfter = OtherProcess.cpuSeconds(pid: pid) else { throw BenchError("\(server) (pid \(pid)) died under load") }
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0,
            let line = text.split(separator: "\n").first(where: { $0.hasPrefix("WRK ") }),
            let summary = try? JSONDecoder().decode(WrkSummary.self, from: Data(line.dropFirst(4).utf8))
        else { throw BenchError("wrk failed against \(url): \(text)") }
        guard summary.requests > 0, summary.errors == 0, summary.non2xx == 0 else {
            throw BenchError("wrk against \(server): \(summary.requests) requests, \(summary.errors) socket errors, \(summary.non2xx) non-2xx")
        }
        let record = ServeRecord(
            server: server, encoding: gzip ? "gzip" : "plain", connections: connections, seconds: Double(summary.durationUs) / 1e6,
            requests: summary.requests, requestsPerSecond: Double(summary.requests) / (Double(summary.durationUs) / 1e6),
            bytesPerResponse: summary.bytes / max(1, summary.requests), p50Ms: Double(summary.p50Us) / 1000,
            p90Ms: Double(summary.p90Us) / 1000, p99Ms: Double(summary.p99Us) / 1000, maxMs: Double(summary.maxUs) / 1000,
            serverCPUMsPerRequest: (cpuAfter - cpuBefore) * 1000 / Double(summary.requests),
            serverRSSMiB: OtherProcess.residentBytes(pid: pid).map(mib) ?? 0, nodeContainers: nodeContainers, purpose: purpose)
        try ResultLog(path: results).append(record)
        note(
            "\(server) \(record.encoding) c=\(connections): \(Int(record.requestsPerSecond)) req/s, p99 \(String(format: "%.3f", record.p99Ms)) ms, "
                + "\(record.bytesPerResponse) B/response, \(String(format: "%.3f", record.serverCPUMsPerRequest)) ms CPU/request")
    }
}

/// What bench/wrk-report.lua prints after `WRK `.
struct WrkSummary: Codable {
    var requests: Int
    var durationUs: Int
    var bytes: Int
    var errors: Int
    var non2xx: Int
    var p50Us: Int
    var p90Us: Int
    var p99Us: Int
    var maxUs: Int
}

struct ServeRecord: Codable {
    var kind = "serve"
    var server: String
    var encoding: String
    var connections: Int
    var seconds: Double
    var requests: Int
    var requestsPerSecond: Double
    /// Response bytes as wrk counts them (headers included).
    var bytesPerResponse: Int
    var p50Ms: Double
    var p90Ms: Double
    var p99Ms: Double
    var maxMs: Double
    var serverCPUMsPerRequest: Double
    var serverRSSMiB: Double
    /// Containers on the node during the run (nil in records written before this field existed).
    var nodeContainers: Int?
    /// "serving" or "node-size" (see ServeCommand's --purpose); nil in older records, which are "serving".
    var purpose: String?

    var perNodeSize: Bool { purpose == "node-size" }
}

/// One server's wrk windows at one encoding and connection count, and their medians: the serving
/// targets compare medians, so one window disturbed by a neighbour on the VM does not decide them.
struct ServingFigure {
    var windows: [ServeRecord]
    var requestsPerSecond: Summary
    var p99Ms: Summary

    init?(_ windows: [ServeRecord]) {
        guard !windows.isEmpty else { return nil }
        self.windows = windows
        requestsPerSecond = Summary(windows.map(\.requestsPerSecond))
        p99Ms = Summary(windows.map(\.p99Ms))
    }
}
