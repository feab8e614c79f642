import Foundation
import Testing

/// Scrapes before refreshes, on the real binary: libmicrohttpd's threads keep the priority the
/// exporter started with, the threads that refresh (NIO's event loops, the refresh loop's) run at
/// nice 10.
@Suite("Background priority of the exporter's threads", .timeLimit(.minutes(2)))
struct BackgroundPriorityTests {
    /// Thread name → nice values, from `/proc/<pid>/task/*/stat` (field 19, after the name).
    static func niceByThread(of pid: pid_t) -> [String: [Int]] {
        let tasks = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/task")) ?? []
        var result: [String: [Int]] = [:]
        for task in tasks {
            guard let stat = try? String(contentsOfFile: "/proc/\(pid)/task/\(task)/stat", encoding: .utf8),
                let close = stat.lastIndex(of: ")"), let open = stat.firstIndex(of: "(")
            else { continue }
            let name = String(stat[stat.index(after: open)..<close])
            let fields = stat[stat.index(close, offsetBy: 2)...].split(separator: " ")
            // After the name: state is field 3, nice field 19.
            guard fields.count > 16, let nice = Int(fields[16]) else { continue }
            result[name, default: []].append(nice)
        }
        return result
    }

    @Test func serverThreadsKeepTheirPriorityAndRefreshThreadsAreLowered() async throws {
        // The exporter starts with this thread's priority (0 unless the tests themselves were niced).
        errno = 0
        let started = Int(getpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0))
        try #require(errno == 0)
        let lowered = max(started, 10)
        let scratch = try ExplainProcessRunner.temporaryDirectory("priority")
        defer { try? FileManager.default.removeItem(at: scratch) }
        let exporter = try ExporterProcess.start(
            ["--runtime.endpoint", "unix:///nonexistent.sock", "--kubelet.url", "http://127.0.0.1:1", "--collector.interval", "1s"],
            in: scratch.path)
        defer { exporter.stop() }
        var threads: [String: [Int]] = [:]
        // The event loops lower themselves in a task each, and the refresh loop's threads when they
        // refresh: both happen shortly after start.
        func loops() -> [Int] { Array(threads.filter { $0.key.hasPrefix("NIO-") }.values.joined()) }
        let settled = await eventually(.seconds(20)) {
            threads = Self.niceByThread(of: exporter.pid)
            let others = threads.filter { !$0.key.hasPrefix("NIO-") && !$0.key.hasPrefix("MHD") }.values.joined()
            return !loops().isEmpty && loops().allSatisfy { $0 == lowered } && others.contains(lowered)
        }
        #expect(settled, "event loops and a refreshing thread lowered: \(threads)")
        let server = threads.filter { $0.key.hasPrefix("MHD") }.values.joined()
        #expect(!server.isEmpty, "libmicrohttpd's threads are named MHD-*: \(threads)")
        #expect(server.allSatisfy { $0 == started }, "server threads: \(threads)")
        // And a scrape is still answered.
        #expect(try exporter.get("/metrics").status == 200)
    }
}
