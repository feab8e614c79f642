import CRITestSupport
import Foundation
import Glibc
import RuntimeReader

/// Pods of busybox sleepers in the bench's containerd, created and replaced the way a kubelet does
/// it: one host-network sandbox per pod, then its containers, every call over CRI.
struct BenchPods {
    static let namespace = "bench"
    static let command = ["sleep", "86400"]
    static let containerNames = ["app", "sidecar", "proxy", "metrics", "log-shipper", "config-reloader", "agent", "cache"]

    let driver: CRIDriver

    init(socketPath: String, cgroupRoot: String) throws {
        driver = try CRIDriver(lab: ContainerdLab(socketPath: socketPath, cgroupRoot: cgroupRoot))
    }

    /// Runs a pod named `name` with `containers` running sleepers; returns the container IDs.
    @discardableResult
    func runPod(name: String, containers: Int) async throws -> [String] {
        let pod = try await driver.runPod(name: name, namespace: Self.namespace)
        var ids: [String] = []
        for index in 0..<containers {
            ids.append(
                try await driver.runContainer(
                    in: pod, name: Self.containerNames[index % Self.containerNames.count], command: Self.command))
        }
        return ids
    }

    /// Stops and removes the pod, then its pod-level cgroups (the cgroupfs driver leaves them).
    func destroyPod(_ sandbox: Runtime_V1_PodSandbox) async throws {
        try await driver.destroyPod(id: sandbox.id)
        let parent = "\(driver.lab.cgroupRoot)/pod\(sandbox.metadata.uid)"
        for directory in LabCgroups.directories(of: parent) { rmdir(directory) }
    }

    /// The bench's sandboxes, oldest first.
    func sandboxes() async throws -> [Runtime_V1_PodSandbox] {
        try await driver.listPods().filter { $0.metadata.namespace == Self.namespace }.sorted { $0.createdAt < $1.createdAt }
    }

    func containerCount() async throws -> Int {
        try await driver.listContainers().count
    }

    /// Waits until the runtime answers CRI (its CRI plugin finishes loading after the socket appears).
    func waitUntilReady(timeout: Duration = .seconds(60)) async throws {
        let deadline = ContinuousClock.now + timeout
        while true {
            do {
                _ = try await driver.listPods()
                return
            } catch {
                guard ContinuousClock.now < deadline else { throw BenchError("the runtime did not answer CRI within \(timeout): \(error)") }
                try await Task.sleep(for: .milliseconds(250))
            }
        }
    }

    func close() async {
        await driver.close()
    }
}
