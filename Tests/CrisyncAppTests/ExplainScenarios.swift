import Collector
import Foundation
import Model

@testable import CrisyncApp

/// A node's three views, built the way the real sources report them (shapes from the lab's
/// containerd 1.6 runs), for `explain` and landing-page tests. Everything is in-process: the
/// findings come from the real `Collector.evaluate`.
struct ExplainNode {
    static let t0 = 1_800_000_000.0  // 2027-01-15T08:00:00Z
    static let shimPIDBase: Int32 = 900

    var runtime: RuntimeSnapshot
    var kubelet = KubeletSnapshot()
    var kernel = KernelSnapshot()
    var runtimeError: String?
    var kubeletError: String?
    var kernelError: String?
    var warnings: [String] = []

    init(runtimeVersion: String = "1.6.20~ds1") {
        runtime = RuntimeSnapshot(
            version: RuntimeVersion(runtimeName: "containerd", runtimeVersion: runtimeVersion, runtimeAPIVersion: "v1"),
            conditions: [
                RuntimeCondition(type: "RuntimeReady", status: true),
                RuntimeCondition(
                    type: "NetworkReady", status: false, reason: "NetworkPluginNotReady",
                    message: "Network plugin returns error: cni plugin not initialized"),
            ])
    }

    /// 64 hex digits derived from a short name, like a real container ID.
    static func id(_ name: String) -> String {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325  // FNV-1a, then splitmix64 per block so similar names differ everywhere
        for byte in name.utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x100_0000_01b3
        }
        var digits = ""
        for block in 0..<4 {
            var mixed = hash &+ UInt64(block + 1) &* 0x9e37_79b9_7f4a_7c15
            mixed = (mixed ^ (mixed >> 30)) &* 0xbf58_476d_1ce4_e5b9
            mixed = (mixed ^ (mixed >> 27)) &* 0x94d0_49bb_1331_11eb
            mixed ^= mixed >> 31
            digits += String(mixed, radix: 16).leftPadded(to: 16)
        }
        return digits
    }

    static func uid(_ name: String) -> String {
        let hex = Array(id("uid-" + name))
        return [String(hex[0..<8]), String(hex[8..<12]), String(hex[12..<16]), String(hex[16..<20]), String(hex[20..<32])]
            .joined(separator: "-")
    }

    /// A pod: its sandbox in the runtime (unless `inRuntime` is false) and, unless `inKubelet` is
    /// false, its entry in the kubelet's list.
    @discardableResult
    mutating func addPod(
        namespace: String = "default", name: String, deletedSecondsAgo: Double? = nil, inKubelet: Bool = true,
        inRuntime: Bool = true
    ) -> String {
        let uid = Self.uid("\(namespace)/\(name)")
        if inRuntime {
            runtime.sandboxes.append(
                RuntimeSandbox(
                    id: Self.id("sandbox-\(uid)"), name: name, namespace: namespace, uid: uid, state: .ready,
                    createdAtNanos: Int64((Self.t0 - 300) * 1e9)))
        }
        if inKubelet {
            kubelet.pods.append(
                KubeletPod(
                    name: name, namespace: namespace, uid: uid,
                    deletionTimestamp: deletedSecondsAgo.map { Date(timeIntervalSince1970: Self.t0 - $0) },
                    deletionGracePeriodSeconds: deletedSecondsAgo == nil ? nil : 30, nodeName: "node-1",
                    phase: "Running", ready: true))
        }
        return uid
    }

    enum Process {
        case alive
        case zombie(shim: ProcessState)
        case gone
        /// The PID now belongs to another process, outside the container's cgroup.
        case reused
    }

    /// A container in the runtime (RUNNING with `pid`, or EXITED) and in the kubelet's pod status
    /// (`kubelet` nil leaves it out).
    @discardableResult
    mutating func addContainer(
        _ name: String, podUID: String, pid: Int32? = nil, process: Process = .alive, state: RuntimeContainerState = .running,
        exitCode: Int32 = 0, reason: String = "", attempt: UInt32 = 0,
        kubelet: KubeletContainerState? = .running(startedAt: Date(timeIntervalSince1970: t0 - 120)), ready: Bool = true,
        restartCount: Int32 = 0, oomKills: UInt64 = 0, id explicitID: String? = nil
    ) -> String {
        let sandbox = runtime.sandboxes.first { $0.uid == podUID }
        let kubeletPod = self.kubelet.pods.first { $0.uid == podUID }
        let namespace = sandbox?.namespace ?? kubeletPod?.namespace ?? "default"
        let podName = sandbox?.name ?? kubeletPod?.name ?? "unknown"
        let id = explicitID ?? Self.id("\(namespace)/\(podName)/\(name)/\(attempt)")
        let created = Self.t0 - 120.2
        let cgroupsPath = "/kubepods/burstable/pod\(podUID)/\(id)"
        let status = RuntimeContainerStatus(
            state: state, createdAtNanos: Int64(created * 1e9), startedAtNanos: Int64((created + 0.05) * 1e9),
            finishedAtNanos: state == .exited ? Int64((Self.t0 - 30) * 1e9) : 0, exitCode: exitCode, reason: reason,
            pid: state == .running ? pid : 0, cgroupsPath: cgroupsPath, sandboxID: sandbox?.id)
        runtime.containers.append(
            RuntimeContainer(
                id: id, sandboxID: sandbox?.id ?? "", name: name, attempt: attempt, state: state,
                createdAtNanos: Int64(created * 1e9),
                labels: KubernetesLabels(namespace: namespace, podName: podName, podUID: podUID, containerName: name),
                status: status))
        if state == .running, let pid {
            let shimPID = Self.shimPIDBase + Int32(runtime.sandboxes.firstIndex { $0.uid == podUID } ?? 0)
            kernel.queriedPIDs.insert(pid)
            let inCgroup = [CgroupMembership(hierarchyID: 0, controllers: [], path: cgroupsPath)]
            switch process {
            case .alive:
                kernel.processes[pid] = KernelProcess(
                    pid: pid, command: "nginx", state: .sleeping, ppid: shimPID, startTime: created + 0.06, cgroups: inCgroup)
                kernel.processes[shimPID] = shim(shimPID, state: .sleeping)
                kernel.cgroups[cgroupsPath] = CgroupInfo(path: cgroupsPath, exists: true, populated: true, oomKills: oomKills)
            case .zombie(let shimState):
                kernel.processes[pid] = KernelProcess(
                    pid: pid, command: "sleep", state: .zombie, ppid: shimPID, startTime: created + 0.06, exitStatus: 9,
                    cgroups: inCgroup)
                kernel.processes[shimPID] = shim(shimPID, state: shimState)
                kernel.cgroups[cgroupsPath] = CgroupInfo(path: cgroupsPath, exists: true, populated: false, oomKills: oomKills)
            case .gone:
                kernel.cgroups[cgroupsPath] = CgroupInfo(path: cgroupsPath, exists: true, populated: false, oomKills: oomKills)
            case .reused:
                kernel.processes[pid] = KernelProcess(
                    pid: pid, command: "bash", state: .sleeping, ppid: 1, startTime: Self.t0 - 10,
                    cgroups: [CgroupMembership(hierarchyID: 0, controllers: [], path: "/user.slice/session-3.scope")])
                kernel.processes[1] = KernelProcess(pid: 1, command: "systemd", state: .sleeping, ppid: 0, startTime: Self.t0 - 86400)
                kernel.cgroups[cgroupsPath] = CgroupInfo(path: cgroupsPath, exists: true, populated: false, oomKills: oomKills)
            }
        }
        if let kubeletState = kubelet, let index = self.kubelet.pods.firstIndex(where: { $0.uid == podUID }) {
            self.kubelet.pods[index].containers.append(
                KubeletContainerStatus(
                    name: name, containerID: "containerd://\(id)", ready: ready, started: true, restartCount: restartCount,
                    state: kubeletState))
        }
        return id
    }

    private func shim(_ pid: Int32, state: ProcessState) -> KernelProcess {
        KernelProcess(pid: pid, command: "containerd-shim", state: state, ppid: 1, startTime: Self.t0 - 301)
    }

    var input: CollectorInput {
        CollectorInput(
            now: Self.t0,
            runtime: SourceReading(value: runtimeError == nil ? runtime : nil, error: runtimeError, durationSeconds: 0.002),
            kubelet: SourceReading(value: kubeletError == nil ? kubelet : nil, error: kubeletError, durationSeconds: 0.004),
            kernel: SourceReading(value: kernelError == nil ? kernel : nil, error: kernelError, durationSeconds: 0.0005))
    }

    var findings: Findings { ExplainEvaluation.findings(of: input, stuckAfterSeconds: 60) }

    func report(_ target: ExplainTarget) -> ExplainReport {
        ExplainReport(
            findings: findings, target: target, nodeName: "node-1", exporterMinAgeSeconds: 15, stuckAfterSeconds: 60,
            warnings: warnings)
    }
}

