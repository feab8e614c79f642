import Logging
import Model
import RuntimeReader
import Synchronization

/// Follows the runtime's container event stream (CRI `GetContainerEvents`) where the runtime has
/// one, so that a refresh runs soon after a container starts or stops, and an exit is counted even
/// when the container is removed before the next refresh lists it.
///
/// It has its own connection: the stream stays open for hours, and a wedged or restarting runtime
/// must not hold up the refreshes, which keep their deadlines. containerd 1.6 answers UNIMPLEMENTED:
/// then crisync polls every `--collector.interval` alone and asks again every `unsupportedRecheck`
/// (the runtime may be upgraded under it).
final class RuntimeEventWatcher: Sendable {
    let wakeup = RefreshWakeup()
    private let endpoint: String
    private let timeout: Duration
    private let logger: Logger
    private let retry: Duration
    private let unsupportedRecheck: Duration
    /// Exits from `stopped` events not yet handed to a refresh, by container ID.
    private let exits = Mutex<[String: RuntimeContainer]>([:])
    /// The last state of the stream that was logged, so each change is logged once.
    private let lastReport = Mutex<String>("")

    init(
        endpoint: String, timeout: Duration, logger: Logger, retry: Duration = .seconds(2),
        unsupportedRecheck: Duration = .seconds(300)
    ) {
        self.endpoint = endpoint
        self.timeout = timeout
        self.logger = logger
        self.retry = retry
        self.unsupportedRecheck = unsupportedRecheck
    }

    /// The exits received since the last call.
    func takeExits() -> [RuntimeContainer] {
        exits.withLock { exits in
            defer { exits = [:] }
            return exits.values.sorted { $0.id < $1.id }
        }
    }

    /// Watches until cancelled, reconnecting after failures.
    func run() async {
        while !Task.isCancelled {
            let pause: Duration
            do {
                let client = try CRIClient(endpoint: CRIEndpoint(parsing: endpoint), timeout: timeout)
                pause = await watch(with: client)
                await client.close()
            } catch {
                report("events unavailable", "\(error)")
                pause = unsupportedRecheck
            }
            try? await Task.sleep(for: pause)
        }
    }

    /// One connection: probe, then stream. Returns how long to wait before the next attempt.
    private func watch(with client: CRIClient) async -> Duration {
        switch await client.eventsSupport() {
        case .unsupported:
            report("runtime does not stream container events; polling only", nil)
            return unsupportedRecheck
        case .unknown(let error):
            report("could not probe the runtime's event stream", "\(error)")
            return retry
        case .supported:
            report("following the runtime's container events", nil)
            do {
                try await client.watchContainerEvents { [self] event in receive(event) }
                report("the runtime ended the event stream", nil)
            } catch {
                if !Task.isCancelled { report("the runtime's event stream failed", "\(error)") }
            }
            // Whatever happened while the stream was down is seen by the next listing.
            wakeup.fire()
            return retry
        }
    }

    private func receive(_ event: RuntimeContainerEvent) {
        if event.kind == .stopped, let container = event.container, container.status?.state == .exited {
            exits.withLock { $0[container.id] = container }
        }
        wakeup.fire()
    }

    /// Logs a change of the stream's state once, not on every retry.
    private func report(_ message: String, _ error: String?) {
        let line = message + (error.map { ": " + $0 } ?? "")
        guard lastReport.withLock({ previous in
            defer { previous = line }
            return previous != line
        }) else { return }
        if let error {
            logger.warning("\(message)", metadata: ["err": "\(error)"])
        } else {
            logger.info("\(message)")
        }
    }
}
