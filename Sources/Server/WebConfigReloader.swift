import Glibc
import Synchronization

/// Notices when the web config, or a certificate, key or CA file it names, changes, and reads it
/// again; like exporter-toolkit, which re-reads per connection, but rate-limited.
///
/// It runs when a connection is accepted, before its TLS handshake: at most one `stat` of each
/// file per `checkInterval`, and a full reload only when a file's identity, size or times changed.
/// No timer thread, and a rotated certificate is in use from the first handshake after the check
/// that sees it (even when the old one had expired and no request could get through).
final class WebConfigReloader: Sendable {
    let file: String
    private let checkIntervalNanoseconds: Int64
    private let servesTLS: Bool
    private let nextCheck = Atomic<Int64>(0)
    /// The files as they were at the last attempt, successful or not.
    private let stamps: Mutex<[FileStamp]>

    init(file: String, stamps: [FileStamp], checkIntervalSeconds: Double, servesTLS: Bool) {
        self.file = file
        self.stamps = Mutex(stamps)
        self.servesTLS = servesTLS
        checkIntervalNanoseconds = Int64(max(0, checkIntervalSeconds) * 1e9)
        nextCheck.store(monotonicNanoseconds() + checkIntervalNanoseconds, ordering: .relaxed)
    }

    /// Checks the files if the interval has passed, and calls `apply` with a valid new config.
    /// Concurrent callers skip rather than wait: one check at a time is enough.
    func checkForChanges(apply: (LoadedWebConfig) -> Void, report: (ServerEvent) -> Void) {
        let now = monotonicNanoseconds()
        let due = nextCheck.load(ordering: .relaxed)
        guard now >= due,
            nextCheck.compareExchange(expected: due, desired: now + checkIntervalNanoseconds, ordering: .relaxed).exchanged
        else { return }
        stamps.withLockIfAvailable { stamps in
            guard FileStamp.anyChanged(stamps) else { return }
            let (result, newStamps) = WebConfigLoader.load(file: file)
            stamps = newStamps
            switch result {
            case .failure(let error):
                report(.webConfigRejected(error))
            case .success(let loaded) where (loaded.config.tls != nil) != servesTLS:
                report(.webConfigRejected(.tlsModeChange(file: file, nowTLS: loaded.config.tls != nil)))
            case .success(let loaded):
                apply(loaded)
                report(
                    .webConfigLoaded(file: file, tls: servesTLS, basicAuthUsers: loaded.config.basicAuthUsers.count, reload: true))
            }
        }
    }
}

/// CLOCK_MONOTONIC in nanoseconds: immune to wall-clock steps.
func monotonicNanoseconds() -> Int64 {
    var now = timespec()
    clock_gettime(CLOCK_MONOTONIC, &now)
    return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
}
