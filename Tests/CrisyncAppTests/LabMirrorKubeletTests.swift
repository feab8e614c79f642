import CRITestSupport
import Foundation
import KubeletReader
import LabSupport
import Model
import Testing

/// The mirror kubelet and the scenarios against the lab's real containerd
/// (`scripts/containerd.sh start`), read back through crisync's own KubeletReader. Each test has
/// its own namespace and state directory, and removes what it made whether it passed or not.
@Suite(
    "mirror kubelet and scenarios on the lab containerd", .serialized,
    .enabled(if: ContainerdLab.shouldRunTests, "\(ContainerdLab.notConfiguredMessage)"))
struct LabMirrorKubeletTests {
    let lab: ContainerdLab
    let scenarios: LabScenarios
    let namespace = "labtest-" + UUID().uuidString.prefix(8).lowercased()

    init() throws {
        lab = try ContainerdLab.required()
        scenarios = try LabScenarios.connect(
            socketPath: lab.socketPath, cgroupRoot: lab.cgroupRoot,
            stateDirectory: NSTemporaryDirectory() + "lab-mirror-test-\(UUID().uuidString)")
    }

    /// Runs `body`, then removes every pod the scenarios made and the state directory; a cleanup
    /// problem fails the test too.
    func withCleanup(_ body: () async throws -> Void) async throws {
        var failure: (any Error)?
        do { try await body() } catch { failure = error }
        let report = await scenarios.cleanup()
        await scenarios.close()
        try? FileManager.default.removeItem(atPath: scenarios.state.directory)
        if let failure { throw failure }
        #expect(report.problems.isEmpty, "\(report.problems)")
    }

    func startMirror(lag: Duration = .zero) async throws -> MirrorKubelet {
        try await MirrorKubelet.start(
            .init(
                runtimeEndpoint: "unix://" + lab.socketPath, lag: lag, refreshInterval: .milliseconds(200),
                overridesDirectory: scenarios.state.overrides.directory, nodeName: "lab-node"))
    }

    /// This test's pods as crisync's kubelet reader decodes them from the mirror.
    func podsRead(from mirror: MirrorKubelet) async throws -> [KubeletPod] {
        let reader = try KubeletReader(configuration: .init(url: mirror.url, timeoutSeconds: 5))
        let result: Result<KubeletSnapshot, KubeletReaderError>
        do { result = .success(try await reader.readPods()) } catch { result = .failure(error) }
        try await reader.shutdown()
        return try result.get().pods.filter { $0.namespace == namespace }
    }

    /// Polls the mirror until `condition` holds for this test's pods (up to `timeout`).
    func eventually(
        _ mirror: MirrorKubelet, timeout: Duration = .seconds(10), _ condition: ([KubeletPod]) -> Bool
    ) async throws -> [KubeletPod] {
        let deadline = ContinuousClock.now + timeout
        var pods = try await podsRead(from: mirror)
        while !condition(pods), ContinuousClock.now < deadline {
            try await Task.sleep(for: .milliseconds(100))
            pods = try await podsRead(from: mirror)
        }
        return pods
    }