extension String {
    fileprivate func leftPadded(to length: Int) -> String {
        count >= length ? self : String(repeating: "0", count: length - count) + self
    }
}

/// The scenarios of the golden files, by name.
enum ExplainScenarios {
    /// Two healthy pods.
    static var healthy: ExplainNode {
        var node = ExplainNode()
        let web = node.addPod(name: "web")
        node.addContainer("nginx", podUID: web, pid: 4101)
        let db = node.addPod(namespace: "shop", name: "db")
        node.addContainer("postgres", podUID: db, pid: 4102, oomKills: 2)
        return node
    }

    /// The lab's incident: the shim SIGSTOPped, the container's process SIGKILLed; plus a healthy pod.
    static var ghost: ExplainNode {
        var node = healthy
        let ghost = node.addPod(namespace: "shop", name: "ghost")
        node.addContainer("app", podUID: ghost, pid: 4103, process: .zombie(shim: .stopped))
        return node
    }

    /// containerd 1.7.14 missed the exit: the shim runs, the zombie stays.
    static var missedExit: ExplainNode {
        var node = ExplainNode(runtimeVersion: "1.7.14")
        let pod = node.addPod(namespace: "batch", name: "worker-7d9f")
        node.addContainer("worker", podUID: pod, pid: 5201, process: .zombie(shim: .sleeping), ready: false)
        node.addContainer("sidecar", podUID: pod, pid: 5202)
        return node
    }

