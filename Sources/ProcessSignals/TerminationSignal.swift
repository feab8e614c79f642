import Dispatch
import Glibc
import Synchronization

/// Waiting for SIGTERM or SIGINT, so a long-running command can stop what it serves cleanly.
///
/// `install()` takes the signals over at once; a signal that arrives before `wait()` is kept, not
/// lost. A server should install before it starts listening: from the moment it answers, a
/// supervisor may stop it (a pod deleted during start-up), and before `install()` a SIGTERM would
/// still kill it without cleanup, after it one would be ignored until somebody waits.
public final class TerminationSignal: Sendable {
    private struct State: @unchecked Sendable {
        // Dispatch sources are thread-safe; they are only kept alive here, never used after setup.
        var sources: [any DispatchSourceSignal] = []
        var received: String?
        var waiters: [CheckedContinuation<String, Never>] = []
    }

    private let state = Mutex(State())

    private init() {}

    /// From now on SIGTERM and SIGINT no longer end the process; they end `wait()`.
    public static func install() -> TerminationSignal {
        let signals = TerminationSignal()
        for (number, name) in [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { [signals] in signals.fire(name) }
            source.resume()
            signals.state.withLock { $0.sources.append(source) }
        }
        return signals
    }

    /// Installs, then suspends until SIGTERM or SIGINT arrives; returns its name.
    public static func wait() async -> String {
        await install().wait()
    }

    /// Suspends until SIGTERM or SIGINT has arrived (at once if one already has); returns its name.
    public func wait() async -> String {
        await withCheckedContinuation { continuation in
            let received = state.withLock { state -> String? in
                if state.received == nil { state.waiters.append(continuation) }
                return state.received
            }
            if let received { continuation.resume(returning: received) }
        }
    }

    private func fire(_ name: String) {
        let waiters = state.withLock { state -> [CheckedContinuation<String, Never>] in
            guard state.received == nil else { return [] }
            state.received = name
            defer { state.waiters = [] }
            return state.waiters
        }
        for waiter in waiters { waiter.resume(returning: name) }
    }
}
