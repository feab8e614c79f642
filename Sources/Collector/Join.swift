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
        sandboxesByID = Dictionary((runtime?.sandboxes ?? []).map { ($0.id, $0) }, uniquingKeysWith: { a, _ in a })
        var indexByID: [String: Int] = [:]
        indexByID.reserveCapacity(runtime?.containers.count ?? 0)
        for (index, container) in (runtime?.containers ?? []).enumerated() where indexByID[container.id] == nil {
            indexByID[container.id] = index
        }
        runtimeIndexByID = indexByID
        var byID: [String: KubeletEntry] = [:]
        var uids: Set<String> = []
        let pods = kubelet?.pods ?? []
        for (podIndex, pod) in pods.enumerated() {
            uids.insert(pod.uid)
            for (statusIndex, status) in pod.containers.enumerated() {
                if let id = status.runtimeContainerID {
                    byID[id] = KubeletEntry(pods: pods, podIndex: podIndex, statusIndex: statusIndex)
                }
            }
        }
        kubeletByContainerID = byID
        kubeletPodUIDs = uids
    }

    func runtimeContainer(id: String) -> RuntimeContainer? {
        runtimeIndexByID[id].map { runtime!.containers[$0] }
    }

    /// Identity from CRI labels first (what the kubelet asked the runtime to run), then the sandbox,
    /// then the kubelet's own view.
    func ref(for container: RuntimeContainer) -> ContainerRef {
        let sandbox = sandboxesByID[container.sandboxID]
        let kubeletPod = kubeletByContainerID[container.id]?.pod
        return ContainerRef(
            namespace: container.labels.namespace ?? sandbox?.namespace ?? kubeletPod?.namespace ?? "",
            pod: container.labels.podName ?? sandbox?.name ?? kubeletPod?.name ?? "",
            podUID: container.labels.podUID ?? sandbox?.uid ?? kubeletPod?.uid ?? "",
            container: container.labels.containerName ?? container.name,
            containerID: container.id)
    }

    func ref(for sandbox: RuntimeSandbox) -> ContainerRef {
        ContainerRef(namespace: sandbox.namespace, pod: sandbox.name, podUID: sandbox.uid, container: "", containerID: sandbox.id)
    }

    func ref(for entry: KubeletEntry, containerID: String) -> ContainerRef {
        ContainerRef(
            namespace: entry.pod.namespace, pod: entry.pod.name, podUID: entry.pod.uid, container: entry.status.name,
            containerID: containerID)
    }
}
