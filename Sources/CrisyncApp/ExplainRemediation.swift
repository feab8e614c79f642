import Foundation
import Collector
import Model

/// How disruptive a suggested fix is, graded as in `alerts/runbook.md`.
enum RemediationRisk: String, Sendable, Hashable, CaseIterable {
    /// Read-only diagnosis, or nothing beyond what was already asked for (a pod being deleted).
    case none
    case low
    case medium
    case high
}

/// One suggested action for a finding.
struct RemediationStep: Sendable, Hashable {
    /// The situation and what to do; the command, when there is one, appears in backticks.
    var advice: String
    /// The command to run on the node (or with kubectl), placeholders in CAPITALS; nil when none applies.
    var command: String?
    var risk: RemediationRisk
    /// What the action can break, in one or two sentences.
    var riskDetail: String
}

/// The fixes of `alerts/runbook.md`, picked for what this container's three views show. Kept in
/// step with the runbook by hand: the runbook explains, this applies it to one case.
enum Remediation {
    static let runbookBase = "https://github.com/crisync/crisync/blob/main/alerts/runbook.md"

    /// The runbook section (the alert) that covers a finding kind.
    static func alert(for kind: DivergenceKind) -> String {
        switch kind {
        case .processMissing, .processZombie: "CrisyncContainerProcessDead"
        case .readyButDead: "CrisyncReadyButDead"
        case .kubeletRunningRuntimeExited, .kubeletRunningRuntimeMissing, .runtimeRunningKubeletTerminated:
            "CrisyncKubeletRuntimeDivergence"
        case .runtimeOrphaned: "CrisyncRuntimeOrphans"
        }
    }

    static let stuckTerminatingAlert = "CrisyncPodStuckTerminating"

    static func runbookURL(alert: String) -> String { runbookBase + "#" + alert.lowercased() }

    // MARK: - Container findings

    static func steps(
        for kind: DivergenceKind, ref: ContainerRef, view: ContainerView?, allKinds: [DivergenceKind],
        knownIssues: [KnownIssue]
    ) -> [RemediationStep] {
        switch kind {
        case .processZombie, .processMissing:
            return shimSteps(view: view, knownIssues: knownIssues)
        case .readyButDead:
            let processKind = allKinds.first { $0 == .processZombie || $0 == .processMissing }
            return [
                RemediationStep(
                    advice: "take the pod out of traffic first: remove it from its Service's selector "
                        + "(`kubectl label pod -n \(shellQuoted(ref.namespace)) \(shellQuoted(ref.pod)) LABEL-`) "
                        + "or scale up its workload so the other replicas take the load; then repair the process"
                        + (processKind.map { " as for \($0.rawValue)" } ?? ""),
                    command: "kubectl label pod -n \(shellQuoted(ref.namespace)) \(shellQuoted(ref.pod)) LABEL-",
                    risk: .low,
                    riskDetail: "its controller may create a replacement pod, which is usually what you want"),
                RemediationStep(
                    advice: "afterwards give the container a readiness probe that does not depend on the shim "
                        + "(httpGet or tcpSocket rather than exec), so the kubelet sees the death itself next time",
                    command: nil, risk: .low, riskDetail: "changing the pod template rolls the workload out again"),
            ]
        case .kubeletRunningRuntimeExited:
            return [
                RemediationStep(
                    advice: "the kubelet missed the exit (its PLEG relist is stuck or slow): check "
                        + "`journalctl -u kubelet --since -15m | grep -i pleg`, then restart the kubelet with "
                        + "`systemctl restart kubelet`",
                    command: "systemctl restart kubelet", risk: .low,
                    riskDetail: "running containers are not touched and the kubelet relists everything on start; "
                        + "the node may report NotReady for a few seconds")
            ]
        case .kubeletRunningRuntimeMissing:
            let command = "kubectl delete pod -n \(shellQuoted(ref.namespace)) \(shellQuoted(ref.pod))"
            return [
                RemediationStep(
                    advice: "the runtime lost the container (its state was wiped or lost): delete the pod normally "
                        + "so its controller recreates it: `\(command)`",
                    command: command, risk: .low,
                    riskDetail: "a pod without a controller is not recreated; if the deletion hangs, the pod is stuck "
                        + "terminating (see \(stuckTerminatingAlert))")
            ]
        case .runtimeRunningKubeletTerminated:
            let id = shortID(ref.containerID)
            return [
                RemediationStep(
                    advice: "a process the kubelet considers finished still runs: stop and remove it with "
                        + "`crictl stop \(id) && crictl rm \(id)`",
                    command: "crictl stop \(id) && crictl rm \(id)", risk: .low,
                    riskDetail: "it was supposed to be gone; if it still does work (ports, writes), that work stops")
            ]
        case .runtimeOrphaned:
            let id = shortID(ref.containerID)
            let command = view == nil ? "crictl stopp \(id) && crictl rmp \(id)" : "crictl stop \(id) && crictl rm \(id)"
            return [
                RemediationStep(
                    advice: "the kubelet does not know this pod (often deleted with --force): stop and remove the "
                        + "\(view == nil ? "sandbox" : "container") with `\(command)`; if that hangs, the shim is "
                        + "stalled: resume or restart it",
                    command: command, risk: .low,
                    riskDetail: "whatever still runs there stops without its controller knowing; for an orphan that is the goal"),
                RemediationStep(
                    advice: "if orphans keep appearing, look for failed pod cleanups with "
                        + "`journalctl -u kubelet | grep -i orphan` and stop force-deleting pods",
                    command: "journalctl -u kubelet | grep -i orphan", risk: .none, riskDetail: "read-only"),
            ]
        }
    }