    /// Pods past their deletion deadline: one held by a zombie, one by a sandbox, one recent.
    static var stuck: ExplainNode {
        var node = ExplainNode()
        let held = node.addPod(namespace: "shop", name: "cart-0", deletedSecondsAgo: 95)
        node.addContainer("cart", podUID: held, pid: 6101, process: .zombie(shim: .stopped))
        node.addPod(namespace: "shop", name: "cart-1", deletedSecondsAgo: 600)
        let recent = node.addPod(namespace: "shop", name: "cart-2", deletedSecondsAgo: 5)
        node.addContainer("cart", podUID: recent, pid: 6103)
        return node
    }

    /// The kubelet and the runtime disagree in every other way; plus an orphaned pod.
    static var kubeletDivergence: ExplainNode {
        var node = ExplainNode()
        let api = node.addPod(namespace: "prod", name: "api-5c8d")
        node.addContainer(
            "api", podUID: api, state: .exited, exitCode: 137, reason: "Error", attempt: 1)
        node.addContainer(
            "api", podUID: api, state: .exited, exitCode: 1, reason: "Error", attempt: 0, kubelet: nil)
        let cron = node.addPod(namespace: "prod", name: "cron-1")
        node.addContainer(
            "job", podUID: cron, pid: 7102,
            kubelet: .terminated(KubeletTermination(exitCode: 0, reason: "Completed")), ready: false)
        let lost = node.addPod(namespace: "prod", name: "lost", inRuntime: false)
        if let index = node.kubelet.pods.firstIndex(where: { $0.uid == lost }) {
            node.kubelet.pods[index].containers.append(
                KubeletContainerStatus(
                    name: "app", containerID: "containerd://\(ExplainNode.id("prod/lost/app"))", ready: true,
                    restartCount: 0, state: .running(startedAt: Date(timeIntervalSince1970: ExplainNode.t0 - 600))))
        }
        let orphan = node.addPod(namespace: "prod", name: "old-web", inKubelet: false)
        node.addContainer("web", podUID: orphan, pid: 7104, kubelet: nil)
        return node
    }

    /// A recycled PID: the runtime's PID now belongs to an unrelated process (whose parent is PID 1).
    static var pidReused: ExplainNode {
        var node = ExplainNode()
        let pod = node.addPod(namespace: "default", name: "reused")
        node.addContainer("app", podUID: pod, pid: 8101, process: .reused)
        return node
    }

    /// The runtime socket is gone: the kubelet's view only.
    static var runtimeDown: ExplainNode {
        var node = healthy
        node.runtimeError = "CRI unix:///run/containerd/containerd.sock: ListContainers failed: the socket does not exist (is the runtime running?)"
        return node
    }

    /// Names that are user input at their worst: markup, quotes, an escape sequence, very long.
    static var hostile: ExplainNode {
        var node = ExplainNode()
        let pod = node.addPod(namespace: "evil", name: "<script>alert(\"x\")</script>'pod")
        node.addContainer("c\u{1B}[31mred\u{202E}", podUID: pod, pid: 9101, process: .zombie(shim: .stopped))
        let long = node.addPod(namespace: "long", name: String(repeating: "very-long-pod-name-", count: 13) + "end")
        node.addContainer(String(repeating: "container-", count: 6) + "x", podUID: long, pid: 9102, process: .gone)
        node.warnings = ["CRI ContainerStatus \(ExplainNode.id("x")) failed: deadline exceeded after 2s"]
        return node
    }

    static let all: [String: ExplainNode] = [
        "healthy": healthy, "ghost": ghost, "missed-exit": missedExit, "stuck": stuck,
        "kubelet-divergence": kubeletDivergence, "pid-reused": pidReused, "runtime-down": runtimeDown, "hostile": hostile,
    ]
}
