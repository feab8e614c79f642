import Model

/// One refresh's worth of reads: the three views, the time, and the exits the runtime streamed
/// since the previous refresh (empty where the runtime cannot stream events).
public struct CollectorInput: Sendable {
    /// Unix seconds.
    public var now: Double
    public var runtime: SourceReading<RuntimeSnapshot>
    public var kubelet: SourceReading<KubeletSnapshot>
    public var kernel: SourceReading<KernelSnapshot>
    public var exitEvents: [RuntimeContainer]

    public init(
        now: Double, runtime: SourceReading<RuntimeSnapshot>, kubelet: SourceReading<KubeletSnapshot>,
        kernel: SourceReading<KernelSnapshot>, exitEvents: [RuntimeContainer] = []
    ) {
        self.now = now
        self.runtime = runtime
        self.kubelet = kubelet
        self.kernel = kernel
        self.exitEvents = exitEvents
    }
}