    /// The fix for a RUNNING container whose process is dead: it depends on the shim's state.
    static func shimSteps(view: ContainerView?, knownIssues: [KnownIssue]) -> [RemediationStep] {
        guard let shim = shim(of: view) else {
            let sandbox = view?.runtime?.sandboxID ?? view?.runtime?.status?.sandboxID ?? ""
            let find =
                sandbox.isEmpty
                ? "ps -eo pid,stat,args | grep '[c]ontainerd-shim'"
                : "ps -eo pid,stat,args | grep '[c]ontainerd-shim.*\(shortID(sandbox))'"
            return [
                RemediationStep(
                    advice: "find the pod's shim with `\(find)` (STAT T = stopped): resume a stopped shim with "
                        + "`kill -CONT SHIM_PID`, otherwise restart it with `kill -KILL SHIM_PID`",
                    command: find, risk: .medium,
                    riskDetail: "resuming is low risk; restarting the shim kills every container of the pod (one shim "
                        + "per pod) without SIGTERM, and the kubelet recreates them")
            ]
        }
        let pid = shim.pid
        switch shim.state {
        case .stopped:
            return [
                RemediationStep(
                    advice: "the shim (pid \(pid)) is stopped (state T): `kill -CONT \(pid)` lets it reap the exit",
                    command: "kill -CONT \(pid)", risk: .low,
                    riskDetail: "the runtime reports EXITED within a second and the kubelet restarts the container "
                        + "according to its restartPolicy; find out first who stopped the shim (a debugger, a kill -STOP, "
                        + "a freezer cgroup) or it happens again")
            ]
        case .tracingStop:
            return [
                RemediationStep(
                    advice: "the shim (pid \(pid)) is stopped by a debugger (state t): detach the tracer "
                        + "(`grep TracerPid /proc/\(pid)/status` names it), then the shim reaps the exit",
                    command: "grep TracerPid /proc/\(pid)/status", risk: .low,
                    riskDetail: "the kubelet then restarts the container according to its restartPolicy")
            ]
        default:
            let issue = knownIssues.first { $0.issue == "missed-init-exit" } ?? knownIssues.first
            let situation =
                issue.map {
                    "the shim (pid \(pid)) runs (state \(shim.state.rawValue)) but missed the exit, as containerd's "
                        + "known issue \($0.issue) does"
                } ?? "the shim (pid \(pid)) is in state \(shim.state.rawValue) and has not reaped the exit"
            var steps = [
                RemediationStep(
                    advice: "\(situation): restart the shim with `kill -KILL \(pid)`",
                    command: "kill -KILL \(pid)", risk: .medium,
                    riskDetail: "there is one shim per pod: every container of the pod dies (the runtime reports "
                        + "EXITED 255) and the kubelet recreates the sandbox and containers; processes still alive "
                        + "get no SIGTERM")
            ]
            if let upgrade = upgradeStep(knownIssues) { steps.append(upgrade) }
            return steps
        }
    }

    /// Upgrading to the highest `fixed_in` of the runtime's known issues fixes all of them.
    static func upgradeStep(_ issues: [KnownIssue]) -> RemediationStep? {
        let target = issues.compactMap { issue in RuntimeReleaseVersion(parsing: issue.fixedIn).map { ($0, issue) } }
            .max { $0.0 < $1.0 }
        guard let target else { return nil }
        return RemediationStep(
            advice: "then upgrade containerd to \(target.0) or later (it fixes "
                + ExplainFormat.list(issues.map(\.issue)) + "), node by node: "
                + "`kubectl drain NODE --ignore-daemonsets --delete-emptydir-data`, upgrade, "
                + "`systemctl restart containerd`, `kubectl uncordon NODE`",
            command: "kubectl drain NODE --ignore-daemonsets --delete-emptydir-data", risk: .medium,
            riskDetail: "a planned disruption: the drain evicts the node's pods (respecting PodDisruptionBudgets); "
                + "the only fix for the known issues")
    }

