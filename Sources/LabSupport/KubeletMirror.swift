import Foundation
import Model

/// What a real kubelet would report for the pods it runs, derived from the runtime's own view.
///
/// The kubelet cannot run on these machines; the demo and the scenario tests stand a fake kubelet
/// in front of the real containerd, and this is the PodList it serves. Like the real kubelet it
/// learns everything from CRI, so a container whose exit the runtime missed still shows as running
/// and Ready here, exactly what `kubectl get pods` shows in the real incident.
public enum KubeletMirror {
    /// Per-pod changes a test or the demo applies on top of the mirror (a pending deletion, say).
    public struct PodOverride: Sendable, Hashable {
        public var deletionTimestamp: Date?
        public var deletionGracePeriodSeconds: Int64?

        public init(deletionTimestamp: Date? = nil, deletionGracePeriodSeconds: Int64? = nil) {
            self.deletionTimestamp = deletionTimestamp
            self.deletionGracePeriodSeconds = deletionGracePeriodSeconds
        }
    }

    /// Pods for every sandbox that carries a pod UID, in sandbox order; containers are the latest
    /// attempt of each container name, with the previous attempt's exit as `lastState.terminated`.
    public static func pods(
        from runtime: RuntimeSnapshot, nodeName: String = "crisync-lab", overrides: [String: PodOverride] = [:]
    ) -> [KubeletPod] {
        let containersBySandbox = Dictionary(grouping: runtime.containers, by: \.sandboxID)
        var pods: [KubeletPod] = []
        // A pod re-created with a new sandbox keeps its UID: the newest READY sandbox wins.
        let sandboxes = runtime.sandboxes.filter { !$0.uid.isEmpty }.sorted { $0.createdAtNanos < $1.createdAtNanos }
        var byUID: [String: RuntimeSandbox] = [:]
        for sandbox in sandboxes where sandbox.state == .ready || byUID[sandbox.uid] == nil {
            byUID[sandbox.uid] = sandbox
        }
        for sandbox in sandboxes where byUID[sandbox.uid]?.id == sandbox.id {
            let attempts = Dictionary(grouping: containersBySandbox[sandbox.id] ?? [], by: { $0.labels.containerName ?? $0.name })
            var statuses: [KubeletContainerStatus] = []
            for name in attempts.keys.sorted() {
                let ordered = attempts[name]!.sorted { ($0.attempt, $0.createdAtNanos) < ($1.attempt, $1.createdAtNanos) }
                let latest = ordered.last!
                let previous = ordered.dropLast().last
                statuses.append(status(of: latest, previous: previous, restarts: Int32(ordered.count - 1)))
            }
            let override = overrides[sandbox.uid]
            let allReady = !statuses.isEmpty && statuses.allSatisfy(\.ready)
            pods.append(
                KubeletPod(
                    name: sandbox.name, namespace: sandbox.namespace, uid: sandbox.uid,
                    deletionTimestamp: override?.deletionTimestamp,
                    deletionGracePeriodSeconds: override?.deletionGracePeriodSeconds, nodeName: nodeName,
                    phase: phase(sandbox: sandbox, statuses: statuses), ready: allReady, containers: statuses))
        }
        return pods
    }

    static func status(of container: RuntimeContainer, previous: RuntimeContainer?, restarts: Int32) -> KubeletContainerStatus {
        let state: KubeletContainerState
        switch container.state {
        case .running:
            state = .running(startedAt: date(container.status?.startedAtNanos))
        case .exited:
            state = .terminated(termination(of: container))
        case .created, .unknown:
            state = .waiting(reason: container.state == .created ? "ContainerCreating" : "Unknown", message: nil)
        }
        return KubeletContainerStatus(
            name: container.labels.containerName ?? container.name, containerID: "containerd://\(container.id)",
            ready: container.state == .running, started: container.state == .running, restartCount: restarts, state: state,
            lastTerminated: previous.map(termination(of:)))
    }

    static func termination(of container: RuntimeContainer) -> KubeletTermination {
        let status = container.status
        return KubeletTermination(
            exitCode: status?.exitCode ?? 0, reason: status.map { $0.reason.isEmpty ? nil : $0.reason } ?? nil,
            message: status.map { $0.message.isEmpty ? nil : $0.message } ?? nil, startedAt: date(status?.startedAtNanos),
            finishedAt: date(status?.finishedAtNanos), containerID: "containerd://\(container.id)")
    }

    static func phase(sandbox: RuntimeSandbox, statuses: [KubeletContainerStatus]) -> String {
        if statuses.contains(where: { if case .running = $0.state { true } else { false } }) { return "Running" }
        if !statuses.isEmpty, statuses.allSatisfy({ if case .terminated(let t) = $0.state { t.exitCode == 0 } else { false } }) {
            return "Succeeded"
        }
        if statuses.contains(where: { if case .terminated = $0.state { true } else { false } }) { return "Failed" }
        return "Pending"
    }

    static func date(_ nanos: Int64?) -> Date? {
        guard let nanos, nanos > 0 else { return nil }
        return Date(timeIntervalSince1970: Double(nanos) / 1e9)
    }
}
