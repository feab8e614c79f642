import ArgumentParser
import CRITestSupport
import Foundation
import KubeletTestSupport
import Model
import ProcessSignals
import RuntimeReader

/// `crisync-bench synthetic-serve`: the generated node of `synthetic`, served to the real
/// `crisync-exporter`: the runtime view over CRI (a scripted gRPC runtime), the kubelet view over
/// HTTP (padded to a real kubelet's size), the kernel view as the tree under --root.
struct SyntheticServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synthetic-serve",
        abstract: "Serve a generated node's runtime (CRI) and kubelet (/pods) views for the real exporter.",
        discussion: """
            Writes the procfs and cgroup tree under --root (point --path.procfs at <root>/proc and \
            --path.cgroupfs at <root>/cgroup), then prints "cri unix://<socket>" and "kubelet <url>" and \
            serves until SIGTERM. Run it as its own process: the exporter's memory is then its own.
            """)

    @Option(help: "Containers on the generated node.") var containers: Int
    @Option(help: "Empty directory (a tmpfs) for the generated tree.") var root: String

    func run() async throws {
        let node = try SyntheticNode(containerCount: containers, root: root)
        let runtime = try await ScriptedCRIRuntime(script: Self.script(for: node))
        let kubelet: FakeKubelet
        do {
            kubelet = try await FakeKubelet.start()
            kubelet.setPodListBody(try PaddedPodList.encode(node.kubelet.pods))
        } catch {
            await runtime.stop()
            throw error
        }
        print("cri unix://\(runtime.socketPath)")
        print("kubelet \(kubelet.url)")
        fflush(nil)
        _ = await TerminationSignal.wait()
        await kubelet.stop()
        await runtime.stop()
    }

    /// The node's runtime view as containerd's CRI would answer it, labels and annotations included.
    static func script(for node: SyntheticNode) -> ScriptedCRIRuntime.Script {
        var script = ScriptedCRIRuntime.Script()
        script.version.version = "0.1.0"
        script.version.runtimeName = node.runtime.version?.runtimeName ?? "containerd"
        script.version.runtimeVersion = node.runtime.version?.runtimeVersion ?? ""
        script.version.runtimeApiVersion = node.runtime.version?.runtimeAPIVersion ?? "v1"
        script.conditions = node.runtime.conditions.map { condition in
            var cri = Runtime_V1_RuntimeCondition()
            cri.type = condition.type
            cri.status = condition.status
            return cri
        }
        script.sandboxes = node.runtime.sandboxes.map { sandbox in
            var cri = Runtime_V1_PodSandbox()
            cri.id = sandbox.id
            cri.metadata.name = sandbox.name
            cri.metadata.namespace = sandbox.namespace
            cri.metadata.uid = sandbox.uid
            cri.state = .sandboxReady
            cri.createdAt = sandbox.createdAtNanos
            cri.labels = [
                KubernetesLabels.podNameKey: sandbox.name, KubernetesLabels.namespaceKey: sandbox.namespace,
                KubernetesLabels.podUIDKey: sandbox.uid, "app": String(sandbox.name.prefix(while: { $0 != "-" })),
                "io.cri-containerd.kind": "sandbox", "pod-template-hash": String(sandbox.uid.prefix(10)),
            ]
            cri.annotations = ["kubernetes.io/config.source": "api", "kubernetes.io/config.seen": "2026-06-01T10:00:00Z"]
            return cri
        }
        for container in node.runtime.containers {
            var cri = Runtime_V1_Container()
            cri.id = container.id
            cri.podSandboxID = container.sandboxID
            cri.metadata.name = container.name
            cri.image.image = KubeletPodListEncoder.image
            cri.imageRef = "sha256:9b2a5c8f4e3d1c0b7a6f5e4d3c2b1a0f9e8d7c6b5a4f3e2d1c0b9a8f7e6d5c4b"
            cri.state = .containerRunning
            cri.createdAt = container.createdAtNanos
            cri.labels = [
                KubernetesLabels.podNameKey: container.labels.podName ?? "", KubernetesLabels.namespaceKey: container.labels.namespace ?? "",
                KubernetesLabels.podUIDKey: container.labels.podUID ?? "", KubernetesLabels.containerNameKey: container.name,
            ]
            cri.annotations = [
                "io.kubernetes.container.hash": "5d8c3a1f", "io.kubernetes.container.restartCount": "0",
                "io.kubernetes.container.terminationMessagePath": "/dev/termination-log",
                "io.kubernetes.container.terminationMessagePolicy": "File", "io.kubernetes.pod.terminationGracePeriod": "30",
            ]
            script.containers.append(cri)

            guard let status = container.status else { continue }
            var response = Runtime_V1_ContainerStatusResponse()
            response.status.id = container.id
            response.status.metadata = cri.metadata
            response.status.state = .containerRunning
            response.status.createdAt = status.createdAtNanos
            response.status.startedAt = status.startedAtNanos
            response.status.image = cri.image
            response.status.imageRef = cri.imageRef
            response.status.labels = cri.labels
            response.status.annotations = cri.annotations
            response.info = [
                ContainerInfoParser.infoKey:
                    #"{"sandboxID":"\#(container.sandboxID)","pid":\#(status.pid ?? 0),"removing":false,"snapshotKey":"\#(container.id)","#
                    + #""snapshotter":"overlayfs","runtimeType":"io.containerd.runc.v2","runtimeOptions":null,"#
                    + #""config":{"metadata":{"name":"\#(container.name)"}},"#
                    + #""runtimeSpec":{"ociVersion":"1.0.2-dev","linux":{"cgroupsPath":"\#(status.cgroupsPath ?? "")","#
                    + #""namespaces":[{"type":"pid"},{"type":"ipc","path":"/proc/\#(status.pid ?? 0)/ns/ipc"},{"type":"mount"}]}}}"#
            ]
            script.statuses[container.id] = .success(response)
        }
        return script
    }
}
