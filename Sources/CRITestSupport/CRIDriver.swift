import Foundation
import GRPCCore
import Model
import RuntimeReader

/// A pod the driver created, with the config CreateContainer needs again.
public struct TestPod: Sendable, Hashable {
    public var id: String
    public var name: String
    public var namespace: String
    public var uid: String
    /// `<lab cgroup root>/pod<uid>`: every container of the pod gets `<cgroupParent>/<container id>`.
    public var cgroupParent: String
    public var config: Runtime_V1_PodSandboxConfig
}

/// How a test container's processes see each other.
public enum TestPIDNamespace: Sendable, Hashable {
    /// Its own PID namespace: the command is PID 1 there (the kubelet's default).
    case container
    /// Shared with the pod (`shareProcessNamespace: true`): the sandbox is PID 1.
    case pod
}

/// Creates kubelet-like pods and containers in the lab's containerd, for tests and demos: host
/// network (the lab has no CNI), the kubelet's `io.kubernetes.*` labels, a cgroup parent under the
/// lab's root, memory limits. Every call has a deadline.
public final class CRIDriver: Sendable {
    public let lab: ContainerdLab
    /// The driver's own client (long deadline: creating a pod takes ~0.1 s, stopping one up to seconds).
    public let client: CRIClient

    public init(lab: ContainerdLab, timeout: Duration = .seconds(30)) throws {
        self.lab = lab
        self.client = try CRIClient(endpoint: CRIEndpoint(socketPath: lab.socketPath), timeout: timeout)
    }

    public func close() async {
        await client.close()
    }

    // MARK: - Pods

    /// Runs a host-network pod sandbox labelled as the kubelet labels one.
    /// - Parameter uid: the pod UID; a fresh UUID by default.
    public func runPod(
        name: String, namespace: String = "crisync-test", uid: String = UUID().uuidString.lowercased(),
        labels: [String: String] = [:], pidNamespace: TestPIDNamespace = .container
    ) async throws -> TestPod {
        var config = Runtime_V1_PodSandboxConfig()
        config.metadata.name = name
        config.metadata.namespace = namespace
        config.metadata.uid = uid
        config.metadata.attempt = 0
        config.labels = labels.merging([
            KubernetesLabels.podNameKey: name, KubernetesLabels.namespaceKey: namespace, KubernetesLabels.podUIDKey: uid,
        ]) { _, kubelet in kubelet }
        let cgroupParent = "\(lab.cgroupRoot)/pod\(uid)"
        config.linux.cgroupParent = cgroupParent
        config.linux.securityContext.namespaceOptions = Self.namespaces(pid: pidNamespace)
        if let logs = lab.podLogDirectory {
            let directory = "\(logs)/\(namespace)_\(name)_\(uid)"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            config.logDirectory = directory
        }
        var request = Runtime_V1_RunPodSandboxRequest()
        request.config = config
        let options = client.callOptions
        let response = try await call("RunPodSandbox", name) { runtime in
            try await runtime.runPodSandbox(request, options: options)
        }
        return TestPod(
            id: response.podSandboxID, name: name, namespace: namespace, uid: uid, cgroupParent: cgroupParent,
            config: config)
    }

    /// Stops the pod: its containers are killed, the sandbox process too.
    public func stopPod(id: String) async throws {
        var request = Runtime_V1_StopPodSandboxRequest()
        request.podSandboxID = id
        let options = client.callOptions
        _ = try await call("StopPodSandbox", id) { runtime in try await runtime.stopPodSandbox(request, options: options) }
    }

    /// Removes a stopped pod and its containers.
    public func removePod(id: String) async throws {
        var request = Runtime_V1_RemovePodSandboxRequest()
        request.podSandboxID = id
        let options = client.callOptions
        _ = try await call("RemovePodSandbox", id) { runtime in try await runtime.removePodSandbox(request, options: options) }
    }

    /// Stops and removes the pod with everything in it. Tries every step; throws what failed.
    public func destroyPod(id: String) async throws {
        var problems: [String] = []
        do { try await stopPod(id: id) } catch { problems.append("\(error)") }
        do { try await removePod(id: id) } catch { problems.append("\(error)") }
        if !problems.isEmpty { throw CRIDriverError.cleanupFailed(problems) }
    }

    /// Stops and removes the pod, then removes its pod-level cgroup in every hierarchy (the cgroupfs
    /// driver never removes it). Tries every step; throws what failed.
    public func destroy(_ pod: TestPod) async throws {
        var problems: [String] = []
        do { try await destroyPod(id: pod.id) } catch { problems.append("\(error)") }
        for directory in LabCgroups.directories(of: pod.cgroupParent) where rmdir(directory) != 0 && errno != ENOENT {
            problems.append("rmdir \(directory): errno \(errno)")
        }
        if !problems.isEmpty { throw CRIDriverError.cleanupFailed(problems) }
    }

    /// Runs `body` with a fresh pod and destroys the pod afterwards, whether `body` succeeded or not.
    public func withPod<Result: Sendable>(
        name: String, namespace: String = "crisync-test", labels: [String: String] = [:],
        pidNamespace: TestPIDNamespace = .container, _ body: (TestPod) async throws -> Result
    ) async throws -> Result {
        let pod = try await runPod(name: name, namespace: namespace, labels: labels, pidNamespace: pidNamespace)
        let result: Swift.Result<Result, any Error>
        do {
            result = .success(try await body(pod))
        } catch {
            result = .failure(error)
        }
        do {
            try await destroy(pod)
        } catch {
            // The test's own failure matters more than a cleanup failure after it.
            if case .success = result { throw error }
        }
        return try result.get()
    }

