import Foundation
import KubeletReader
import KubeletTestSupport
import LabSupport
import Model
import Testing

/// `KubeletMirror.pods`: what a kubelet reports for the pods the runtime runs. Pure: runtime
/// snapshots in, pods out.
@Suite("KubeletMirror maps the runtime's view to the kubelet's")
struct LabMirrorTests {
    /// 2027-01-15T08:00:00Z in nanoseconds, and a second.
    static let t0: Int64 = 1_800_000_000 * 1_000_000_000
    static let second: Int64 = 1_000_000_000

    static func date(_ nanos: Int64) -> Date { Date(timeIntervalSince1970: Double(nanos) / 1e9) }

    static func sandbox(
        _ id: String, name: String = "web", uid: String = "uid-1", state: RuntimeSandboxState = .ready, created: Int64 = t0
    ) -> RuntimeSandbox {
        RuntimeSandbox(
            id: id, name: name, namespace: "shop", uid: uid, state: state, createdAtNanos: created,
            labels: KubernetesLabels(namespace: "shop", podName: name, podUID: uid))
    }

    /// A container whose CRI name differs from its kubelet label, to show which one is reported.
    static func container(
        _ id: String, sandbox: String = "s1", name: String = "app", attempt: UInt32 = 0, state: RuntimeContainerState,
        exitCode: Int32 = 0, reason: String = "", started: Int64 = t0 + second, finished: Int64 = 0, withStatus: Bool = true
    ) -> RuntimeContainer {
        RuntimeContainer(
            id: id, sandboxID: sandbox, name: "cri-\(name)", attempt: attempt, state: state,
            createdAtNanos: t0 + Int64(attempt) * second,
            labels: KubernetesLabels(namespace: "shop", podName: "web", podUID: "uid-1", containerName: name),
            status: withStatus
                ? RuntimeContainerStatus(
                    state: state, createdAtNanos: t0, startedAtNanos: state == .created ? 0 : started, finishedAtNanos: finished,
                    exitCode: exitCode, reason: reason, pid: state == .running ? 4242 : nil) : nil)
    }

    static func pods(_ sandboxes: [RuntimeSandbox], _ containers: [RuntimeContainer]) -> [KubeletPod] {
        KubeletMirror.pods(from: RuntimeSnapshot(sandboxes: sandboxes, containers: containers), nodeName: "node-a")
    }

    /// A RUNNING container is running and Ready, whatever its process really does: the kubelet
    /// learns only from CRI, so a ghost (zombie process, stopped shim) looks exactly like this.
    @Test func runningContainerIsRunningAndReady() throws {
        let pods = Self.pods([Self.sandbox("s1")], [Self.container("c1", state: .running)])
        let pod = try #require(pods.first)
        #expect(pods.count == 1)
        #expect(pod.name == "web" && pod.namespace == "shop" && pod.uid == "uid-1" && pod.nodeName == "node-a")
        #expect(pod.phase == "Running" && pod.ready == true && pod.deletionTimestamp == nil)
        let status = try #require(pod.containers.first)
        #expect(status.name == "app", "the kubelet's container name comes from io.kubernetes.container.name")
        #expect(status.containerID == "containerd://c1" && status.runtimeContainerID == "c1")
        #expect(status.ready && status.started == true && status.restartCount == 0 && status.lastTerminated == nil)
        #expect(status.state == .running(startedAt: Self.date(Self.t0 + Self.second)))
    }

