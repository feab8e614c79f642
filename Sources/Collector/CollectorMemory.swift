/// What the collector remembers from one refresh to the next. A plain value: the exporter keeps the
/// latest one and passes it back in, so the collector itself stays a pure function.
public struct CollectorMemory: Sendable, Hashable {
    struct DivergenceKey: Sendable, Hashable {
        var containerID: String
        var kind: DivergenceKind
    }

    /// When each candidate divergence was first seen (Unix seconds), including those not yet old
    /// enough to report; the reported ones keep their evidence for when sources go down.
    var firstSeen: [DivergenceKey: Double] = [:]
    var lastReported: [DivergenceKey: Divergence] = [:]

    /// Whether the first successful runtime read has happened: exits before it are a baseline.
    var runtimeBaselineTaken = false
    /// Exited containers already accounted for (counted, or part of the baseline), by container ID.
    var seenExits: Set<String> = []
    var terminations: [TerminationLabels: UInt64] = [:]

    /// Highest OOM-kill count observed per container ID (cgroup counter, or 1 for an OOMKilled exit);
    /// containers with none are absent.
    var oomKillsSeen: [String: UInt64] = [:]
    var oomKills: [OOMKillLabels: UInt64] = [:]

    var sourceErrors: [SourceName: UInt64] = [:]

    /// The kubelet's terminating pods at its last successful read, kept while it is down.
    var lastTerminatingPods = 0
    var lastOverduePods: [OverduePod] = []
    var lastOverdueAt: Double?

    public init() {}
}
