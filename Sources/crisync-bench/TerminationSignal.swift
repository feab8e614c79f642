import Dispatch
import Foundation
import Glibc
import Synchronization

/// Suspends until SIGTERM or SIGINT arrives.
func waitForTermination() async {
    await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
        let latch = SignalLatch(continuation)
        for number in [SIGTERM, SIGINT] {
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler { latch.fire() }
            source.resume()
            latch.keep(source)
        }
    }
}

/// Resumes the continuation once and keeps the signal sources alive.
private final class SignalLatch: Sendable {
    private struct State: @unchecked Sendable {
        // Dispatch sources are thread-safe; the box only keeps them alive.
        var continuation: CheckedContinuation<Void, Never>?
        var sources: [any DispatchSourceSignal] = []
    }

    private let state: Mutex<State>

    init(_ continuation: CheckedContinuation<Void, Never>) {
        state = Mutex(State(continuation: continuation))
    }

    func keep(_ source: any DispatchSourceSignal) {
        state.withLock { $0.sources.append(source) }
    }

    func fire() {
        let continuation = state.withLock { state in
            defer { state.continuation = nil }
            return state.continuation
        }
        continuation?.resume()
    }
}
