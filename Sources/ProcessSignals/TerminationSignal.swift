import Dispatch
import Glibc
import Synchronization

/// The write end of the pipe the signal handler writes to (-1 before `install()`): the only state a
/// signal handler may touch is what is async-signal-safe, an atomic load and a `write`.
private let signalPipe = Atomic<Int32>(-1)

/// Runs on whichever thread the kernel picked, in signal context.
private func forwardSignal(_ number: Int32) {
    let savedErrno = errno
    var byte = UInt8(truncatingIfNeeded: number)
    _ = write(signalPipe.load(ordering: .acquiring), &byte, 1)
    errno = savedErrno
}

/// Waiting for SIGTERM or SIGINT, so a long-running command can stop what it serves cleanly.
///
/// `install()` takes the signals over at once; a signal that arrives before `wait()` is kept, not
/// lost. A server should install before it starts listening: from the moment it answers, a
/// supervisor may stop it (a pod deleted during start-up), and before `install()` a SIGTERM would
/// still kill it without cleanup, after it one would be ignored until somebody waits.
///
/// A real handler forwards each signal through a pipe (the self-pipe pattern). Ignoring the signal
/// and reading it from a dispatch signal source, as before, lost a SIGTERM now and then: the kernel
/// discards an ignored signal unless the thread it targets blocks it, and which threads block it
/// depends on which threads existed when the source was set up. A handler sees it on any thread.
/// Install once per process.
public final class TerminationSignal: Sendable {
    private struct State: @unchecked Sendable {
        // Dispatch sources are thread-safe; this one is only kept alive here, never used after setup.
        var source: (any DispatchSourceRead)?
        var received: String?
        var waiters: [CheckedContinuation<String, Never>] = []
    }

    private let state = Mutex(State())

    private init() {}

    /// From now on SIGTERM and SIGINT no longer end the process; they end `wait()`.
    public static func install() -> TerminationSignal {
        let signals = TerminationSignal()
        var ends: [Int32] = [-1, -1]
        guard pipe(&ends) == 0 else { preconditionFailure("pipe: errno \(errno)") }
        for end in ends {
            _ = fcntl(end, F_SETFD, FD_CLOEXEC)
            // Non-blocking: the handler must never wait, and the reader drains until empty.
            _ = fcntl(end, F_SETFL, fcntl(end, F_GETFL) | O_NONBLOCK)
        }
        signalPipe.store(ends[1], ordering: .releasing)
        let source = DispatchSource.makeReadSource(fileDescriptor: ends[0], queue: .global())
        source.setEventHandler { [signals] in
            var byte: UInt8 = 0
            while read(ends[0], &byte, 1) == 1 {
                signals.fire(byte == UInt8(SIGINT) ? "SIGINT" : "SIGTERM")
            }
        }
        source.resume()
        signals.state.withLock { $0.source = source }
        for number in [SIGTERM, SIGINT] {
            var action = sigaction()
            action.__sigaction_handler.sa_handler = forwardSignal
            action.sa_flags = SA_RESTART
            sigemptyset(&action.sa_mask)
            sigaction(number, &action, nil)
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
