import Model

/// A container's identity as operators know it. Filled from CRI labels, then from the kubelet.
public struct ContainerRef: Sendable, Hashable, Comparable {
    public var namespace: String
    public var pod: String
    public var podUID: String
    public var container: String
    public var containerID: String

    public init(namespace: String, pod: String, podUID: String, container: String, containerID: String) {
        self.namespace = namespace
        self.pod = pod
        self.podUID = podUID
        self.container = container
        self.containerID = containerID
    }

    public static func < (a: Self, b: Self) -> Bool {
        (a.namespace, a.pod, a.container, a.containerID) < (b.namespace, b.pod, b.container, b.containerID)
    }
}

/// One divergence of one container that has lasted at least `--divergence.min-age`.
public struct Divergence: Sendable, Hashable {
    public var ref: ContainerRef
    public var kind: DivergenceKind
    /// When crisync first saw it (Unix seconds).
    public var since: Double
    /// How long it has lasted at this refresh, in seconds.
    public var ageSeconds: Double
    /// True when the sources this kind needs were down at this refresh: this is the last known state.
    public var stale: Bool
    /// Evidence for people (PID, process state, parent state).
    public var detail: String

    public init(ref: ContainerRef, kind: DivergenceKind, since: Double, ageSeconds: Double, stale: Bool, detail: String) {
        self.ref = ref
        self.kind = kind
        self.since = since
        self.ageSeconds = ageSeconds
        self.stale = stale
        self.detail = detail
    }
}

/// What blocks a terminating pod, in the order crisync checks.
public enum TerminationBlocker: String, Sendable, Hashable, CaseIterable, Comparable {
    case processZombie = "process_zombie"
    case processMissing = "process_missing"
    case containerRunning = "container_running"
    case sandboxRunning = "sandbox_running"
    case runtimeUnreachable = "runtime_unreachable"
    case unknown

    public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
}

/// A pod past its deletion deadline (its `deletionTimestamp`).
public struct OverduePod: Sendable, Hashable {
    public var namespace: String
    public var pod: String
    public var uid: String
    public var blockedBy: TerminationBlocker
    public var overdueSeconds: Double
    public var stuck: Bool

    public init(namespace: String, pod: String, uid: String, blockedBy: TerminationBlocker, overdueSeconds: Double, stuck: Bool) {
        self.namespace = namespace
        self.pod = pod
        self.uid = uid
        self.blockedBy = blockedBy
        self.overdueSeconds = overdueSeconds
        self.stuck = stuck
    }
}

/// The health of one source at this refresh.
public struct SourceHealth: Sendable, Hashable {
    public var up: Bool
    public var durationSeconds: Double
    public var errorsTotal: UInt64
    public var lastError: String?

    public init(up: Bool, durationSeconds: Double, errorsTotal: UInt64, lastError: String?) {
        self.up = up
        self.durationSeconds = durationSeconds
        self.errorsTotal = errorsTotal
        self.lastError = lastError
    }
}

/// Labels of the abnormal-termination counter.
public struct TerminationLabels: Sendable, Hashable, Comparable {
    public var namespace: String
    public var reason: String
    public var signal: String


    public init(namespace: String, reason: String, signal: String) {
        self.namespace = namespace
        self.reason = reason
        self.signal = signal
    }
    public static func < (a: Self, b: Self) -> Bool { (a.namespace, a.reason, a.signal) < (b.namespace, b.reason, b.signal) }
}

/// Labels of the OOM-kill counter.
public struct OOMKillLabels: Sendable, Hashable, Comparable {
    public var namespace: String
    public var pod: String
    public var container: String


    public init(namespace: String, pod: String, container: String) {
        self.namespace = namespace
        self.pod = pod
        self.container = container
    }
    public static func < (a: Self, b: Self) -> Bool { (a.namespace, a.pod, a.container) < (b.namespace, b.pod, b.container) }
}

/// The joined three views of one container, for people (`explain`, the landing page).
public struct ContainerView: Sendable, Hashable {
    public var ref: ContainerRef
    public var runtime: RuntimeContainer?
    public var kubelet: KubeletContainerStatus?
    public var process: KernelProcess?
    public var parent: KernelProcess?
    public var cgroup: CgroupInfo?
    public var ownership: ProcessOwnership?
    public var divergences: [DivergenceKind]

    public init(ref: ContainerRef, runtime: RuntimeContainer?, kubelet: KubeletContainerStatus?, process: KernelProcess?, parent: KernelProcess?, cgroup: CgroupInfo?, ownership: ProcessOwnership?, divergences: [DivergenceKind]) {
        self.ref = ref
        self.runtime = runtime
        self.kubelet = kubelet
        self.process = process
        self.parent = parent
        self.cgroup = cgroup
        self.ownership = ownership
        self.divergences = divergences
    }
}

/// Everything one refresh found: the input of the metrics, the landing page and `explain`.
public struct Findings: Sendable {
    public var timestamp: Double
    public var sources: [Source: SourceHealth]
    public var runtimeVersion: RuntimeVersion?
    public var runtimeConditions: [RuntimeCondition]
    public var knownIssues: [KnownIssue]
    /// Containers by state in each view: `[source: [state: count]]`.
    public var containerCounts: [Source: [String: Int]]
    public var divergences: [Divergence]
    public var terminations: [TerminationLabels: UInt64]
    public var abnormallyTerminated: [String: Int]
    public var oomKills: [OOMKillLabels: UInt64]
    public var terminatingPods: Int
    public var overduePods: [OverduePod]
    /// Every container's three views, runtime order first, then those only the kubelet reports;
    /// empty unless ``CollectorConfiguration/keepsContainerViews``.
    public var views: [ContainerView]
    /// How many containers were joined (what ``views`` would hold).
    public var containersJoined: Int

    public init(timestamp: Double, sources: [Source: SourceHealth], runtimeVersion: RuntimeVersion?, runtimeConditions: [RuntimeCondition], knownIssues: [KnownIssue], containerCounts: [Source: [String: Int]], divergences: [Divergence], terminations: [TerminationLabels: UInt64], abnormallyTerminated: [String: Int], oomKills: [OOMKillLabels: UInt64], terminatingPods: Int, overduePods: [OverduePod], views: [ContainerView], containersJoined: Int) {
        self.timestamp = timestamp
        self.sources = sources
        self.runtimeVersion = runtimeVersion
        self.runtimeConditions = runtimeConditions
        self.knownIssues = knownIssues
        self.containerCounts = containerCounts
        self.divergences = divergences
        self.terminations = terminations
        self.abnormallyTerminated = abnormallyTerminated
        self.oomKills = oomKills
        self.terminatingPods = terminatingPods
        self.overduePods = overduePods
        self.views = views
        self.containersJoined = containersJoined
    }

    public func divergentCount(_ kind: DivergenceKind) -> Int {
        divergences.lazy.filter { $0.kind == kind }.count
    }
}
