import CRITestSupport
import Foundation
import Model

/// The situations the demo and the end-to-end tests put the real containerd in, created through
/// ``CRITestSupport/CRIDriver`` as a kubelet would create pods (host network, `io.kubernetes.*`
/// labels). Everything created or stopped is recorded in the state directory first, so `release`
/// and `cleanup` undo exactly that, even from another process after a crash.
///
/// Each divergence gets its own pod: one shim serves a whole pod, so stopping it stops them all.
public struct LabScenarios: Sendable {
    public let driver: CRIDriver
    public let state: LabStateStore
    /// One line per step, for the user.
    public let log: @Sendable (String) -> Void

    public static let defaultNamespace = "demo"
    /// Memory limit of the OOM scenario's containers: 16 MiB, as in the runtime lab's findings.
    public static let oomLimitBytes: Int64 = 16 << 20
    static let sleeper = ["sleep", "infinity"]

    public init(driver: CRIDriver, state: LabStateStore, log: @escaping @Sendable (String) -> Void = { _ in }) {
        self.driver = driver
        self.state = state
        self.log = log
    }

    /// Scenarios on the containerd at `socketPath`, whose pods get cgroups under `cgroupRoot`; by
    /// default the root the lab uses (`CRISYNC_CGROUP_ROOT`, else the one `containerd.sh start`
    /// recorded, else `/crisync-lab`), so `containerd.sh stop` cleans up after them.
    public static func connect(
        socketPath: String, cgroupRoot: String? = nil, stateDirectory: String,
        log: @escaping @Sendable (String) -> Void = { _ in }
    ) throws -> LabScenarios {
        var environment = Foundation.ProcessInfo.processInfo.environment
        environment[ContainerdLab.socketVariable] = socketPath
        if let cgroupRoot { environment[ContainerdLab.cgroupRootVariable] = cgroupRoot }
        let lab = ContainerdLab.fromEnvironment(environment) ?? ContainerdLab(socketPath: socketPath)
        let driver = try CRIDriver(lab: lab)
        return LabScenarios(driver: driver, state: LabStateStore(directory: stateDirectory), log: log)
    }

    /// Closes the CRI connection.
    public func close() async {
        await driver.close()
    }

    var socketPath: String { driver.lab.socketPath }

    // MARK: - Healthy

    /// `count` pods `web-0`, `web-1`, ... with one sleeping container `app` each.
    @discardableResult
    public func healthy(count: Int, namespace: String = defaultNamespace) async throws -> [LabRecord.Pod] {
        var pods: [LabRecord.Pod] = []
        for index in 0..<count {
            let (pod, record) = try await runPod("web-\(index)", namespace: namespace, scenario: "healthy")
            let id = try await driver.runContainer(in: pod, name: "app", command: Self.sleeper)
            _ = try await driver.waitForContainer(id: id, state: .running)
            log("healthy: pod \(namespace)/\(pod.name) container app running (id \(id.prefix(13)))")
            pods.append(record)
        }
        return pods
    }

    // MARK: - Ghost

    /// What a ghost or a stuck pod left behind.
    public struct StoppedContainer: Sendable, Equatable {
        public var pod: LabRecord.Pod
        public var containerName: String
        public var containerID: String
        /// The container's init: a zombie when it was killed, else still running.
        public var pid: Int32
        public var shimPID: Int32
    }

    /// Pod `name` whose container `app` is dead while CRI keeps saying RUNNING: its shim is
    /// SIGSTOPped, then its process SIGKILLed, so the process stays a zombie nobody reaps and the
    /// runtime never hears of the exit (the divergence of containerd's missed-exit bugs).
    public func ghost(name: String = "ghost", namespace: String = defaultNamespace) async throws -> StoppedContainer {
        let (pod, record) = try await runPod(name, namespace: namespace, scenario: "ghost")
        let stopped = try await stopShim(of: pod, record: record, killingContainer: true)
        log(
            "ghost: pod \(namespace)/\(name) container app (id \(stopped.containerID.prefix(13))): pid \(stopped.pid) is a zombie, "
                + "shim pid \(stopped.shimPID) is stopped; CRI still says RUNNING")
        return stopped
    }

