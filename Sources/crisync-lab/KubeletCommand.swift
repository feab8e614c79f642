import ArgumentParser
import Foundation
import LabSupport
import ProcessSignals

/// `crisync-lab kubelet`: a fake kubelet whose `/pods` mirrors the real runtime.
struct KubeletCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kubelet",
        abstract: "Serve kubelet-shaped /pods mirroring what the runtime runs.",
        discussion: """
            Every --refresh-interval it reads the runtime over CRI and serves, on plain HTTP, what a \
            kubelet would report for those pods (a container whose exit the runtime missed stays \
            running and Ready, as with a real kubelet). Prints "listening on HOST:PORT" once bound. \
            Per-pod overrides are read from <state-dir>/overrides/<namespace>_<pod>.json on every \
            refresh, e.g. {"deletionTimestamp": "2026-01-01T00:00:00Z", "deletionGracePeriodSeconds": 30} \
            for a pod being deleted (`crisync-lab scenario stuck-terminating` writes one). Stops on \
            SIGTERM or SIGINT.
            """)

    @Option(name: .customLong("runtime.endpoint"), help: "CRI endpoint of the runtime to mirror (unix:///path).")
    var runtimeEndpoint: String

    @Option(help: "Address to listen on, HOST:PORT (port 0 picks a free one).")
    var listen = "127.0.0.1:0"

    @Option(help: "Serve the runtime as it was this long ago (the kubelet trails the runtime), e.g. 2s.")
    var lag = "0s"

    @Option(help: "How often the runtime is read.")
    var refreshInterval = "1s"

    @Option(help: "State directory whose overrides/ holds per-pod overrides.")
    var stateDir: String?

    @Option(help: "spec.nodeName of every pod served.")
    var nodeName = "crisync-lab"

    func validate() throws {
        guard let colon = listen.lastIndex(of: ":"), Int(listen[listen.index(after: colon)...]) != nil,
            colon > listen.startIndex
        else {
            throw ValidationError("--listen must be HOST:PORT, got \"\(listen)\"")
        }
        do {
            _ = try LabDuration.parse(lag)
            guard try LabDuration.parse(refreshInterval) >= .milliseconds(100) else {
                throw ValidationError("--refresh-interval must be at least 100ms")
            }
        } catch let error as LabError {
            throw ValidationError(error.description)
        }
    }

    func run() async throws {
        let colon = listen.lastIndex(of: ":")!
        let configuration = MirrorKubelet.Configuration(
            runtimeEndpoint: runtimeEndpoint, host: String(listen[..<colon]),
            port: Int(listen[listen.index(after: colon)...])!, lag: try LabDuration.parse(lag),
            refreshInterval: try LabDuration.parse(refreshInterval),
            overridesDirectory: stateDir.map { LabStateStore(directory: $0).overrides.directory }, nodeName: nodeName)
        let mirror = try await MirrorKubelet.start(configuration, log: LabLog.line)
        print("listening on \(configuration.host):\(mirror.port)")
        fflush(nil)
        let signal = await TerminationSignal.wait()
        LabLog.line("kubelet: \(signal), stopping")
        await mirror.stop()
    }
}
