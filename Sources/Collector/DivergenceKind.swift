/// Every way the three views of a container can disagree. The definitions here are the contract:
/// the README's metrics table quotes them word for word.
public enum DivergenceKind: String, Sendable, Hashable, CaseIterable, Comparable {
    /// Runtime says RUNNING, but its PID does not exist, or belongs to another process (cgroup
    /// mismatch / started outside the container's lifetime).
    case processMissing = "process_missing"
    /// Runtime says RUNNING, but its PID is a zombie (exited, not reaped: the shim missed or stalled on the exit).
    case processZombie = "process_zombie"
    /// Kubelet says the container is ready, but its process is missing or a zombie.
    case readyButDead = "ready_but_dead"
    /// Kubelet says running, runtime says EXITED.
    case kubeletRunningRuntimeExited = "kubelet_running_runtime_exited"
    /// Kubelet says running with an ID the runtime does not know.
    case kubeletRunningRuntimeMissing = "kubelet_running_runtime_missing"
    /// Runtime says RUNNING, kubelet says terminated.
    case runtimeRunningKubeletTerminated = "runtime_running_kubelet_terminated"
    /// Runtime has a RUNNING container or READY sandbox for a pod UID the kubelet does not know.
    case runtimeOrphaned = "runtime_orphaned"

    public static func < (lhs: DivergenceKind, rhs: DivergenceKind) -> Bool { lhs.rawValue < rhs.rawValue }

    /// One sentence for people: used on the landing page and by `explain`.
    public var explanation: String {
        switch self {
        case .processMissing:
            "the runtime says RUNNING but the container's process no longer exists (or its PID now belongs to another process)"
        case .processZombie:
            "the runtime says RUNNING but the container's process has exited and was never reaped (a zombie): the shim missed or is stalled on the exit"
        case .readyButDead:
            "the kubelet reports the container Ready, but its process is dead: traffic is being sent to a dead endpoint"
        case .kubeletRunningRuntimeExited:
            "the kubelet says running, but the runtime says the container has exited"
        case .kubeletRunningRuntimeMissing:
            "the kubelet says running with a container ID the runtime does not know"
        case .runtimeRunningKubeletTerminated:
            "the runtime says RUNNING, but the kubelet says the container has terminated"
        case .runtimeOrphaned:
            "the runtime runs a container or sandbox for a pod the kubelet does not know (leaked)"
        }
    }

    /// The sources whose data this kind needs; when one is down the kind cannot be evaluated and its
    /// last known findings are kept (never silently reported as healthy).
    public var requiredSources: Set<SourceName> {
        switch self {
        case .processMissing, .processZombie: [.runtime, .procfs]
        case .readyButDead: [.runtime, .procfs, .kubelet]
        case .kubeletRunningRuntimeExited, .kubeletRunningRuntimeMissing, .runtimeRunningKubeletTerminated,
            .runtimeOrphaned:
            [.runtime, .kubelet]
        }
    }
}

public typealias SourceName = Model.Source

import Model