    // MARK: - Stuck terminating

    /// What holds a stuck pod.
    public enum Blocker: String, Sendable, CaseIterable {
        /// The container's shim is stopped and its process killed: it is a zombie (`process_zombie`).
        case zombie
        /// The shim is stopped, the process still runs: the kubelet cannot stop it (`container_running`).
        case running
    }

    /// Pod `name` that the kubelet is deleting (a `deletionTimestamp` `overdue` in the past, via
    /// the mirror's override), whose container cannot be stopped because its shim is stopped.
    public func stuckTerminating(
        name: String = "stuck", namespace: String = defaultNamespace, blockedBy: Blocker = .zombie,
        overdue: Duration = .seconds(120), gracePeriodSeconds: Int64 = 30
    ) async throws -> StoppedContainer {
        let (pod, record) = try await runPod(name, namespace: namespace, scenario: "stuck-terminating")
        let stopped = try await stopShim(of: pod, record: record, killingContainer: blockedBy == .zombie)
        let deletion = Date().addingTimeInterval(-LabDuration.seconds(overdue))
        try state.overrides.write(
            KubeletMirror.PodOverride(deletionTimestamp: deletion, deletionGracePeriodSeconds: gracePeriodSeconds),
            for: record.reference)
        try state.update { record in
            if let index = record.pods.firstIndex(where: { $0.id == pod.id }) { record.pods[index].pendingDeletion = true }
        }
        log(
            "stuck-terminating: pod \(namespace)/\(name) deleted \(Int(LabDuration.seconds(overdue)))s ago (deletionTimestamp "
                + "\(PodOverrideStore.timestamp(deletion))); shim pid \(stopped.shimPID) stopped, container pid \(stopped.pid) "
                + (blockedBy == .zombie ? "killed (zombie)" : "still running"))
        return stopped
    }

    // MARK: - OOM

    /// Pod `name` with two 16 MiB containers: `worker`, whose shell runs a memory hog every
    /// `childEvery` that the kernel OOM-kills while the container keeps running; and `leaky`,
    /// whose own process is OOM-killed at once (reason OOMKilled). ``restartLoop(_:every:maxRestarts:)``
    /// then recreates `leaky` as a kubelet's restart policy would.
    public func oomLoop(
        name: String = "oom-loop", namespace: String = defaultNamespace, childEvery: Duration = .seconds(5)
    ) async throws -> OOMLoop {
        let (pod, record) = try await runPod(name, namespace: namespace, scenario: "oom-loop")
        let pause = max(1, Int(LabDuration.seconds(childEvery).rounded()))
        let worker = try await driver.runContainer(
            in: pod, name: "worker", command: ["sh", "-c", "while true; do tail /dev/zero; sleep \(pause); done"],
            memoryLimitBytes: Self.oomLimitBytes)
        let leaky = try await startLeaky(in: pod, attempt: 0)
        log(
            "oom-loop: pod \(namespace)/\(name): container worker (id \(worker.prefix(13))) has a child OOM-killed every ~\(pause)s; "
                + "container leaky (id \(leaky.prefix(13))) is OOM-killed at start")
        return OOMLoop(pod: pod, record: record, workerID: worker, leakyIDs: [leaky])
    }

    /// The OOM scenario's pod, for its restart loop.
    public struct OOMLoop: Sendable {
        public var pod: TestPod
        public var record: LabRecord.Pod
        public var workerID: String
        /// Every attempt of `leaky` still kept, oldest first.
        public var leakyIDs: [String]
    }

