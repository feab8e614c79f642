import ArgumentParser
import Foundation
import KubeletTestSupport

/// Serves a kubelet-shaped `/pods` from files that shell tests rewrite while it runs.
@main
struct FakeKubeletCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fake-kubelet",
        abstract: "A stand-in for the kubelet's /pods endpoint, for end-to-end tests.",
        discussion: """
            Prints "listening on HOST:PORT" as its first line once bound. The pods file, the token \
            file and the mode file are re-read on every request. Mode file words: ok, 401, 403, 500, \
            slow [seconds], slow-body [seconds], trickle [ms], garbage, truncated, dropped, huge [bytes] [chunked].
            """)

    @Option(help: "Address to listen on, HOST:PORT (port 0 picks a free one).")
    var listen = "127.0.0.1:0"

    @Option(help: "A kubelet-shaped PodList JSON file, served as /pods.")
    var podsFile: String

    @Option(help: "PEM certificate (chain) to serve HTTPS with; needs --tls-key.")
    var tlsCert: String?

    @Option(help: "PEM private key for --tls-cert.")
    var tlsKey: String?

    @Option(help: "When set, requests must carry 'Authorization: Bearer <contents of this file>'.")
    var tokenFile: String?

    @Option(help: "File whose first word picks the behaviour (default ok when absent).")
    var modeFile: String?

    func validate() throws {
        guard (tlsCert == nil) == (tlsKey == nil) else {
            throw ValidationError("--tls-cert and --tls-key go together")
        }
        guard let colon = listen.lastIndex(of: ":"), Int(listen[listen.index(after: colon)...]) != nil else {
            throw ValidationError("--listen must be HOST:PORT, got \(listen)")
        }
        guard FileManager.default.isReadableFile(atPath: podsFile) else {
            throw ValidationError("--pods-file \(podsFile) is not readable")
        }
    }

    func run() async throws {
        let colon = listen.lastIndex(of: ":")!
        let host = String(listen[..<colon])
        let port = Int(listen[listen.index(after: colon)...])!
        let tls = tlsCert.map { FakeKubeletTLS(certificateChainPath: $0, privateKeyPath: tlsKey!) }
        let files = ScenarioFiles(podsFile: podsFile, tokenFile: tokenFile, modeFile: modeFile)
        let fake = try await FakeKubelet.start(tls: tls, host: host, port: port, scenarioSource: files.read)
        print("listening on \(host):\(fake.port)")
        fflush(nil)
        while !Task.isCancelled {
            try await Task.sleep(for: .seconds(3600))
        }
        await fake.stop()
    }
}

/// Reads the scenario from the files on each request; an error becomes a 500 naming the file.
struct ScenarioFiles: Sendable {
    var podsFile: String
    var tokenFile: String?
    var modeFile: String?

    @Sendable func read() throws -> FakeKubeletScenario {
        let body = try [UInt8](Data(contentsOf: URL(fileURLWithPath: podsFile)))
        let token = try tokenFile.map {
            try String(decoding: Data(contentsOf: URL(fileURLWithPath: $0)), as: UTF8.self)
                .trimmingCharacters(in: .whitespacesAndNewlines)
        }
        var mode = FakeKubeletMode.ok
        if let modeFile, FileManager.default.fileExists(atPath: modeFile) {
            let line = String(decoding: try Data(contentsOf: URL(fileURLWithPath: modeFile)), as: UTF8.self)
                .split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
            guard let parsed = FakeKubeletMode(modeLine: line) else {
                throw ValidationError("mode file \(modeFile): unknown mode \"\(line)\"")
            }
            mode = parsed
        }
        return FakeKubeletScenario(mode: mode, podListBody: body, requiredToken: token)
    }
}
