import CRITestSupport
import Foundation
import KernelReader
import Model
import RuntimeReader
import Testing

/// The runtime reader against the lab's real containerd (`scripts/containerd.sh start`), checked
/// against procfs through KernelReader. Serialized: one test SIGSTOPs containerd itself, and each
/// divergence test has its own pod (one shim per pod).
@Suite(
    "runtime reader against the lab containerd", .serialized, .timeLimit(.minutes(2)),
    .enabled(if: ContainerdLab.shouldRunTests, "\(ContainerdLab.notConfiguredMessage)"))
struct LabRuntimeTests {
    let lab: ContainerdLab
    let driver: CRIDriver
    let reader: RuntimeReader
    let kernel: KernelReader

    init() throws {
        lab = try ContainerdLab.required()
        driver = try CRIDriver(lab: lab)
        reader = try RuntimeReader(endpoint: "unix://" + lab.socketPath)
        kernel = try KernelReader(procRoot: "/proc", cgroupRoot: "/sys/fs/cgroup")
    }

    /// Refreshes and returns the container `id`, which must be listed.
    func container(_ id: String) async throws -> RuntimeContainer {
        let refresh = try await reader.refresh()
        #expect(refresh.containerStatusErrors[id] == nil, "\(refresh.problems)")
        return try #require(refresh.snapshot.containers.first { $0.id == id }, "container \(id) not listed")
    }

    /// The container's process is gone from /proc, or the PID now belongs to another cgroup (reused).
    func expectGone(_ pid: Int32, from cgroupsPath: String?) async throws {
        let gone = await LabProcesses.wait(upTo: .seconds(3)) {
            guard let process = try? kernel.process(pid: pid) else { return true }
            return process.state != .zombie && !process.cgroups.contains { $0.path == cgroupsPath }
        }
        #expect(gone, "pid \(pid) still in \(cgroupsPath ?? "?"): \(String(describing: try? kernel.process(pid: pid)))")
    }

    @Test func runningSleeperAgreesWithProcfs() async throws {
        try await driver.withPod(name: "rr-sleeper") { pod in
            let id = try await driver.runContainer(in: pod, name: "sleeper", command: ["sleep", "3600"])
            let container = try await container(id)
            #expect(container.state == .running)
            #expect(container.sandboxID == pod.id)
            #expect(container.name == "sleeper")
            #expect(container.labels == KubernetesLabels(
                namespace: pod.namespace, podName: pod.name, podUID: pod.uid, containerName: "sleeper"))
            let status = try #require(container.status)
            #expect(status.state == .running && status.exitCode == 0 && status.reason.isEmpty)
            #expect(status.startedAtNanos > 0 && status.finishedAtNanos == 0)
            #expect(status.sandboxID == pod.id)
            #expect(status.cgroupsPath == "\(pod.cgroupParent)/\(id)")

