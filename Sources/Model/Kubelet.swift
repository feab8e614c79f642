import Foundation

/// What the kubelet reports in `GET /pods` (a `v1.PodList`), reduced to the fields crisync uses.

/// `v1.ContainerStateTerminated`.
public struct KubeletTermination: Sendable, Hashable {
    public var exitCode: Int32
    public var signal: Int32?
    public var reason: String?
    public var message: String?
    public var startedAt: Date?
    public var finishedAt: Date?
    public var containerID: String?

    public init(
        exitCode: Int32, signal: Int32? = nil, reason: String? = nil, message: String? = nil,
        startedAt: Date? = nil, finishedAt: Date? = nil, containerID: String? = nil
    ) {
        self.exitCode = exitCode
        self.signal = signal
        self.reason = reason
        self.message = message
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.containerID = containerID
    }
}

/// `v1.ContainerState`: exactly one of running, waiting, terminated (or none when unknown).
public enum KubeletContainerState: Sendable, Hashable {
    case running(startedAt: Date?)
    case waiting(reason: String?, message: String?)
    case terminated(KubeletTermination)
    case unknown

    public var name: String {
        switch self {
        case .running: "running"
        case .waiting: "waiting"
        case .terminated: "terminated"
        case .unknown: "unknown"
        }
    }
}

/// `v1.ContainerStatus`.
public struct KubeletContainerStatus: Sendable, Hashable {
    public var name: String
    /// As the kubelet reports it: `containerd://<id>`; nil before the container was created.
    public var containerID: String?
    public var ready: Bool
    public var started: Bool?
    public var restartCount: Int32
    public var state: KubeletContainerState
    public var lastTerminated: KubeletTermination?
    public var isInit: Bool

    public init(
        name: String, containerID: String? = nil, ready: Bool = false, started: Bool? = nil, restartCount: Int32 = 0,
        state: KubeletContainerState = .unknown, lastTerminated: KubeletTermination? = nil, isInit: Bool = false
    ) {
        self.name = name
        self.containerID = containerID
        self.ready = ready
        self.started = started
        self.restartCount = restartCount
        self.state = state
        self.lastTerminated = lastTerminated
        self.isInit = isInit
    }

    /// The runtime's container ID: `containerID` without its `<runtime>://` scheme.
    public var runtimeContainerID: String? {
        guard let containerID, !containerID.isEmpty else { return nil }
        // A byte scan: Foundation's range(of:) went through NSString, once per container per refresh.
        let bytes = containerID.utf8
        var index = bytes.startIndex
        while index != bytes.endIndex {
            if bytes[index] == UInt8(ascii: ":"), bytes[index...].starts(with: "://".utf8) {
                return String(containerID[bytes.index(index, offsetBy: 3)...])
            }
            index = bytes.index(after: index)
        }
        return containerID
    }
}

/// One `v1.Pod`.
public struct KubeletPod: Sendable, Hashable {
    public var name: String
    public var namespace: String
    public var uid: String
    public var deletionTimestamp: Date?
    public var deletionGracePeriodSeconds: Int64?
    public var nodeName: String?
    public var phase: String?
    /// The pod's `Ready` condition; nil when absent.
    public var ready: Bool?
    /// App containers then init containers (`isInit`), as the kubelet lists them.
    public var containers: [KubeletContainerStatus]

    public init(
        name: String, namespace: String, uid: String, deletionTimestamp: Date? = nil,
        deletionGracePeriodSeconds: Int64? = nil, nodeName: String? = nil, phase: String? = nil, ready: Bool? = nil,
        containers: [KubeletContainerStatus] = []
    ) {
        self.name = name
        self.namespace = namespace
        self.uid = uid
        self.deletionTimestamp = deletionTimestamp
        self.deletionGracePeriodSeconds = deletionGracePeriodSeconds
        self.nodeName = nodeName
        self.phase = phase
        self.ready = ready
        self.containers = containers
    }
}

/// Everything read from the kubelet in one refresh.
public struct KubeletSnapshot: Sendable, Hashable {
    public var pods: [KubeletPod]

    public init(pods: [KubeletPod] = []) {
        self.pods = pods
    }
}
