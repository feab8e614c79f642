import Model

/// Pods the kubelet is deleting, how far past their deadline they are, and what holds them.
enum TerminatingPods {
    /// The deletion deadline is the pod's `deletionTimestamp`: the API server sets it to the time of
    /// the delete plus the grace period.
    static func overdue(
        pods: [KubeletPod], now: Double, runtimeUp: Bool, join: Join,
        verdicts: [String: ProcessVerdict], configuration: CollectorConfiguration
    ) -> (terminating: Int, overdue: [OverduePod]) {
        var terminating = 0
        var overdue: [OverduePod] = []
        // In place: only a pod being deleted is copied.
        pods.forEachInPlace { element in
            guard let deletion = element.pointee.deletionTimestamp?.timeIntervalSince1970 else { return }
            terminating += 1
            let late = now - deletion
            guard late > 0 else { return }
            let pod = element.pointee
            overdue.append(
                OverduePod(
                    namespace: pod.namespace, pod: pod.name, uid: pod.uid,
                    blockedBy: blocker(of: pod, runtimeUp: runtimeUp, join: join, verdicts: verdicts),
                    overdueSeconds: late, stuck: late > configuration.stuckAfterSeconds))
        }
        return (terminating, overdue)
    }

    /// The most specific reason first: a dead-but-RUNNING process explains why a stop never completes.
    /// `verdicts` needs only the dead processes' (a container without one is alive or unknown).
    static func blocker(of pod: KubeletPod, runtimeUp: Bool, join: Join, verdicts: [String: ProcessVerdict]) -> TerminationBlocker {
        guard runtimeUp else { return .runtimeUnreachable }
        let running = (join.runtime?.containers ?? []).filter { $0.state == .running && join.ref(for: $0).podUID == pod.uid }
        let podVerdicts = running.compactMap { verdicts[$0.id] }
        if podVerdicts.contains(where: { if case .zombie = $0 { true } else { false } }) { return .processZombie }
        if podVerdicts.contains(where: { if case .missing = $0 { true } else { false } }) { return .processMissing }
        if !running.isEmpty { return .containerRunning }
        if (join.runtime?.sandboxes ?? []).contains(where: { $0.podUID == pod.uid && $0.state == .ready }) { return .sandboxRunning }
        return .unknown
    }
}