            let pid = try #require(status.pid)
            let process = try #require(try kernel.process(pid: pid), "runtime pid \(pid) not in /proc")
            #expect(process.command == "sleep")
            #expect(process.state == .sleeping || process.state == .running)
            #expect(process.cgroups.contains { $0.path == status.cgroupsPath }, "\(process.cgroups)")
            let shim = try #require(LabProcesses.shimPID(ofSandbox: pod.id, socketPath: lab.socketPath))
            #expect(process.ppid == shim, "the init's parent is the pod's shim")
            #expect(try kernel.process(pid: shim)?.command.hasPrefix("containerd-shim") == true)
            let cgroup = kernel.cgroup(path: try #require(status.cgroupsPath))
            #expect(cgroup.exists && cgroup.populated == true)

            let sandbox = try #require(try await reader.refresh().snapshot.sandboxes.first { $0.id == pod.id })
            #expect(sandbox.state == .ready)
            #expect(sandbox.name == pod.name && sandbox.namespace == pod.namespace && sandbox.uid == pod.uid)
            #expect(sandbox.labels == KubernetesLabels(namespace: pod.namespace, podName: pod.name, podUID: pod.uid))
        }
    }

    @Test func exitCode1() async throws {
        try await driver.withPod(name: "rr-exit1") { pod in
            let id = try await driver.runContainer(in: pod, name: "failing", command: ["sh", "-c", "sleep 0.5; exit 1"])
            let running = try #require(try await container(id).status)
            #expect(running.state == .running)
            let pid = try #require(running.pid)
            #expect(try kernel.process(pid: pid)?.command == "sh")

            _ = try await driver.waitForContainer(id: id, state: .exited)
            let exited = try await container(id)
            #expect(exited.state == .exited)
            let status = try #require(exited.status)
            #expect(status.state == .exited && status.exitCode == 1 && status.reason == "Error")
            #expect(status.pid == nil, "containerd reports pid 0 once the task is gone")
            #expect(status.finishedAtNanos >= status.startedAtNanos)
            try await expectGone(pid, from: running.cgroupsPath)
        }
    }

    @Test func oomKilledAt16MiB() async throws {
        try await driver.withPod(name: "rr-oom") { pod in
            // exec keeps the PID, so the PID seen while running is the one the OOM killer takes.
            let id = try await driver.runContainer(
                in: pod, name: "hog", command: ["sh", "-c", "sleep 0.5; exec tail /dev/zero"], memoryLimitBytes: 16 << 20)
            let running = try #require(try await container(id).status)
            let pid = try #require(running.pid)
            #expect(try kernel.process(pid: pid) != nil)

            _ = try await driver.waitForContainer(id: id, state: .exited)
            let status = try #require(try await container(id).status)
            #expect(status.state == .exited && status.exitCode == 137 && status.reason == "OOMKilled")
            #expect(status.pid == nil)
            try await expectGone(pid, from: running.cgroupsPath)
        }
    }

    @Test func zombieBehindAStoppedShimStillRunsForCRI() async throws {
        try await driver.withPod(name: "rr-zombie") { pod in
            let id = try await driver.runContainer(in: pod, name: "victim", command: ["sleep", "3600"])
            let before = try #require(try await container(id).status)
            let pid = try #require(before.pid)
            let shim = try #require(LabProcesses.shimPID(ofSandbox: pod.id, socketPath: lab.socketPath))
            #expect(LabProcesses.parentPID(of: pid) == shim)

            try await LabProcesses.whileStopped(shim) {
                try LabProcesses.send(SIGKILL, to: pid)
                let zombie = await LabProcesses.wait(upTo: .seconds(3)) { (try? kernel.process(pid: pid))?.state == .zombie }
                #expect(zombie, "the killed init must stay a zombie while its shim is stopped")

                // Cached steady state and a fresh ContainerStatus both still say RUNNING with that PID.
                let listed = try await container(id)
                #expect(listed.state == .running && listed.status?.pid == pid)
                let fresh = try await driver.status(ofContainer: id)
                #expect(fresh.state == .running && fresh.pid == pid && fresh.finishedAtNanos == 0)

                let process = try #require(try kernel.process(pid: pid))
                #expect(process.state == .zombie && process.ppid == shim)
                #expect(process.exitStatus == SIGKILL, "wait status of a SIGKILLed process")
                #expect(try kernel.process(pid: shim)?.state == .stopped)
                #expect(kernel.cgroup(path: try #require(before.cgroupsPath)).populated != true)
            }

            // Once the shim runs again it reaps the init and CRI catches up.
            let after = try await driver.waitForContainer(id: id, state: .exited, timeout: .seconds(5))
            #expect(after.exitCode == 137 && after.reason == "Error")
            let listed = try await container(id)
            #expect(listed.state == .exited && listed.status?.exitCode == 137)
            try await expectGone(pid, from: before.cgroupsPath)
        }
    }

    @Test func containerWithoutKubeletLabelsIsReported() async throws {
        try await driver.withPod(name: "rr-nolabels") { pod in
            let id = try await driver.runContainer(
                in: pod, name: "plain", command: ["sleep", "3600"], labels: ["app": "manual"], kubernetesLabels: false)
            let container = try await container(id)
            #expect(container.labels == KubernetesLabels())
            #expect(container.name == "plain" && container.state == .running)
            #expect(container.status?.pid != nil)
        }
    }

    @Test func steadyStateRefreshMakesTwoCalls() async throws {
        let reader = try RuntimeReader(endpoint: lab.socketPath)
        var previous = try await reader.refresh()
        #expect(previous.calls[.version] == 1 && previous.calls[.status] == 1)
        #expect(previous.calls[.listContainers] == 1 && previous.calls[.listPodSandbox] == 1)
        #expect(previous.calls[.containerStatus] == previous.snapshot.containers.count + previous.vanished.count)
        #expect(previous.snapshot.version?.runtimeName == "containerd")
        #expect(previous.snapshot.conditions.contains { $0.type == "RuntimeReady" && $0.status })

        /// ContainerStatus goes only to containers new or changed since the previous refresh (other
        /// developers' tests may add containers to the lab meanwhile).
        func expectCalls(_ refresh: RuntimeRefresh, after previous: RuntimeRefresh) {
            let seen = Set(previous.snapshot.containers.map { "\($0.id)/\($0.state)" })
            // Removed by another test between the list and its ContainerStatus: asked, then left out.
            let changed = refresh.snapshot.containers.filter { !seen.contains("\($0.id)/\($0.state)") }.count + refresh.vanished.count
            #expect(refresh.calls.total == 2 + changed, "\(refresh.calls)")
            #expect(refresh.calls[.listContainers] == 1 && refresh.calls[.listPodSandbox] == 1)
            #expect(refresh.calls[.containerStatus] == changed)
            #expect(refresh.snapshot.version == previous.snapshot.version, "Version is cached")
        }

        let steady = try await reader.refresh()
        expectCalls(steady, after: previous)
        previous = steady

        try await driver.withPod(name: "rr-steady") { pod in
            let id = try await driver.runContainer(in: pod, name: "short", command: ["sh", "-c", "sleep 0.3"])
            let withNew = try await reader.refresh()
            expectCalls(withNew, after: previous)
            #expect(withNew.calls[.containerStatus] >= 1)
            #expect(withNew.snapshot.containers.first { $0.id == id }?.status?.state == .running)

            _ = try await driver.waitForContainer(id: id, state: .exited)
            let afterExit = try await reader.refresh()
            expectCalls(afterExit, after: withNew)
            #expect(afterExit.snapshot.containers.first { $0.id == id }?.status?.exitCode == 0)
            previous = afterExit
        }
        let afterRemoval = try await reader.refresh()
        expectCalls(afterRemoval, after: previous)
        #expect(reader.callCounts[.version] == 1 && reader.callCounts[.status] == 1, "once a minute at most")
        await reader.close()
    }

    @Test func runtimeInfoIsReadAgainWhenItsIntervalHasPassed() async throws {
        let reader = try RuntimeReader(endpoint: lab.socketPath, configuration: .init(runtimeInfoInterval: .zero))
        for _ in 0..<3 {
            let refresh = try await reader.refresh()
            #expect(refresh.calls[.version] == 1 && refresh.calls[.status] == 1)
        }
        await reader.close()
    }

    @Test func eventsAreUnsupportedOnContainerd16() async throws {
        let support = await reader.client.eventsSupport()
        #expect(support == .unsupported)
        #expect(support.description.contains("events unsupported"))
        let error = await #expect(throws: RuntimeReaderError.self) {
            try await reader.client.watchContainerEvents { _ in }
        }
        #expect(error?.isUnimplemented == true)
        #expect(error?.description.contains("GetContainerEvents") == true)
    }

    @Test func stoppedContainerdGivesADeadlineErrorNotAHang() async throws {
        let containerd = try #require(lab.containerdPID(), "lab containerd PID (run/containerd.pid)")
        let timeout = Duration.milliseconds(500)
        let reader = try RuntimeReader(endpoint: lab.socketPath, configuration: .init(timeout: timeout))
        _ = try await reader.refresh()  // an established connection, as a long-running exporter has

        try await LabProcesses.whileStopped(containerd) {
            let start = ContinuousClock.now
            let error = await #expect(throws: RuntimeReaderError.self) { try await reader.refresh() }
            let elapsed = ContinuousClock.now - start
            #expect(error == .deadlineExceeded(endpoint: "unix://" + lab.socketPath, method: "ListContainers", timeout: timeout))
            #expect(elapsed >= timeout && elapsed < timeout + .seconds(1), "took \(elapsed)")

            // A new connection to the stopped runtime: the kernel accepts it, nobody answers.
            let client = try CRIClient(endpoint: CRIEndpoint(socketPath: lab.socketPath), timeout: timeout)
            let freshStart = ContinuousClock.now
            let freshError = await #expect(throws: RuntimeReaderError.self) { try await client.version() }
            #expect(freshError == .deadlineExceeded(endpoint: "unix://" + lab.socketPath, method: "Version", timeout: timeout))
            #expect(ContinuousClock.now - freshStart < timeout + .seconds(1))
            await client.close()
        }
        // Resumed: the same reader works again.
        #expect(try await reader.refresh().snapshot.version?.runtimeName == "containerd")
        await reader.close()
    }
}
