import Foundation
import Synchronization

@testable import Server

let demoMetrics = "# HELP up_demo Demo.\n# TYPE up_demo gauge\nup_demo 1\n"

/// Collects what the server reports, for assertions.
final class EventLog: Sendable {
    private let events = Mutex<[ServerEvent]>([])

    /// Everything but libmicrohttpd's own diagnostics (dropped connections and the like).
    var all: [ServerEvent] {
        events.withLock { $0.filter { if case .libraryMessage = $0 { false } else { true } } }
    }

    var libraryMessages: [String] {
        events.withLock { $0.compactMap { if case .libraryMessage(let message) = $0 { message } else { nil } } }
    }

    func record(_ event: ServerEvent) {
        events.withLock { $0.append(event) }
    }

    /// Waits until an event matching `predicate` has arrived.
    func wait(timeout: Double = 10, for predicate: (ServerEvent) -> Bool) throws {
        try waitUntil(timeout: timeout) { all.contains(where: predicate) }
    }
}

/// A server on 127.0.0.1:0 with `webConfig` written to `web.yml` in `directory`, publishing
/// `demoMetrics`. The config is checked for changes on every new connection unless told otherwise.
func startConfiguredServer(
    webConfig: String, in directory: TemporaryDirectory, checkInterval: Double = 0, events: EventLog = EventLog(),
    configure: (inout ServerConfiguration) -> Void = { _ in }
) throws -> HTTPServer {
    let path = try directory.write("web.yml", webConfig)
    var configuration = ServerConfiguration(
        listenAddress: try ListenAddress(parsing: "127.0.0.1:0"), webConfigFile: path, webConfigCheckIntervalSeconds: checkInterval)
    configure(&configuration)
    let server = try HTTPServer.start(configuration, events: { events.record($0) })
    server.publish(
        prometheusText: Array(demoMetrics.utf8), openMetricsText: Array((demoMetrics + "# EOF\n").utf8),
        landingPage: Array("<html>crisync</html>".utf8))
    return server
}

/// Replaces a file the way editors and Kubernetes do: write a new file, then rename it over the old
/// one (a new inode, so the change is seen even within the same second).
func replaceFile(_ path: String, with text: String) throws {
    let temporary = path + ".new"
    try text.write(toFile: temporary, atomically: false, encoding: .utf8)
    guard rename(temporary, path) == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
}

func replaceFile(_ path: String, withContentsOf source: String) throws {
    try replaceFile(path, with: try String(contentsOfFile: source, encoding: .utf8))
}