    /// The container's parent, when it is safe to name it as the shim: the process at the PID is the
    /// container's own (a recycled PID's parent is someone else's process) and the parent is a shim.
    static func shim(of view: ContainerView?) -> Model.KernelProcess? {
        guard let view, view.process != nil, let parent = view.parent else { return nil }
        if case .foreign = view.ownership { return nil }
        guard parent.command.hasPrefix("containerd-shim"), parent.pid > 1 else { return nil }
        return parent
    }

    // MARK: - Stuck terminating pods

    static func steps(for pod: OverduePod, views: [ContainerView], knownIssues: [KnownIssue]) -> [RemediationStep] {
        let namespace = shellQuoted(pod.namespace), name = shellQuoted(pod.pod)
        var steps: [RemediationStep]
        switch pod.blockedBy {
        case .processZombie, .processMissing:
            let dead = views.first { $0.divergences.contains(.processZombie) || $0.divergences.contains(.processMissing) }
            if let dead {
                steps = shimSteps(view: dead, knownIssues: knownIssues)
                steps[0].advice =
                    "the kubelet's stop hangs on the shim of container \(dead.ref.container), whose process is dead: "
                    + steps[0].advice + "; the pod then finishes terminating by itself within seconds"
                // The pod's grace period is over: its containers were due to be killed anyway.
                steps[0].risk = .none
                steps[0].riskDetail =
                    "nothing beyond what the deletion asked for"
                    + (shim(of: dead)?.state == .stopped ? "; find out first who stopped the shim, or it happens again" : "")
            } else {
                steps = [
                    RemediationStep(
                        advice: "a container's process is dead but the runtime still says RUNNING, so the kubelet's stop "
                            + "hangs on the shim: repair the shim as for \(pod.blockedBy.rawValue); the pod then "
                            + "finishes terminating by itself within seconds",
                        command: nil, risk: .low, riskDetail: "see the container's findings")
                ]
            }
        case .containerRunning:
            let ids = views.filter { $0.runtime?.state == .running }.map { shortID($0.ref.containerID) }
            let command = "crictl stop -t 0 " + (ids.isEmpty ? "CONTAINER_ID" : ids.joined(separator: " "))
            steps = [
                RemediationStep(
                    advice: "a container still runs (the stop failed or is retried): `\(command)`", command: command,
                    risk: .none, riskDetail: "nothing beyond what the deletion asked for: it was being killed anyway")
            ]
        case .sandboxRunning:
            let command = "crictl stopp $(crictl pods -q --namespace \(namespace) --name \(name))"
            steps = [
                RemediationStep(
                    advice: "the containers are gone but the sandbox is not: `\(command)`", command: command, risk: .none,
                    riskDetail: "nothing beyond what the deletion asked for")
            ]
        case .runtimeUnreachable:
            steps = [
                RemediationStep(
                    advice: "containerd does not answer, so nothing can be stopped: resume stopped shims, then "
                        + "`systemctl restart containerd`",
                    command: "systemctl restart containerd", risk: .medium,
                    riskDetail: "running containers keep running, but pod starts, stops, exec and image pulls fail "
                        + "while containerd starts; a stopped shim is not recovered by a restart")
            ]
        case .unknown:
            let command = "kubectl get pod -n \(namespace) \(name) -o jsonpath='{.metadata.finalizers}'"
            steps = [
                RemediationStep(
                    advice: "crisync sees nothing running: look for a finalizer (`\(command)`) and for unmount errors "
                        + "(`journalctl -u kubelet | grep \(name)`)",
                    command: command, risk: .none, riskDetail: "read-only")
            ]
        }
        steps.append(
            RemediationStep(
                advice: "last resort, once the node side is cleaned up: "
                    + "`kubectl delete pod -n \(namespace) \(name) --grace-period=0 --force`",
                command: "kubectl delete pod -n \(namespace) \(name) --grace-period=0 --force", risk: .high,
                riskDetail: "it removes the API object only: whatever still runs on the node keeps running as an orphan, "
                    + "and a StatefulSet replacement can run next to it, on the same volume"))
        return steps
    }

    // MARK: - Helpers

    /// The 13-character prefix `crictl` shows and accepts.
    static func shortID(_ id: String) -> String { String(id.prefix(13)) }

    /// `text` as one shell word: unchanged when it is plainly safe, else in single quotes.
    static func shellQuoted(_ text: String) -> String {
        let safe = !text.isEmpty && text.unicodeScalars.allSatisfy { scalar in
            switch scalar {
            case "a"..."z", "A"..."Z", "0"..."9", ".", "_", "-", "/", ":", "=", "@", "+", ",": true
            default: false
            }
        }
        return safe ? text : "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
