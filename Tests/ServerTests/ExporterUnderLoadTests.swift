import Foundation
import Glibc
import Testing

/// The real `crisync-exporter` binary, built next to this test bundle by `swift build`/`swift test`.
private func exporterBinary() throws -> String {
    let products = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    let candidates = [products, products.deletingLastPathComponent()].map { $0.appendingPathComponent("crisync-exporter").path }
    guard let found = candidates.first(where: { access($0, X_OK) == 0 }) else {
        throw SubprocessError.notInstalled("crisync-exporter (looked in \(candidates); run `swift build` first)")
    }
    return found
}

/// Resident memory and open descriptors of a process, from its procfs entries.
private func residentKiB(_ pid: Int32) -> Int {
    let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
    let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
    return Int(line.split(separator: " ").dropFirst().first ?? "") ?? -1
}

private func openDescriptors(_ pid: Int32) -> Int {
    (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1
}

@Suite("The exporter binary under load")
struct ExporterUnderLoadTests {
    /// TLS + basic auth, scraped 20,000 times (after 12,000 to warm up) by 64 concurrent keep-alive
    /// clients, plus plain-HTTP garbage and oversized headers on the TLS port: the exporter's
    /// resident memory stays within a small bound and no descriptor leaks.
    @Test(.timeLimit(.minutes(3)))
    func memoryAndDescriptorsStayBounded() throws {
        let pki = try TestPKI()
        try pki.issue("server", usage: .server, commonName: "localhost")
        let directory = try TemporaryDirectory()
        let webConfig = try directory.write(
            "web.yml",
            "tls_server_config:\n  cert_file: \(pki.certificate("server"))\n  key_file: \(pki.key("server"))\n"
                + "basic_auth_users:\n  prometheus: \(prometheusHash)\n")
        let port = try freeLoopbackPort()
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try exporterBinary())
        process.arguments = [
            "--web.listen-address=127.0.0.1:\(port)", "--web.config.file=\(webConfig)", "--web.max-requests=64",
            "--runtime.endpoint=unix://\(directory.file("no-runtime.sock"))", "--kubelet.url=http://127.0.0.1:1",
            "--kubelet.token-file", "", "--kubelet.ca-file", "", "--collector.interval=1s", "--log.level=error",
        ]
        let log = directory.file("exporter.log")
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let logHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.standardOutput = logHandle
        process.standardError = logHandle
        try process.run()
        defer {
            kill(process.processIdentifier, SIGTERM)
            process.waitUntilExit()
        }
        let pid = process.processIdentifier
        let base = "https://127.0.0.1:\(port)"
        let tls = ["--cacert", pki.certificate("ca")]
        try waitUntil { !process.isRunning || (try? Curl.get(base + "/healthz", tls, timeout: 2))?.status == 200 }
        try #require(process.isRunning, "the exporter exited: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")

        let urls = directory.file("urls")
        try String(repeating: "url = \"\(base)/metrics\"\noutput = \"/dev/null\"\n", count: 4000).write(
            toFile: urls, atomically: false, encoding: .utf8)
        func scrapeRound() throws -> [String: Int] {
            let output = try Subprocess.check(
                "curl",
                ["-s", "--noproxy", "*", "--parallel", "--parallel-max", "64", "-u", "prometheus:prometheus-scrape", "-K", urls, "-w", "%{http_code}\n"]
                    + tls, timeout: 120)
            return output.stdout.split(separator: "\n").reduce(into: [:]) { $0[String($1), default: 0] += 1 }
        }

        /// Plain HTTP to the TLS port, and a header larger than the per-connection buffer.
        func abuse() throws {
            for _ in 0..<20 {
                let fd = try RawHTTP.connect(port: port)
                RawHTTP.send(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
                _ = RawHTTP.readAll(fd)
                close(fd)
            }
            // 431, or a reset: the server closes with the rest of the header unread, and TCP may
            // then discard the answer before curl reads it. Either way, not a crash.
            let oversized = try Curl.get(base + "/metrics", tls + ["-H", "X-Big: " + String(repeating: "z", count: 60_000)])
            #expect([431, 413].contains(oversized.status) || oversized.wasRefused, "\(oversized.status)")
        }

        // Warm-up: the allocator's arenas and libmicrohttpd's pools reach their working size
        // (by hand, 120,000 scrapes: +3.6 MiB within the first 12,000, +0.26 MiB over the last 80,000).
        for _ in 0..<3 { #expect(try scrapeRound() == ["200": 4000]) }
        try abuse()
        let rssBefore = residentKiB(pid)
        let fdsBefore = openDescriptors(pid)
        var rssAfterRound: [Int] = []
        let started = now()
        for _ in 0..<8 {
            #expect(try scrapeRound() == ["200": 4000])
            try abuse()
            rssAfterRound.append(residentKiB(pid))
        }
        let elapsed = now() - started
        try waitUntil { openDescriptors(pid) <= fdsBefore }
        let rssAfter = residentKiB(pid)
        let fdsAfter = openDescriptors(pid)
        print(
            "exporter binary: 32000 TLS+basic-auth scrapes in \(Int(elapsed)) s (\(Int(32000 / elapsed))/s, 64 clients); "
                + "RSS \(rssBefore) KiB after warm-up, then per 4000 scrapes \(rssAfterRound) KiB "
                + "(\(rssAfter - rssBefore) KiB in all); fds \(fdsBefore) -> \(fdsAfter)")
        #expect(rssBefore > 0 && rssAfter > 0)
        // glibc may still add an arena or two after warm-up (steps of 0.6-1 MiB seen on a loaded CI
        // machine), so a single round's growth proves nothing. A leak grows every round: 100 bytes
        // per scrape is 400 KiB per round of 4000. Memory that plateaus has at least one flat round
        // among the last four, and a bounded total.
        let deltas = zip(rssAfterRound.dropFirst(), rssAfterRound).map { $0 - $1 }
        #expect(rssAfter - rssBefore < 4096, "resident memory grew by \(rssAfter - rssBefore) KiB after warm-up")
        #expect(deltas.suffix(4).min()! < 200, "resident memory grows every round: \(rssAfterRound)")
        #expect(fdsAfter <= fdsBefore)
        #expect(process.isRunning, "exporter log: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
    }
}