    public func listPods() async throws -> [Runtime_V1_PodSandbox] {
        let options = client.callOptions
        return try await call("ListPodSandbox", "") { runtime in
            try await runtime.listPodSandbox(Runtime_V1_ListPodSandboxRequest(), options: options)
        }.items
    }

    // MARK: - Containers

    /// Creates (does not start) a container in `pod`.
    /// - Parameters:
    ///   - memoryLimitBytes: cgroup memory limit in bytes; 0 for none.
    ///   - kubernetesLabels: false for a container without the kubelet's `io.kubernetes.*` labels.
    public func createContainer(
        in pod: TestPod, name: String, command: [String], memoryLimitBytes: Int64 = 0,
        labels: [String: String] = [:], kubernetesLabels: Bool = true, pidNamespace: TestPIDNamespace? = nil,
        attempt: UInt32 = 0
    ) async throws -> String {
        var config = Runtime_V1_ContainerConfig()
        config.metadata.name = name
        config.metadata.attempt = attempt
        config.image.image = lab.image
        config.command = command
        config.labels = labels
        if kubernetesLabels {
            config.labels.merge([
                KubernetesLabels.podNameKey: pod.name, KubernetesLabels.namespaceKey: pod.namespace,
                KubernetesLabels.podUIDKey: pod.uid, KubernetesLabels.containerNameKey: name,
            ]) { _, kubelet in kubelet }
        }
        if !pod.config.logDirectory.isEmpty { config.logPath = "\(name)/\(attempt).log" }
        config.linux.resources.memoryLimitInBytes = memoryLimitBytes
        config.linux.securityContext.namespaceOptions =
            pidNamespace.map(Self.namespaces(pid:)) ?? pod.config.linux.securityContext.namespaceOptions
        var request = Runtime_V1_CreateContainerRequest()
        request.podSandboxID = pod.id
        request.config = config
        request.sandboxConfig = pod.config
        let options = client.callOptions
        return try await call("CreateContainer", "\(name) in pod \(pod.name)") { runtime in
            try await runtime.createContainer(request, options: options)
        }.containerID
    }

    public func startContainer(id: String) async throws {
        var request = Runtime_V1_StartContainerRequest()
        request.containerID = id
        let options = client.callOptions
        _ = try await call("StartContainer", id) { runtime in try await runtime.startContainer(request, options: options) }
    }

    /// Creates and starts a container; returns its ID.
    public func runContainer(
        in pod: TestPod, name: String, command: [String], memoryLimitBytes: Int64 = 0,
        labels: [String: String] = [:], kubernetesLabels: Bool = true, pidNamespace: TestPIDNamespace? = nil
    ) async throws -> String {
        let id = try await createContainer(
            in: pod, name: name, command: command, memoryLimitBytes: memoryLimitBytes, labels: labels,
            kubernetesLabels: kubernetesLabels, pidNamespace: pidNamespace)
        try await startContainer(id: id)
        return id
    }

    /// SIGTERM, then SIGKILL after `gracePeriodSeconds`. Hangs until the deadline on a stopped shim.
    public func stopContainer(id: String, gracePeriodSeconds: Int64 = 0) async throws {
        var request = Runtime_V1_StopContainerRequest()
        request.containerID = id
        request.timeout = gracePeriodSeconds
        let options = client.callOptions
        _ = try await call("StopContainer", id) { runtime in try await runtime.stopContainer(request, options: options) }
    }

    public func removeContainer(id: String) async throws {
        var request = Runtime_V1_RemoveContainerRequest()
        request.containerID = id
        let options = client.callOptions
        _ = try await call("RemoveContainer", id) { runtime in try await runtime.removeContainer(request, options: options) }
    }

    /// Containers, all or those of one pod.
    public func listContainers(podID: String? = nil) async throws -> [Runtime_V1_Container] {
        var request = Runtime_V1_ListContainersRequest()
        if let podID { request.filter.podSandboxID = podID }
        let options = client.callOptions
        return try await call("ListContainers", podID ?? "") { runtime in
            try await runtime.listContainers(request, options: options)
        }.containers
    }

    /// `ContainerStatus(verbose)` with the info JSON parsed.
    public func status(ofContainer id: String) async throws -> RuntimeContainerStatus {
        try await client.containerStatus(id: id)
    }

    /// Polls `ContainerStatus` until the container is in `state` (every 20 ms).
    public func waitForContainer(
        id: String, state: RuntimeContainerState, timeout: Duration = .seconds(10)
    ) async throws -> RuntimeContainerStatus {
        let deadline = ContinuousClock.now + timeout
        var last = try await status(ofContainer: id)
        while last.state != state {
            guard ContinuousClock.now < deadline else {
                throw CRIDriverError.timedOut(
                    what: "container \(id) to be \(state)", after: timeout,
                    last: "\(last.state) exit \(last.exitCode) \(last.reason)")
            }
            try await Task.sleep(for: .milliseconds(20))
            last = try await status(ofContainer: id)
        }
        return last
    }

    // MARK: - Helpers

    private static func namespaces(pid: TestPIDNamespace) -> Runtime_V1_NamespaceOption {
        var options = Runtime_V1_NamespaceOption()
        options.network = .node  // the lab has no CNI: a pod network would leave an unremovable pod
        options.pid = pid == .pod ? .pod : .container
        options.ipc = .pod
        return options
    }

    private func call<Response: Sendable>(
        _ method: String, _ target: String,
        _ body: (Runtime_V1_RuntimeService.Client<CRIClient.Transport>) async throws -> Response
    ) async throws -> Response {
        do {
            return try await body(client.runtime)
        } catch let error as RPCError {
            throw CRIDriverError.callFailed(method: method, target: target, reason: "\(error.code): \(error.message)")
        } catch {
            throw CRIDriverError.callFailed(method: method, target: target, reason: "\(error)")
        }
    }
}