    @Test(arguments: [
        (Int32(137), "OOMKilled", "Failed"), (Int32(1), "Error", "Failed"), (Int32(0), "Completed", "Succeeded"),
    ])
    func exitedContainerIsTerminatedWithTheRuntimesExit(exitCode: Int32, reason: String, phase: String) throws {
        let finished = Self.t0 + 5 * Self.second
        let pods = Self.pods(
            [Self.sandbox("s1")],
            [Self.container("c1", state: .exited, exitCode: exitCode, reason: reason, finished: finished)])
        let pod = try #require(pods.first)
        #expect(pod.phase == phase && pod.ready == false)
        let status = try #require(pod.containers.first)
        #expect(!status.ready && status.started == false)
        #expect(
            status.state
                == .terminated(
                    KubeletTermination(
                        exitCode: exitCode, reason: reason, startedAt: Self.date(Self.t0 + Self.second),
                        finishedAt: Self.date(finished), containerID: "containerd://c1")))
    }

    @Test func createdContainerIsWaitingAndThePodPending() throws {
        let pod = try #require(Self.pods([Self.sandbox("s1")], [Self.container("c1", state: .created)]).first)
        #expect(pod.phase == "Pending" && pod.ready == false)
        #expect(pod.containers.first?.state == .waiting(reason: "ContainerCreating", message: nil))
    }

    /// A container without status detail (its ContainerStatus failed) is still reported, by state.
    @Test func containerWithoutStatusDetailIsStillReported() throws {
        let pod = try #require(
            Self.pods([Self.sandbox("s1")], [Self.container("c1", state: .running, withStatus: false)]).first)
        #expect(pod.containers.first?.state == .running(startedAt: nil))
        #expect(pod.containers.first?.ready == true)
    }

    /// As the kubelet restarts a container: the newest attempt is the state, the one before it
    /// `lastState.terminated`, and the pod is not Ready while the newest attempt is dead.
    @Test func restartsShowTheNewestAttemptAndThePreviousExit() throws {
        let containers = [
            Self.container("a2", attempt: 2, state: .exited, exitCode: 137, reason: "OOMKilled", finished: Self.t0 + 9 * Self.second),
            Self.container("a0", attempt: 0, state: .exited, exitCode: 137, reason: "OOMKilled", finished: Self.t0 + 2 * Self.second),
            Self.container("a1", attempt: 1, state: .exited, exitCode: 137, reason: "OOMKilled", finished: Self.t0 + 5 * Self.second),
            Self.container("w", name: "worker", state: .running),
        ]
        let pod = try #require(Self.pods([Self.sandbox("s1")], containers).first)
        #expect(pod.containers.map(\.name) == ["app", "worker"])
        let app = pod.containers[0]
        #expect(app.containerID == "containerd://a2" && app.restartCount == 2)
        #expect(app.lastTerminated?.containerID == "containerd://a1" && app.lastTerminated?.reason == "OOMKilled")
        #expect(app.lastTerminated?.finishedAt == Self.date(Self.t0 + 5 * Self.second))
        #expect(pod.phase == "Running" && pod.ready == false)
    }

    /// Sandboxes without a pod UID are not the kubelet's; a pod re-created in a new sandbox keeps
    /// its UID and shows the newest READY sandbox's containers only.
    @Test func oneEntryPerPodUIDFromItsNewestReadySandbox() throws {
        let sandboxes = [
            Self.sandbox("new", created: Self.t0 + 10 * Self.second),
            Self.sandbox("old", state: .notReady, created: Self.t0),
            Self.sandbox("foreign", name: "not-a-pod", uid: ""),
            Self.sandbox("lonely", name: "gone", uid: "uid-2", state: .notReady),
        ]
        let containers = [
            Self.container("c-old", sandbox: "old", state: .exited, exitCode: 137, reason: "Error"),
            Self.container("c-new", sandbox: "new", state: .running),
        ]
        let pods = Self.pods(sandboxes, containers)
        #expect(pods.map(\.uid).sorted() == ["uid-1", "uid-2"])
        let web = try #require(pods.first { $0.uid == "uid-1" })
        #expect(web.containers.map(\.containerID) == ["containerd://c-new"])
        #expect(pods.first { $0.uid == "uid-2" }?.containers.isEmpty == true)
    }

    @Test func overridesMarkThePodDeletedByUID() throws {
        let deletion = Self.date(Self.t0 - 120 * Self.second)
        let snapshot = RuntimeSnapshot(
            sandboxes: [Self.sandbox("s1"), Self.sandbox("s2", name: "other", uid: "uid-2")],
            containers: [Self.container("c1", state: .running)])
        let pods = KubeletMirror.pods(
            from: snapshot, overrides: ["uid-1": .init(deletionTimestamp: deletion, deletionGracePeriodSeconds: 30)])
        let web = try #require(pods.first { $0.uid == "uid-1" })
        #expect(web.deletionTimestamp == deletion && web.deletionGracePeriodSeconds == 30)
        #expect(pods.first { $0.uid == "uid-2" }?.deletionTimestamp == nil)
    }

    /// What the mirror serves must read back, through crisync's own decoder, as the same pods
    /// (timestamps at whole seconds, as the kubelet writes them).
    @Test func mirroredPodsRoundTripThroughTheKubeletReadersDecoder() throws {
        let deletion = Self.date(Self.t0 - 120 * Self.second)
        let snapshot = RuntimeSnapshot(
            sandboxes: [Self.sandbox("s1")],
            containers: [
                Self.container("a0", state: .exited, exitCode: 137, reason: "OOMKilled", finished: Self.t0 + 3 * Self.second),
                Self.container("a1", attempt: 1, state: .running),
                Self.container("w", name: "worker", state: .created),
            ])
        let pods = KubeletMirror.pods(from: snapshot, nodeName: "node-a", overrides: ["uid-1": .init(deletionTimestamp: deletion)])
        let decoded = try PodListDecoder.decode(KubeletPodListEncoder.encode(pods)).pods
        #expect(decoded == pods)
    }
}
