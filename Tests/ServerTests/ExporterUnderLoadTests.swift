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
    /// TLS + basic auth, scraped 20,000 times by 64 concurrent keep-alive clients, plus plain-HTTP
    /// garbage and oversized headers on the TLS port: the exporter's resident memory stays within
    /// a small bound after warm-up and no descriptor leaks.
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
        FileManager.default.createFile(atPath: log, contents: nil)
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

        #expect(try scrapeRound() == ["200": 4000])  // warm-up
        let rssBefore = residentKiB(pid)
        let fdsBefore = openDescriptors(pid)
        let started = now()
        for _ in 0..<5 {
            #expect(try scrapeRound() == ["200": 4000])
            for _ in 0..<20 {
                let fd = try RawHTTP.connect(port: port)
                RawHTTP.send(fd, "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
                _ = RawHTTP.readAll(fd)
                close(fd)
            }
            let oversized = try Curl.get(base + "/metrics", tls + ["-H", "X-Big: " + String(repeating: "z", count: 60_000)])
            #expect([431, 413].contains(oversized.status), "\(oversized.status)")
        }
        let elapsed = now() - started
        try waitUntil { openDescriptors(pid) <= fdsBefore }
        let rssAfter = residentKiB(pid)
        let fdsAfter = openDescriptors(pid)
        print(
            "exporter binary: 20000 TLS+basic-auth scrapes in \(Int(elapsed)) s (\(Int(20000 / elapsed))/s, 64 clients); "
                + "RSS \(rssBefore) KiB -> \(rssAfter) KiB (\(rssAfter - rssBefore) KiB), fds \(fdsBefore) -> \(fdsAfter)")
        #expect(rssBefore > 0 && rssAfter > 0)
        #expect(rssAfter - rssBefore < 4096, "resident memory grew by \(rssAfter - rssBefore) KiB")
        #expect(fdsAfter <= fdsBefore)
        #expect(process.isRunning, "exporter log: \((try? String(contentsOfFile: log, encoding: .utf8)) ?? "")")
    }
}
