import Foundation
import Model

/// Writes ``Model/KubeletPod`` values as a kubelet writes them in `GET /pods`: a `v1.PodList`
/// with the real field names and shape (metadata, spec with containers, status with conditions
/// and container statuses), including fields crisync ignores, so a decoder that chokes on real
/// input fails here too.
///
/// Independent of `KubeletReader` on purpose: round-trip tests then check the decoder against a
/// second, separately written reading of the API.
public enum KubeletPodListEncoder {
    /// The image every fake container runs (the busybox image the project's containerd imports).
    public static let image = "docker.io/library/busybox:latest"

    /// A whole PodList, as JSON bytes. Timestamps are whole seconds, as `metav1.Time` writes them.
    public static func encode(_ pods: [KubeletPod]) -> [UInt8] {
        let list = PodListJSON(items: pods.map(PodJSON.init))
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        // Encoding these plain structs cannot fail: no floats, no custom throwing encoders.
        return (try? encoder.encode(list)).map { [UInt8]($0) } ?? []
    }

    /// `2026-11-29T07:17:22Z`.
    public static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC") ?? .current))
    }
}

private struct PodListJSON: Encodable {
    var apiVersion = "v1"
    var kind = "PodList"
    var metadata = EmptyJSON()
    var items: [PodJSON]
}

private struct EmptyJSON: Encodable {}

private struct PodJSON: Encodable {
    var metadata: MetadataJSON
    var spec: SpecJSON
    var status: StatusJSON

    init(_ pod: KubeletPod) {
        let created = earliestStart(pod) ?? Date(timeIntervalSince1970: 1_800_000_000)
        metadata = MetadataJSON(
            name: pod.name, namespace: pod.namespace, uid: pod.uid,
            resourceVersion: "1",
            creationTimestamp: KubeletPodListEncoder.timestamp(created),
            deletionTimestamp: pod.deletionTimestamp.map(KubeletPodListEncoder.timestamp),
            deletionGracePeriodSeconds: pod.deletionGracePeriodSeconds,
            labels: ["app": pod.name],
            annotations: [
                "kubernetes.io/config.seen": KubeletPodListEncoder.timestamp(created),
                "kubernetes.io/config.source": "api",
            ])
        let app = pod.containers.filter { !$0.isInit }
        let initContainers = pod.containers.filter(\.isInit)
        spec = SpecJSON(
            containers: app.map { ContainerSpecJSON(name: $0.name) },
            initContainers: initContainers.isEmpty ? nil : initContainers.map { ContainerSpecJSON(name: $0.name) },
            nodeName: pod.nodeName)
        var conditions = [
            ConditionJSON(type: "Initialized", status: "True", lastTransitionTime: KubeletPodListEncoder.timestamp(created))
        ]
        if let ready = pod.ready {
            let value = ready ? "True" : "False"
            let reason = ready ? nil : "ContainersNotReady"
            let time = KubeletPodListEncoder.timestamp(created)
            conditions.append(ConditionJSON(type: "Ready", status: value, lastTransitionTime: time, reason: reason))
            conditions.append(
                ConditionJSON(type: "ContainersReady", status: value, lastTransitionTime: time, reason: reason))
        }
        conditions.append(
            ConditionJSON(type: "PodScheduled", status: "True", lastTransitionTime: KubeletPodListEncoder.timestamp(created)))
        status = StatusJSON(
            phase: pod.phase, conditions: conditions,
            startTime: KubeletPodListEncoder.timestamp(created),
            initContainerStatuses: initContainers.isEmpty ? nil : initContainers.map(ContainerStatusJSON.init),
            containerStatuses: app.isEmpty ? nil : app.map(ContainerStatusJSON.init))
    }
}

private func earliestStart(_ pod: KubeletPod) -> Date? {
    pod.containers.compactMap { status -> Date? in
        switch status.state {
        case .running(let startedAt): startedAt
        case .terminated(let termination): termination.startedAt
        default: status.lastTerminated?.startedAt
        }
    }.min()
}

private struct MetadataJSON: Encodable {
    var name: String
    var namespace: String
    var uid: String
    var resourceVersion: String
    var creationTimestamp: String
    var deletionTimestamp: String?
    var deletionGracePeriodSeconds: Int64?
    var labels: [String: String]
    var annotations: [String: String]
}

private struct SpecJSON: Encodable {
    var volumes = [VolumeJSON()]
    var containers: [ContainerSpecJSON]
    var initContainers: [ContainerSpecJSON]?
    var restartPolicy = "Always"
    var terminationGracePeriodSeconds = 30
    var dnsPolicy = "ClusterFirst"
    var nodeName: String?
    var hostNetwork = true
    var securityContext = EmptyJSON()
    var schedulerName = "default-scheduler"
    var tolerations = [
        TolerationJSON(key: "node.kubernetes.io/not-ready"),
        TolerationJSON(key: "node.kubernetes.io/unreachable"),
    ]
    var priority = 0
    var enableServiceLinks = true
    var preemptionPolicy = "PreemptLowerPriority"
}

