import Foundation

/// What the container runtime (containerd, over CRI) reports. Plain values, no I/O.

/// CRI `ContainerState`.
public enum RuntimeContainerState: String, Sendable, Hashable, CaseIterable {
    case created
    case running
    case exited
    case unknown
}

/// CRI `PodSandboxState`.
public enum RuntimeSandboxState: String, Sendable, Hashable, CaseIterable {
    case ready
    case notReady = "not_ready"
}

/// The Kubernetes identity the kubelet writes into CRI labels (`io.kubernetes.*`).
/// Every field is optional: containers created outside the kubelet have none of them.
public struct KubernetesLabels: Sendable, Hashable {
    public var namespace: String?
    public var podName: String?
    public var podUID: String?
    public var containerName: String?

    public init(namespace: String? = nil, podName: String? = nil, podUID: String? = nil, containerName: String? = nil) {
        self.namespace = namespace
        self.podName = podName
        self.podUID = podUID
        self.containerName = containerName
    }

    public static let namespaceKey = "io.kubernetes.pod.namespace"
    public static let podNameKey = "io.kubernetes.pod.name"
    public static let podUIDKey = "io.kubernetes.pod.uid"
    public static let containerNameKey = "io.kubernetes.container.name"

    public init(labels: [String: String]) {
        self.init(
            namespace: labels[Self.namespaceKey], podName: labels[Self.podNameKey],
            podUID: labels[Self.podUIDKey], containerName: labels[Self.containerNameKey])
    }
}

/// Detail that only `ContainerStatus(verbose: true)` gives. Fetched once per container and state.
public struct RuntimeContainerStatus: Sendable, Hashable {
    public var state: RuntimeContainerState
    /// Nanoseconds since the Unix epoch; 0 when not set (CRI convention).
    public var createdAtNanos: Int64
    public var startedAtNanos: Int64
    public var finishedAtNanos: Int64
    public var exitCode: Int32
    /// CRI reason: `Completed`, `Error`, `OOMKilled`, `StartError`, `Unknown`, or empty.
    public var reason: String
    public var message: String
    /// `info.pid` from the verbose info JSON; nil or 0 when there is none. Stale after a containerd restart.
    public var pid: Int32?
    /// `info.runtimeSpec.linux.cgroupsPath`, e.g. `/kubepods/pod<uid>/<id>` or `kubepods-...slice:cri-containerd:<id>`.
    public var cgroupsPath: String?
    /// `info.sandboxID`.
    public var sandboxID: String?

    public init(
        state: RuntimeContainerState, createdAtNanos: Int64 = 0, startedAtNanos: Int64 = 0, finishedAtNanos: Int64 = 0,
        exitCode: Int32 = 0, reason: String = "", message: String = "", pid: Int32? = nil,
        cgroupsPath: String? = nil, sandboxID: String? = nil
    ) {
        self.state = state
        self.createdAtNanos = createdAtNanos
        self.startedAtNanos = startedAtNanos
        self.finishedAtNanos = finishedAtNanos
        self.exitCode = exitCode
        self.reason = reason
        self.message = message
        self.pid = pid
        self.cgroupsPath = cgroupsPath
        self.sandboxID = sandboxID
    }
}

/// One container as `ListContainers` lists it, with its status detail when it was fetched.
public struct RuntimeContainer: Sendable, Hashable {
    public var id: String
    public var sandboxID: String
    /// CRI metadata name and attempt (the kubelet's container name and restart attempt).
    public var name: String
    public var attempt: UInt32
    public var state: RuntimeContainerState
    public var createdAtNanos: Int64
    public var labels: KubernetesLabels
    /// Nil when ContainerStatus has not been (or could not be) fetched for this container.
    public var status: RuntimeContainerStatus?

    public init(
        id: String, sandboxID: String, name: String, attempt: UInt32 = 0, state: RuntimeContainerState,
        createdAtNanos: Int64 = 0, labels: KubernetesLabels = .init(), status: RuntimeContainerStatus? = nil
    ) {
        self.id = id
        self.sandboxID = sandboxID
        self.name = name
        self.attempt = attempt
        self.state = state
        self.createdAtNanos = createdAtNanos
        self.labels = labels
        self.status = status
    }
}

/// One pod sandbox as `ListPodSandbox` lists it.
public struct RuntimeSandbox: Sendable, Hashable {
    public var id: String
    public var name: String
    public var namespace: String
    public var uid: String
    public var attempt: UInt32
    public var state: RuntimeSandboxState
    public var createdAtNanos: Int64
    public var labels: KubernetesLabels

    public init(
        id: String, name: String, namespace: String, uid: String, attempt: UInt32 = 0,
        state: RuntimeSandboxState, createdAtNanos: Int64 = 0, labels: KubernetesLabels = .init()
    ) {
        self.id = id
        self.name = name
        self.namespace = namespace
        self.uid = uid
        self.attempt = attempt
        self.state = state
        self.createdAtNanos = createdAtNanos
        self.labels = labels
    }

    // The Kubernetes identity: the labels the kubelet sets first, like a container's; the sandbox's CRI
    // metadata only where they are absent (a sandbox made by hand, `crictl runp`, may carry none).
    public var podNamespace: String { labels.namespace ?? namespace }
    public var podName: String { labels.podName ?? name }
    public var podUID: String { labels.podUID ?? uid }
}

/// CRI `Version`.
public struct RuntimeVersion: Sendable, Hashable {
    public var runtimeName: String
    public var runtimeVersion: String
    public var runtimeAPIVersion: String

    public init(runtimeName: String, runtimeVersion: String, runtimeAPIVersion: String) {
        self.runtimeName = runtimeName
        self.runtimeVersion = runtimeVersion
        self.runtimeAPIVersion = runtimeAPIVersion
    }
}

/// One CRI `Status` condition (`RuntimeReady`, `NetworkReady`).
public struct RuntimeCondition: Sendable, Hashable {
    public var type: String
    public var status: Bool
    public var reason: String
    public var message: String

    public init(type: String, status: Bool, reason: String = "", message: String = "") {
        self.type = type
        self.status = status
        self.reason = reason
        self.message = message
    }
}

/// Everything read from the runtime in one refresh.
public struct RuntimeSnapshot: Sendable, Hashable {
    public var version: RuntimeVersion?
    public var conditions: [RuntimeCondition]
    public var sandboxes: [RuntimeSandbox]
    public var containers: [RuntimeContainer]

    public init(
        version: RuntimeVersion? = nil, conditions: [RuntimeCondition] = [], sandboxes: [RuntimeSandbox] = [],
        containers: [RuntimeContainer] = []
    ) {
        self.version = version
        self.conditions = conditions
        self.sandboxes = sandboxes
        self.containers = containers
    }
}
