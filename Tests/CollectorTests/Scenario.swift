import Collector
import Foundation
import Model

/// Builds the three views of a small node, the way the real sources report them, for collector tests.
struct Scenario {
    var runtime = RuntimeSnapshot(
        version: RuntimeVersion(runtimeName: "containerd", runtimeVersion: "1.7.27", runtimeAPIVersion: "v1"),
        conditions: [RuntimeCondition(type: "RuntimeReady", status: true), RuntimeCondition(type: "NetworkReady", status: true)])
    var kubelet = KubeletSnapshot()
    var kernel = KernelSnapshot()
    var runtimeUp = true
    var kubeletUp = true
    var kernelUp = true
    var exitEvents: [RuntimeContainer] = []

    static let t0 = 1_800_000_000.0
    static let shimPID: Int32 = 900

    /// A pod with a sandbox, known to the kubelet.
    mutating func addPod(namespace: String = "default", name: String, uid: String, deletionTimestamp: Double? = nil) {
        runtime.sandboxes.append(
            RuntimeSandbox(id: "sb-\(uid)", name: name, namespace: namespace, uid: uid, state: .ready))
        kubelet.pods.append(
            KubeletPod(
                name: name, namespace: namespace, uid: uid,
                deletionTimestamp: deletionTimestamp.map { Date(timeIntervalSince1970: $0) },
                deletionGracePeriodSeconds: deletionTimestamp == nil ? nil : 30, nodeName: "node-1", phase: "Running",
                ready: true))
    }

    /// A container in the runtime (and, unless `kubelet` is nil, in the kubelet's pod status).
    mutating func addContainer(
        id: String, podUID: String, name: String, state: RuntimeContainerState = .running, pid: Int32? = nil,
        exitCode: Int32 = 0, reason: String = "", finishedAt: Double? = nil,
        kubelet: KubeletContainerState? = .running(startedAt: nil), ready: Bool = true, processState: ProcessState? = .sleeping
    ) {
        let sandbox = runtime.sandboxes.first { $0.uid == podUID }
        let createdNanos = Int64((Self.t0 - 100) * 1e9)
        let cgroupsPath = "/kubepods/pod\(podUID)/\(id)"
        let labels = KubernetesLabels(namespace: sandbox?.namespace, podName: sandbox?.name, podUID: podUID, containerName: name)
        let status = RuntimeContainerStatus(
            state: state, createdAtNanos: createdNanos, startedAtNanos: createdNanos + 50_000_000,
            finishedAtNanos: finishedAt.map { Int64($0 * 1e9) } ?? 0, exitCode: exitCode, reason: reason,
            pid: state == .running ? pid : 0, cgroupsPath: cgroupsPath, sandboxID: sandbox?.id)
        runtime.containers.append(
            RuntimeContainer(
                id: id, sandboxID: sandbox?.id ?? "", name: name, state: state, createdAtNanos: createdNanos, labels: labels,
                status: status))
        if let pid, state == .running {
            kernel.queriedPIDs.insert(pid)
            if let processState {
                kernel.processes[pid] = KernelProcess(
                    pid: pid, command: "sleep", state: processState, ppid: Self.shimPID, startTime: Self.t0 - 99.98,
                    exitStatus: processState == .zombie ? 9 : nil,
                    cgroups: [CgroupMembership(hierarchyID: 4, controllers: ["memory"], path: cgroupsPath)])
                kernel.processes[Self.shimPID] = kernel.processes[Self.shimPID]
                    ?? KernelProcess(pid: Self.shimPID, command: "containerd-shim", state: .sleeping, ppid: 1, startTime: Self.t0 - 101)
            }
            kernel.cgroups[cgroupsPath] = CgroupInfo(path: cgroupsPath, exists: processState != nil, populated: processState == .sleeping, oomKills: 0)
        }
        if let kubeletState = kubelet, let podIndex = self.kubelet.pods.firstIndex(where: { $0.uid == podUID }) {
            self.kubelet.pods[podIndex].containers.append(
                KubeletContainerStatus(
                    name: name, containerID: "containerd://\(id)", ready: ready, started: true, restartCount: 0,
                    state: kubeletState))
        }
    }

    func input(at now: Double) -> CollectorInput {
        CollectorInput(
            now: now,
            runtime: runtimeUp
                ? SourceReading(value: runtime, durationSeconds: 0.002)
                : SourceReading(value: nil, error: "runtime unix:///run/containerd/containerd.sock: deadline exceeded after 2s", durationSeconds: 2),
            kubelet: kubeletUp
                ? SourceReading(value: kubelet, durationSeconds: 0.004)
                : SourceReading(value: nil, error: "kubelet https://127.0.0.1:10250/pods: 401 Unauthorized", durationSeconds: 0.001),
            kernel: kernelUp
                ? SourceReading(value: kernel, durationSeconds: 0.0005)
                : SourceReading(value: nil, error: "procfs /proc: unreadable", durationSeconds: 0),
            exitEvents: exitEvents)
    }
}

/// Runs refreshes in sequence, carrying the memory like the exporter does.
struct Refresher {
    var memory = CollectorMemory()
    var configuration = CollectorConfiguration()

    mutating func refresh(_ scenario: Scenario, at now: Double) -> Findings {
        let (findings, next) = Collector.evaluate(scenario.input(at: now), memory: memory, configuration: configuration)
        memory = next
        return findings
    }
}

extension Findings {
    func kinds(of containerID: String) -> [DivergenceKind] {
        divergences.filter { $0.ref.containerID == containerID }.map(\.kind).sorted()
    }
}