    /// Recreates `leaky` with attempt+1 each time it has exited, `every` after the exit, keeping
    /// the previous attempt (as the kubelet keeps one dead container for `lastState`). Records the
    /// calling process as the scenario's controller, so `cleanup` stops it by PID. Returns after
    /// `maxRestarts` restarts; throws when the pod is gone (cleaned up) or the runtime fails.
    public func restartLoop(_ loop: OOMLoop, every: Duration, maxRestarts: Int = .max) async throws {
        let pid = getpid()
        if let ticks = ProcessIdentity.startTicks(of: pid) {
            try state.update { $0.controllers.append(.init(pid: pid, scenario: "oom-loop", startTicks: ticks)) }
        }
        defer { try? state.update { $0.controllers.removeAll { $0.pid == pid } } }
        var kept = loop.leakyIDs
        var restarts = 0
        while restarts < maxRestarts, let latest = kept.last {
            let exited = try await driver.waitForContainer(id: latest, state: .exited, timeout: .seconds(120))
            log("oom-loop: leaky attempt \(restarts) exited \(exited.exitCode) \(exited.reason); restarting in \(every)")
            try await Task.sleep(for: every)
            restarts += 1
            kept.append(try await startLeaky(in: loop.pod, attempt: UInt32(restarts)))
            while kept.count > 2 { try await driver.removeContainer(id: kept.removeFirst()) }
        }
    }

    private func startLeaky(in pod: TestPod, attempt: UInt32) async throws -> String {
        let id = try await driver.createContainer(
            in: pod, name: "leaky", command: ["tail", "/dev/zero"], memoryLimitBytes: Self.oomLimitBytes, attempt: attempt)
        try await driver.startContainer(id: id)
        return id
    }

    // MARK: - Pieces

    /// Runs a pod and records it before anything else can fail, so cleanup always finds it.
    func runPod(_ name: String, namespace: String, scenario: String) async throws -> (TestPod, LabRecord.Pod) {
        let taken = try state.read().pods.contains { $0.namespace == namespace && $0.name == name }
        guard !taken else {
            throw LabError.scenario(scenario, reason: "pod \(namespace)/\(name) already exists in \(state.recordPath); run cleanup first")
        }
        let pod = try await driver.runPod(name: name, namespace: namespace)
        let record = LabRecord.Pod(
            id: pod.id, name: name, namespace: namespace, uid: pod.uid, cgroupParent: pod.cgroupParent, scenario: scenario,
            pendingDeletion: false)
        try state.update { $0.pods.append(record) }
        return (pod, record)
    }

    /// Starts a sleeping container `app` in `pod`, SIGSTOPs the pod's shim (recorded first, so a
    /// crash after this line still leaves it releasable) and, with `killingContainer`, SIGKILLs the
    /// container's process, waiting until /proc shows it as a zombie.
    func stopShim(of pod: TestPod, record: LabRecord.Pod, killingContainer: Bool) async throws -> StoppedContainer {
        let id = try await driver.runContainer(in: pod, name: "app", command: Self.sleeper)
        let status = try await driver.waitForContainer(id: id, state: .running)
        guard let pid = status.pid, pid > 0 else {
            throw LabError.scenario(record.scenario, reason: "the runtime reports no pid for container \(id)")
        }
        guard let shim = LabProcesses.shimPID(ofSandbox: pod.id, socketPath: socketPath) else {
            throw LabError.scenario(record.scenario, reason: "no shim serves sandbox \(pod.id) of \(socketPath)")
        }
        try state.update {
            $0.stoppedShims.append(.init(pid: shim, sandboxID: pod.id, pod: record.reference.description))
        }
        try LabProcesses.send(SIGSTOP, to: shim)
        guard await LabProcesses.wait(upTo: .seconds(5), until: { LabProcesses.stateLetter(of: shim) == "T" }) else {
            throw LabError.scenario(record.scenario, reason: "shim pid \(shim) did not stop within 5 s")
        }
        if killingContainer {
            try LabProcesses.send(SIGKILL, to: pid)
            guard await LabProcesses.wait(upTo: .seconds(5), until: { LabProcesses.stateLetter(of: pid) == "Z" }) else {
                let state = LabProcesses.stateLetter(of: pid).map { String($0) } ?? "gone"
                throw LabError.scenario(record.scenario, reason: "pid \(pid) is \(state), not a zombie, 5 s after SIGKILL")
            }
        }
        return StoppedContainer(pod: record, containerName: "app", containerID: id, pid: pid, shimPID: shim)
    }
}
