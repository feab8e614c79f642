/// The collector's tunables (flags of the exporter).
public struct CollectorConfiguration: Sendable, Hashable {
    /// A divergence counts only once it has lasted this long (`--divergence.min-age`), so the normal lag
    /// between runtime and kubelet (PLEG relist, status sync) never shows up.
    public var divergenceMinAgeSeconds: Double
    /// A terminating pod is "stuck" once it is this far past its deletion deadline (`--terminating.stuck-after`).
    public var stuckAfterSeconds: Double
    /// Tolerance when comparing a process start time with the container's lifetime: `btime` has
    /// one-second resolution and start times are in clock ticks.
    public var startTimeToleranceSeconds: Double

    /// Whether ``Findings/views`` holds every container's three views (what `explain` shows). The
    /// exporter shows none of them, and building one per container per refresh cost more than
    /// judging it, so it turns them off; ``Findings/containersJoined`` counts them either way.
    public var keepsContainerViews: Bool

    public init(
        divergenceMinAgeSeconds: Double = 15, stuckAfterSeconds: Double = 60, startTimeToleranceSeconds: Double = 2,
        keepsContainerViews: Bool = true
    ) {
        self.divergenceMinAgeSeconds = divergenceMinAgeSeconds
        self.stuckAfterSeconds = stuckAfterSeconds
        self.startTimeToleranceSeconds = startTimeToleranceSeconds
        self.keepsContainerViews = keepsContainerViews
    }
}
