import Model

/// The three views of every container, joined on the runtime container ID (the kubelet reports it
/// as `containerd://<id>`). Missing sources simply leave their side empty.
struct Join {
    /// Where a container is in the kubelet's pod list: positions, not copies (one is built for every
    /// container on every refresh, and a pod's copy retains each of its strings).
    struct KubeletEntry {
        let pods: [KubeletPod]
        let podIndex: Int
        let statusIndex: Int
        var pod: KubeletPod { pods[podIndex] }
        var status: KubeletContainerStatus { pods[podIndex].containers[statusIndex] }
        /// Fields read in place, without copying the status.
        var isReady: Bool { pods[podIndex].containers[statusIndex].ready }
        var state: KubeletContainerState { pods[podIndex].containers[statusIndex].state }
    }

    let runtime: RuntimeSnapshot?
    let kubelet: KubeletSnapshot?
    let kernel: KernelSnapshot?
    let sandboxesByID: [String: RuntimeSandbox]
    /// Index into `runtime.containers` by container ID (an index, not a copy: this is built for every
    /// container on every refresh).
    let runtimeIndexByID: [String: Int]
    let kubeletByContainerID: [String: KubeletEntry]
    let kubeletPodUIDs: Set<String>

    init(runtime: RuntimeSnapshot?, kubelet: KubeletSnapshot?, kernel: KernelSnapshot?) {
        self.runtime = runtime
        self.kubelet = kubelet
        self.kernel = kernel
        var sandboxes: [String: RuntimeSandbox] = [:]
        sandboxes.reserveCapacity(runtime?.sandboxes.count ?? 0)
        runtime?.sandboxes.forEachInPlace { sandbox in
            if sandboxes[sandbox.pointee.id] == nil { sandboxes[sandbox.pointee.id] = sandbox.pointee }
        }
        sandboxesByID = sandboxes
        // Indices, not `enumerated()`: that hands out a copy of every container.
        let containers = runtime?.containers ?? []
        var indexByID: [String: Int] = [:]
        indexByID.reserveCapacity(containers.count)
        for index in containers.indices where indexByID[containers[index].id] == nil {
            indexByID[containers[index].id] = index
        }
        runtimeIndexByID = indexByID
        let pods = kubelet?.pods ?? []
        var byID: [String: KubeletEntry] = [:]
        byID.reserveCapacity(pods.reduce(0) { $0 + $1.containers.count })
        var uids: Set<String> = []
        uids.reserveCapacity(pods.count)
        pods.withUnsafeBufferPointer { podBuffer in
            for podIndex in podBuffer.indices {
                uids.insert(podBuffer[podIndex].uid)
                podBuffer[podIndex].containers.withUnsafeBufferPointer { statuses in
                    for statusIndex in statuses.indices {
                        if let id = statuses[statusIndex].runtimeContainerID {
                            byID[id] = KubeletEntry(pods: pods, podIndex: podIndex, statusIndex: statusIndex)
                        }
                    }
                }
            }
        }
        kubeletByContainerID = byID
        kubeletPodUIDs = uids
    }

    /// Identity from CRI labels first (what the kubelet asked the runtime to run), then the sandbox,
    /// then the kubelet's own view.
    func ref(for container: RuntimeContainer) -> ContainerRef {
        let sandbox = sandboxesByID[container.sandboxID]
        let kubeletPod = kubeletByContainerID[container.id]?.pod
        return ContainerRef(
            namespace: container.labels.namespace ?? sandbox?.podNamespace ?? kubeletPod?.namespace ?? "",
            pod: container.labels.podName ?? sandbox?.podName ?? kubeletPod?.name ?? "",
            podUID: container.labels.podUID ?? sandbox?.podUID ?? kubeletPod?.uid ?? "",
            container: container.labels.containerName ?? container.name,
            containerID: container.id)
    }

    /// The pod UID of ``ref(for:)``, without building the rest.
    func podUID(of container: UnsafePointer<RuntimeContainer>) -> String? {
        if let uid = container.pointee.labels.podUID { return uid }
        return sandboxesByID[container.pointee.sandboxID]?.podUID ?? kubeletByContainerID[container.pointee.id]?.pod.uid
    }

    func ref(for sandbox: RuntimeSandbox) -> ContainerRef {
        ContainerRef(
            namespace: sandbox.podNamespace, pod: sandbox.podName, podUID: sandbox.podUID, container: "", containerID: sandbox.id)
    }

    func ref(for entry: KubeletEntry, containerID: String) -> ContainerRef {
        ContainerRef(
            namespace: entry.pod.namespace, pod: entry.pod.name, podUID: entry.pod.uid, container: entry.status.name,
            containerID: containerID)
    }
}
