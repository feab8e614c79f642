import Foundation
import Glibc
import Testing

@testable import Server

/// A real Prometheus (Debian's) on loopback with a private data directory, stopped by PID.
private final class PrometheusProcess {
    let process = Process()
    let port: UInt16
    let directory: TemporaryDirectory

    init(config: String, directory: TemporaryDirectory) throws {
        self.directory = directory
        port = try freeLoopbackPort()
        let configPath = try directory.write("prometheus.yml", config)
        let log = directory.file("prometheus.log")
        _ = FileManager.default.createFile(atPath: log, contents: nil)
        let logHandle = try FileHandle(forWritingTo: URL(fileURLWithPath: log))
        process.executableURL = URL(fileURLWithPath: try Subprocess.resolve("prometheus"))
        process.arguments = [
            "--config.file=\(configPath)", "--storage.tsdb.path=\(directory.file("data"))",
            "--web.listen-address=127.0.0.1:\(port)", "--log.level=warn",
        ]
        process.standardOutput = logHandle
        process.standardError = logHandle
        process.standardInput = FileHandle.nullDevice
        try process.run()
    }

    var log: String { (try? String(contentsOfFile: directory.file("prometheus.log"), encoding: .utf8)) ?? "" }

    /// `GET /api/v1/<path>` as parsed JSON, or nil while Prometheus is not answering yet.
    func api(_ path: String) -> [String: Any]? {
        guard let response = try? Curl.get("http://127.0.0.1:\(port)/api/v1/" + path), response.status == 200 else { return nil }
        return try? JSONSerialization.jsonObject(with: Data(response.body.utf8)) as? [String: Any]
    }

    /// The scrape pools' health and last error, by job.
    func targets() -> [String: (health: String, lastError: String)] {
        guard let data = api("targets")?["data"] as? [String: Any], let active = data["activeTargets"] as? [[String: Any]] else { return [:] }
        var result: [String: (String, String)] = [:]
        for target in active {
            guard let job = (target["labels"] as? [String: String])?["job"] else { continue }
            result[job] = (target["health"] as? String ?? "", target["lastError"] as? String ?? "")
        }
        return result
    }

    /// The value of `up` per job, from the query API.
    func up() -> [String: String] {
        guard let data = api("query?query=up")?["data"] as? [String: Any], let series = data["result"] as? [[String: Any]] else { return [:] }
        var result: [String: String] = [:]
        for item in series {
            if let job = (item["metric"] as? [String: String])?["job"], let value = item["value"] as? [Any], value.count == 2 {
                result[job] = value[1] as? String
            }
        }
        return result
    }

    func stop() {
        guard process.isRunning else { return }
        kill(process.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(10)
        while process.isRunning && Date() < deadline { usleep(20_000) }
        if process.isRunning { kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
    }

    deinit { stop() }
}

/// A port nothing listens on right now (bound, read, released).
func freeLoopbackPort() throws -> UInt16 {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(fd) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafeMutablePointer(to: &address) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
    }
    guard bound else { throw POSIXError(.EADDRNOTAVAIL) }
    return UInt16(bigEndian: address.sin_port)
}

@Suite("A real Prometheus scraping over TLS")
struct PrometheusScrapeTests {
    @Test(.timeLimit(.minutes(1)))
    func scrapesWithBasicAuthAndClientCertificates() throws {
        let pki = try TestPKI()
        try pki.issue("server", usage: .server, commonName: "localhost")
        try pki.issue("prometheus", usage: .client)
        let directory = try TemporaryDirectory()

        // One server with TLS + basic auth, one with mutual TLS.
        let basicDirectory = try TemporaryDirectory()
        let basic = try startConfiguredServer(
            webConfig: """
                tls_server_config:
                  cert_file: \(pki.certificate("server"))
                  key_file: \(pki.key("server"))
                basic_auth_users:
                  prometheus: \(prometheusHash)
                """, in: basicDirectory, checkInterval: 5)
        defer { basic.stop() }
        let mutualDirectory = try TemporaryDirectory()
        let mutual = try startConfiguredServer(
            webConfig: """
                tls_server_config:
                  cert_file: \(pki.certificate("server"))
                  key_file: \(pki.key("server"))
                  client_auth_type: RequireAndVerifyClientCert
                  client_ca_file: \(pki.certificate("ca"))
                """, in: mutualDirectory, checkInterval: 5)
        defer { mutual.stop() }

        func job(_ name: String, port: UInt16, _ settings: String) -> String {
            """
              - job_name: \(name)
                scheme: https
                tls_config:
                  ca_file: \(pki.certificate("ca"))
            \(settings)
                static_configs:
                  - targets: ['127.0.0.1:\(port)']

            """
        }
        let config =
            "global:\n  scrape_interval: 1s\n  scrape_timeout: 1s\n  evaluation_interval: 1s\nscrape_configs:\n"
            + job("tls_basic_auth", port: basic.port, "    basic_auth:\n      username: prometheus\n      password: prometheus-scrape")
            + job("wrong_password", port: basic.port, "    basic_auth:\n      username: prometheus\n      password: guess")
            + job("mutual_tls", port: mutual.port, "      cert_file: \(pki.certificate("prometheus"))\n      key_file: \(pki.key("prometheus"))")
            + job("no_client_cert", port: mutual.port, "")
        let prometheus = try PrometheusProcess(config: config, directory: directory)
        defer { prometheus.stop() }

        let expected = ["tls_basic_auth": "1", "wrong_password": "0", "mutual_tls": "1", "no_client_cert": "0"]
        let deadline = Date().addingTimeInterval(40)
        var up: [String: String] = [:]
        while Date() < deadline {
            up = prometheus.up()
            if up == expected { break }
            usleep(250_000)
        }
        #expect(up == expected, "prometheus log: \(prometheus.log)")
        let targets = prometheus.targets()
        #expect(targets["tls_basic_auth"]?.lastError == "")
        #expect(targets["wrong_password"]?.lastError.contains("401 Unauthorized") == true, "\(targets)")
        #expect(targets["mutual_tls"]?.health == "up")
        #expect(targets["no_client_cert"]?.health == "down")
        prometheus.stop()
        #expect(!prometheus.process.isRunning)
    }
}
