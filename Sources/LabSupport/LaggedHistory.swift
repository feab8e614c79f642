/// Recent values with the time each was read, for serving a view that runs behind the source by a
/// fixed lag, as the kubelet's view runs behind the runtime's (PLEG relist, status sync).
///
/// Times are seconds on any monotonic clock. Pure: the caller supplies the times.
public struct LaggedHistory<Value: Sendable>: Sendable {
    private var entries: [(time: Double, value: Value)] = []

    public init() {}

    /// Records `value`, read at `time` (times must not go backwards).
    public mutating func append(_ value: Value, at time: Double) {
        entries.append((time, value))
    }

    /// The newest value read at least `lag` seconds before `now`; until one is that old, the
    /// oldest value there is (a kubelet that just started has only what it read first). Drops
    /// entries that can never be served again. nil when nothing was recorded.
    public mutating func value(at now: Double, lag: Double) -> Value? {
        let cutoff = now - lag
        guard let newestServable = entries.lastIndex(where: { $0.time <= cutoff }) else { return entries.first?.value }
        entries.removeFirst(newestServable)
        return entries.first?.value
    }

    /// Entries kept (for tests: the history must not grow without bound).
    public var count: Int { entries.count }
}