    /// Healthy and ghost pods are served with the runtime's container IDs and names; the ghost is
    /// running and Ready (the kubelet's blind spot); an override file marks a pod deleted; after
    /// `release` the runtime catches up and so does the mirror; `cleanup` leaves nothing behind.
    @Test func mirrorsTheRuntimeThroughReleaseAndCleanup() async throws {
        try await withCleanup {
            let healthy = try await scenarios.healthy(count: 1, namespace: namespace)
            let ghost = try await scenarios.ghost(namespace: namespace)
            let mirror = try await startMirror()
            do {
                let pods = try await podsRead(from: mirror)
                #expect(pods.map(\.name).sorted() == ["ghost", "web-0"])
                for pod in pods {
                    #expect(pod.nodeName == "lab-node" && pod.phase == "Running" && pod.ready == true)
                    let runtimeIDs = try await scenarios.driver.listContainers(podID: pod.uid == ghost.pod.uid ? ghost.pod.id : healthy[0].id)
                        .map(\.id)
                    #expect(pod.containers.map(\.name) == ["app"])
                    #expect(pod.containers.compactMap(\.runtimeContainerID) == runtimeIDs)
                }
                let ghostStatus = try #require(pods.first { $0.name == "ghost" }?.containers.first)
                #expect(ghostStatus.runtimeContainerID == ghost.containerID && ghostStatus.ready)
                guard case .running = ghostStatus.state else {
                    Issue.record("the ghost should look running, is \(ghostStatus.state)")
                    return
                }
                #expect(LabProcesses.stateLetter(of: ghost.pid) == "Z" && LabProcesses.stateLetter(of: ghost.shimPID) == "T")

                let deletion = Date(timeIntervalSince1970: Date().timeIntervalSince1970.rounded(.down) - 90)
                try scenarios.state.overrides.write(
                    .init(deletionTimestamp: deletion, deletionGracePeriodSeconds: 30),
                    for: PodReference(namespace: namespace, name: "web-0"))
                let deleted = try await eventually(mirror) { $0.first { $0.name == "web-0" }?.deletionTimestamp != nil }
                #expect(deleted.first { $0.name == "web-0" }?.deletionTimestamp == deletion)
                #expect(deleted.first { $0.name == "web-0" }?.deletionGracePeriodSeconds == 30)

                let released = await scenarios.release()
                #expect(released.continuedShims == [ghost.shimPID] && released.problems.isEmpty)
                let caughtUp = try await eventually(mirror) { pods in
                    if case .terminated = pods.first(where: { $0.name == "ghost" })?.containers.first?.state { true } else { false }
                }
                let state = caughtUp.first { $0.name == "ghost" }?.containers.first?.state
                guard case .terminated(let exit) = state else {
                    Issue.record("after release the ghost should be terminated, is \(String(describing: state))")
                    return
                }
                #expect(exit.exitCode == 137 && exit.reason == "Error")
            } catch {
                await mirror.stop()
                throw error
            }
            let report = await scenarios.cleanup()
            #expect(report.removedPods.sorted() == ["\(namespace)/ghost", "\(namespace)/web-0"] && report.problems.isEmpty)
            #expect(try await eventually(mirror) { $0.isEmpty }.isEmpty)
            await mirror.stop()
            let left = try await scenarios.driver.listPods().filter { $0.metadata.namespace == namespace }
            #expect(left.isEmpty, "pods left in the runtime: \(left.map(\.metadata.name))")
        }
    }

    /// With a lag, a new pod appears in the mirror only once the runtime has run it that long.
    @Test func lagHoldsBackNewPods() async throws {
        try await withCleanup {
            let mirror = try await startMirror(lag: .milliseconds(1500))
            do {
                let created = ContinuousClock.now
                try await scenarios.healthy(count: 1, namespace: namespace)
                try await Task.sleep(for: .milliseconds(600))
                #expect(try await podsRead(from: mirror).isEmpty, "served before the lag had passed")
                let pods = try await eventually(mirror, timeout: .seconds(6)) { !$0.isEmpty }
                #expect(pods.map(\.name) == ["web-0"])
                #expect(ContinuousClock.now - created >= .milliseconds(1400))
            } catch {
                await mirror.stop()
                throw error
            }
            await mirror.stop()
        }
    }

    /// The OOM loop as a kubelet's restart policy would run it: `leaky` recreated with attempt+1
    /// after each OOM kill, `worker` running while its children are OOM-killed.
    @Test func oomLoopRestartsLeakyAndKeepsWorkerRunning() async throws {
        try await withCleanup {
            let loop = try await scenarios.oomLoop(namespace: namespace, childEvery: .seconds(1))
            try await scenarios.restartLoop(loop, every: .milliseconds(200), maxRestarts: 1)
            let leakyID = try #require(try await scenarios.driver.listContainers(podID: loop.pod.id)
                .filter { $0.metadata.name == "leaky" && $0.metadata.attempt == 1 }.first?.id)
            _ = try await scenarios.driver.waitForContainer(id: leakyID, state: .exited)
            let mirror = try await startMirror()
            let pods = try await podsRead(from: mirror)
            await mirror.stop()
            let pod = try #require(pods.first { $0.name == "oom-loop" })
            let leaky = try #require(pod.containers.first { $0.name == "leaky" })
            #expect(leaky.runtimeContainerID == leakyID && leaky.restartCount == 1)
            guard case .terminated(let exit) = leaky.state else {
                Issue.record("leaky should be terminated, is \(leaky.state)")
                return
            }
            #expect(exit.reason == "OOMKilled" && exit.exitCode == 137)
            #expect(leaky.lastTerminated?.reason == "OOMKilled")
            let worker = try #require(pod.containers.first { $0.name == "worker" })
            #expect(worker.runtimeContainerID == loop.workerID && worker.ready)
            #expect(try scenarios.state.read().controllers.isEmpty, "the restart loop must unregister itself")
        }
    }
}
