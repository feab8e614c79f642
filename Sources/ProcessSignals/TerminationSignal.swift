import Dispatch
import Glibc
import Synchronization

/// Waiting for SIGTERM or SIGINT, so a long-running command can stop what it serves cleanly.
public enum TerminationSignal {
    /// Suspends until SIGTERM or SIGINT arrives; returns its name. From the first call on, both
    /// signals are ignored by default and only reach this waiter.
    public static func wait() async -> String {
        await withCheckedContinuation { continuation in
            let latch = Latch(continuation)
            for (number, name) in [(SIGTERM, "SIGTERM"), (SIGINT, "SIGINT")] {
                signal(number, SIG_IGN)
                let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
                source.setEventHandler { latch.fire(name) }
                source.resume()
                latch.keep(source)
            }
        }
    }

    /// Resumes the continuation once, whichever signal comes first; keeps the sources alive.
    private final class Latch: Sendable {
        private struct State: @unchecked Sendable {
            // Dispatch sources are thread-safe; they are only kept here, never used after setup.
            var continuation: CheckedContinuation<String, Never>?
            var sources: [any DispatchSourceSignal] = []
        }

        private let state: Mutex<State>

        init(_ continuation: CheckedContinuation<String, Never>) {
            state = Mutex(State(continuation: continuation))
        }

        func keep(_ source: any DispatchSourceSignal) {
            state.withLock { $0.sources.append(source) }
        }

        func fire(_ name: String) {
            let pending = state.withLock { state -> CheckedContinuation<String, Never>? in
                defer { state.continuation = nil }
                return state.continuation
            }
            pending?.resume(returning: name)
        }
    }
}