private struct VolumeJSON: Encodable {
    var name = "kube-api-access"
    var projected = ProjectedJSON()

    struct ProjectedJSON: Encodable {
        var sources = [SourceJSON()]
        var defaultMode = 420
    }

    struct SourceJSON: Encodable {
        var serviceAccountToken = TokenProjectionJSON()
    }

    struct TokenProjectionJSON: Encodable {
        var expirationSeconds = 3607
        var path = "token"
    }
}

private struct TolerationJSON: Encodable {
    var key: String
    var `operator` = "Exists"
    var effect = "NoExecute"
    var tolerationSeconds = 300
}

private struct ContainerSpecJSON: Encodable {
    var name: String
    var image = KubeletPodListEncoder.image
    var command = ["sleep", "3600"]
    var resources = EmptyJSON()
    var volumeMounts = [MountJSON()]
    var terminationMessagePath = "/dev/termination-log"
    var terminationMessagePolicy = "File"
    var imagePullPolicy = "IfNotPresent"

    struct MountJSON: Encodable {
        var name = "kube-api-access"
        var readOnly = true
        var mountPath = "/var/run/secrets/kubernetes.io/serviceaccount"
    }
}

private struct ConditionJSON: Encodable {
    var type: String
    var status: String
    var lastTransitionTime: String
    var reason: String?

    enum CodingKeys: String, CodingKey {
        case type, status, lastProbeTime, lastTransitionTime, reason
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(type, forKey: .type)
        try container.encode(status, forKey: .status)
        try container.encodeNil(forKey: .lastProbeTime)  // the API server writes it as null
        try container.encode(lastTransitionTime, forKey: .lastTransitionTime)
        try container.encodeIfPresent(reason, forKey: .reason)
    }
}

private struct StatusJSON: Encodable {
    var phase: String?
    var conditions: [ConditionJSON]
    var hostIP = "127.0.0.1"
    var hostIPs = [["ip": "127.0.0.1"]]
    var podIP = "127.0.0.1"
    var podIPs = [["ip": "127.0.0.1"]]
    var startTime: String
    var initContainerStatuses: [ContainerStatusJSON]?
    var containerStatuses: [ContainerStatusJSON]?
    var qosClass = "BestEffort"
}

private struct ContainerStatusJSON: Encodable {
    var name: String
    var state: StateJSON
    var lastState: StateJSON
    var ready: Bool
    var restartCount: Int32
    var image = KubeletPodListEncoder.image
    var imageID = "sha256:9b2a5c8f4e3d1c0b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b"
    var containerID: String?
    var started: Bool?

    init(_ status: KubeletContainerStatus) {
        name = status.name
        state = StateJSON(status.state)
        lastState = status.lastTerminated.map { StateJSON(terminated: TerminatedJSON($0)) } ?? StateJSON()
        ready = status.ready
        restartCount = status.restartCount
        containerID = status.containerID
        started = status.started
    }
}

private struct StateJSON: Encodable {
    var running: RunningJSON?
    var waiting: WaitingJSON?
    var terminated: TerminatedJSON?

    init(running: RunningJSON? = nil, waiting: WaitingJSON? = nil, terminated: TerminatedJSON? = nil) {
        self.running = running
        self.waiting = waiting
        self.terminated = terminated
    }

    init(_ state: KubeletContainerState) {
        switch state {
        case .running(let startedAt):
            self.init(running: RunningJSON(startedAt: startedAt.map(KubeletPodListEncoder.timestamp)))
        case .waiting(let reason, let message):
            self.init(waiting: WaitingJSON(reason: reason, message: message))
        case .terminated(let termination):
            self.init(terminated: TerminatedJSON(termination))
        case .unknown:
            self.init()
        }
    }
}

private struct RunningJSON: Encodable {
    var startedAt: String?
}

private struct WaitingJSON: Encodable {
    var reason: String?
    var message: String?
}

private struct TerminatedJSON: Encodable {
    var exitCode: Int32
    var signal: Int32?
    var reason: String?
    var message: String?
    var startedAt: String?
    var finishedAt: String?
    var containerID: String?

    init(_ termination: KubeletTermination) {
        exitCode = termination.exitCode
        signal = termination.signal
        reason = termination.reason
        message = termination.message
        startedAt = termination.startedAt.map(KubeletPodListEncoder.timestamp)
        finishedAt = termination.finishedAt.map(KubeletPodListEncoder.timestamp)
        containerID = termination.containerID
    }
}
