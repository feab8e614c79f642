import Model
import SwiftProtobuf
import Testing

@testable import RuntimeReader

@Suite("CRI messages to Model values")
struct CRIConversionTests {
    static let endpoint = "unix:///tmp/crisync-lab/run/containerd.sock"

    /// The container as a runtime sends it (the full upstream message in a ListContainers answer),
    /// decoded the way the reader decodes a listing.
    static func listed(_ container: Runtime_V1_Container) throws -> RuntimeContainer {
        var response = Runtime_V1_ListContainersResponse()
        response.containers = [container]
        let bytes: [UInt8] = try response.serializedBytes()
        let listing = try ListingDeserializer<[RuntimeContainer]>.containers.deserialize(bytes)
        try #require(listing.count == 1)
        return listing[0]
    }

    static func listed(_ sandbox: Runtime_V1_PodSandbox) throws -> RuntimeSandbox {
        var response = Runtime_V1_ListPodSandboxResponse()
        response.items = [sandbox]
        let bytes: [UInt8] = try response.serializedBytes()
        let listing = try ListingDeserializer<[RuntimeSandbox]>.sandboxes.deserialize(bytes)
        try #require(listing.count == 1)
        return listing[0]
    }

    /// What the listing leaves out (annotations, image, other labels) is read past; a label given
    /// twice keeps its last value, as a map decoder does.
    @Test func listingSkipsWhatCrisyncDoesNotRead() throws {
        var container = Runtime_V1_Container()
        container.id = "c9"
        container.podSandboxID = "s9"
        container.metadata.name = "app"
        container.image.image = "registry.example/app:1.2"
        container.imageRef = "sha256:" + String(repeating: "ab", count: 32)
        container.state = .containerRunning
        container.createdAt = 1_790_000_000_000_000_000
        container.labels = ["io.kubernetes.pod.name": "web-0", "io.kubernetes.container.name": "app", "team": "x"]
        container.annotations = ["io.kubernetes.container.hash": "5d8c3a1f", "io.kubernetes.container.restartCount": "0"]
        #expect(try Self.listed(container) == RuntimeContainer(
            id: "c9", sandboxID: "s9", name: "app", attempt: 0, state: .running, createdAtNanos: 1_790_000_000_000_000_000,
            labels: KubernetesLabels(podName: "web-0", containerName: "app")))

        // Two entries for one key on the wire: two encodings of one container, one after the other,
        // are one container to a protobuf decoder, its labels map merged.
        var old = container
        old.labels = [KubernetesLabels.namespaceKey: "old"]
        var new = container
        new.labels = [KubernetesLabels.namespaceKey: "new"]
        let merged: [UInt8] = try old.serializedBytes() + new.serializedBytes()
        #expect(try Runtime_V1_Container(serializedBytes: merged).labels[KubernetesLabels.namespaceKey] == "new")
        let listing = try ListingDeserializer<[RuntimeContainer]>.containers.deserialize(ListingDecoderTests.response(merged))
        #expect(listing.map(\.labels.namespace) == ["new"])
    }

    /// A real ContainerStatus(verbose) answer, as protobuf text, parsed the way the reader does.
    /// It has fields this subset leaves out (mounts, resources, ...): skipped, as on the wire.
    func status(_ file: String) throws -> RuntimeContainerStatus {
        var options = TextFormatDecodingOptions()
        options.ignoreUnknownFields = true
        let response = try Runtime_V1_ContainerStatusResponse(textFormatString: try Fixture.text(file), options: options)
        let info = try ContainerInfoParser.parse(
            infoMap: response.info, containerID: response.status.id, endpoint: Self.endpoint)
        return RuntimeContainerStatus(cri: response.status, info: info)
    }

    @Test func runningSleeper() throws {
        let status = try status("container-status-running.txtpb")
        #expect(status.state == .running)
        #expect(status.exitCode == 0 && status.reason.isEmpty && status.message.isEmpty)
        #expect(status.createdAtNanos == 1_795_937_637_756_149_010)
        #expect(status.startedAtNanos == 1_795_937_637_829_694_323)
        #expect(status.finishedAtNanos == 0)
        #expect(status.pid == 7545)
        #expect(status.sandboxID == "2b3708d558dd953a05463cc08bf9d9688a798f8b776ef579f79ef84a44f548c1")
        #expect(status.cgroupsPath?.hasSuffix("/98924ace25de4bc387cdb0e67220bf4590eb2c783194f22b82dfad2579eca556") == true)
    }

    @Test func exitedWithCode1() throws {
        let status = try status("container-status-exited.txtpb")
        #expect(status.state == .exited)
        #expect(status.exitCode == 1)
        #expect(status.reason == "Error")
        #expect(status.pid == nil)
        #expect(status.finishedAtNanos >= status.startedAtNanos && status.startedAtNanos > 0)
    }

    @Test func oomKilled() throws {
        let status = try status("container-status-oomkilled.txtpb")
        #expect(status.state == .exited)
        #expect(status.exitCode == 137)
        #expect(status.reason == "OOMKilled")
        #expect(status.pid == nil)
    }

    @Test(arguments: [
        (Runtime_V1_ContainerState.containerCreated, RuntimeContainerState.created),
        (.containerRunning, .running), (.containerExited, .exited), (.containerUnknown, .unknown),
        (.UNRECOGNIZED(9), .unknown),
    ])
    func containerStates(_ cri: Runtime_V1_ContainerState, model: RuntimeContainerState) {
        #expect(RuntimeContainerState(cri: cri) == model)
    }

    @Test(arguments: [
        (Runtime_V1_PodSandboxState.sandboxReady, RuntimeSandboxState.ready),
        (.sandboxNotready, .notReady), (.UNRECOGNIZED(7), .notReady),
    ])
    func sandboxStates(_ cri: Runtime_V1_PodSandboxState, model: RuntimeSandboxState) {
        #expect(RuntimeSandboxState(cri: cri) == model)
    }

    @Test func kubeletLabelsBecomeKubernetesIdentity() throws {
        var container = Runtime_V1_Container()
        container.id = "c1"
        container.podSandboxID = "s1"
        container.metadata.name = "app"
        container.metadata.attempt = 3
        container.state = .containerRunning
        container.createdAt = 42
        container.labels = [
            "io.kubernetes.pod.name": "web-0", "io.kubernetes.pod.namespace": "shop",
            "io.kubernetes.pod.uid": "9f1c", "io.kubernetes.container.name": "app", "team": "x",
        ]
        #expect(try Self.listed(container) == RuntimeContainer(
            id: "c1", sandboxID: "s1", name: "app", attempt: 3, state: .running, createdAtNanos: 42,
            labels: KubernetesLabels(namespace: "shop", podName: "web-0", podUID: "9f1c", containerName: "app")))
    }

    @Test func containersWithoutKubeletLabelsAreStillReported() throws {
        var container = Runtime_V1_Container()
        container.id = "c2"
        container.metadata.name = "ctr-run"
        container.state = .containerExited
        let converted = try Self.listed(container)
        #expect(converted.id == "c2" && converted.name == "ctr-run" && converted.state == .exited)
        #expect(converted.labels == KubernetesLabels())
    }

    @Test func sandbox() throws {
        var sandbox = Runtime_V1_PodSandbox()
        sandbox.id = "s1"
        sandbox.metadata.name = "web-0"
        sandbox.metadata.namespace = "shop"
        sandbox.metadata.uid = "9f1c"
        sandbox.metadata.attempt = 1
        sandbox.state = .sandboxNotready
        sandbox.createdAt = 7
        sandbox.labels = ["io.kubernetes.pod.name": "web-0", "io.kubernetes.pod.namespace": "shop", "io.kubernetes.pod.uid": "9f1c"]
        #expect(try Self.listed(sandbox) == RuntimeSandbox(
            id: "s1", name: "web-0", namespace: "shop", uid: "9f1c", attempt: 1, state: .notReady, createdAtNanos: 7,
            labels: KubernetesLabels(namespace: "shop", podName: "web-0", podUID: "9f1c")))
    }

    @Test func versionAndConditions() {
        var version = Runtime_V1_VersionResponse()
        version.version = "0.1.0"
        version.runtimeName = "containerd"
        version.runtimeVersion = "1.6.20~ds1"
        version.runtimeApiVersion = "v1"
        #expect(RuntimeVersion(cri: version) == RuntimeVersion(
            runtimeName: "containerd", runtimeVersion: "1.6.20~ds1", runtimeAPIVersion: "v1"))
        var condition = Runtime_V1_RuntimeCondition()
        condition.type = "NetworkReady"
        condition.status = false
        condition.reason = "NetworkPluginNotReady"
        condition.message = "Network plugin returns error: cni plugin not initialized"
        #expect(RuntimeCondition(cri: condition) == RuntimeCondition(
            type: "NetworkReady", status: false, reason: "NetworkPluginNotReady",
            message: "Network plugin returns error: cni plugin not initialized"))
    }

    @Test(arguments: [
        (Runtime_V1_ContainerEventType.containerCreatedEvent, RuntimeContainerEvent.Kind.created),
        (.containerStartedEvent, .started), (.containerStoppedEvent, .stopped), (.containerDeletedEvent, .deleted),
        (.UNRECOGNIZED(12), .unknown),
    ])
    func events(_ type: Runtime_V1_ContainerEventType, kind: RuntimeContainerEvent.Kind) {
        var event = Runtime_V1_ContainerEventResponse()
        event.containerID = "c1"
        event.containerEventType = type
        event.createdAt = 99
        #expect(RuntimeContainerEvent(cri: event) == RuntimeContainerEvent(containerID: "c1", kind: kind, createdAtNanos: 99))
        event.podSandboxStatus.id = "s1"
        #expect(RuntimeContainerEvent(cri: event).sandboxID == "s1")
    }
}
