import Foundation

/// What the real `curl` (OpenSSL build: an independent TLS stack) saw.
struct CurlResult {
    /// curl's exit code: 0, or e.g. 35/56 for a refused handshake, 52 for an empty reply.
    var exitCode: Int32
    /// 0 when no HTTP response arrived.
    var status: Int
    var headers: [String: String]
    var body: String
    /// curl's diagnostics (with `-v`: the TLS version and the server certificate's subject).
    var log: String

    func header(_ name: String) -> String? { headers[name.lowercased()] }

    /// No HTTP answer at all: the connection or handshake was refused.
    var wasRefused: Bool { exitCode != 0 && status == 0 && body.isEmpty }
}

enum Curl {
    /// `curl -sS -v <arguments> <url>` with a deadline, ignoring any proxy settings.
    static func get(_ url: String, _ arguments: [String] = [], timeout: Double = 10) throws -> CurlResult {
        let scratch = try TemporaryDirectory("crisync-curl")
        let headerFile = scratch.file("headers")
        let bodyFile = scratch.file("body")
        let output = try Subprocess.run(
            "curl",
            ["-sS", "-v", "--noproxy", "*", "--max-time", String(Int(timeout)), "-D", headerFile, "-o", bodyFile, "-w", "%{http_code}"]
                + arguments + [url],
            timeout: timeout + 5)
        var headers: [String: String] = [:]
        let head = (try? String(contentsOfFile: headerFile, encoding: .utf8)) ?? ""
        for line in head.components(separatedBy: "\r\n") {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        return CurlResult(
            exitCode: output.status, status: Int(output.stdout.trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0, headers: headers,
            body: (try? String(contentsOfFile: bodyFile, encoding: .utf8)) ?? "", log: output.stderr)
    }
}
