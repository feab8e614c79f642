import CRITestSupport
import Collector
import Foundation
import Glibc
import KubeletTestSupport
import LabSupport
import Logging
import Model
import RuntimeReader

@testable import CrisyncApp

/// One exporter in front of the real containerd and a fake kubelet whose PodList the scenario
/// controls (mirrored from the runtime, as a real kubelet would learn it over CRI, or frozen).
/// Refreshes are driven by the test, not a timer, so every step is deterministic.
final class ScenarioHarness: Sendable {
    let lab: ContainerdLab
    let driver: CRIDriver
    let kubelet: FakeKubelet
    let sources: SourceSet
    let exporter: Exporter
    let runtimeView: RuntimeReader
    let namespace: String

    /// `minAge` and `stuckAfter` are short so the scenarios run in seconds; the defaults are tested
    /// in the collector's unit tests.
    init(minAge: String = "1s", stuckAfter: String = "60s") async throws {
        lab = try ContainerdLab.required()
        driver = try CRIDriver(lab: lab)
        kubelet = try await FakeKubelet.start()
        let options = try SourceOptions.parse([
            "--runtime.endpoint", "unix://\(lab.socketPath)", "--kubelet.url", kubelet.url, "--kubelet.token-file", "",
            "--kubelet.ca-file", "", "--divergence.min-age", minAge, "--terminating.stuck-after", stuckAfter,
        ])
        sources = SourceSet(options: options)
        exporter = Exporter(
            sources: sources, configuration: options.collectorConfiguration, server: nil, telemetryPath: "/metrics",
            logger: Logger(label: "scenario"))
        runtimeView = try RuntimeReader(endpoint: "unix://\(lab.socketPath)")
        namespace = "scn-\(UInt32.random(in: 0..<UInt32.max))"
    }

    func close() async {
        await sources.close()
        await runtimeView.close()
        await kubelet.stop()
        await driver.close()
    }

    /// The fake kubelet reports what a kubelet would, for this scenario's pods only (other tests
    /// share the containerd), with per-pod overrides (a deletion timestamp).
    func mirror(overrides: [String: KubeletMirror.PodOverride] = [:], hiding hidden: Set<String> = []) async throws {
        let snapshot = try await runtimeView.snapshot()
        let pods = KubeletMirror.pods(from: snapshot, overrides: overrides).filter {
            $0.namespace == namespace && !hidden.contains($0.uid)
        }
        kubelet.setPods(pods)
    }

    func refresh() async -> Findings {
        await exporter.refresh()
    }

    /// Refreshes until `condition` holds on the findings, for at most `timeout`.
    func refresh(until timeout: Duration, every pause: Duration = .milliseconds(250), _ condition: (Findings) -> Bool)
        async -> Findings
    {
        let deadline = ContinuousClock.now + timeout
        var findings = await refresh()
        while !condition(findings) && ContinuousClock.now < deadline {
            try? await Task.sleep(for: pause)
            findings = await refresh()
        }
        return findings
    }

    func runPod(_ name: String) async throws -> TestPod {
        try await driver.runPod(name: name, namespace: namespace)
    }

    func pid(ofContainer id: String) async throws -> Int32 {
        let status = try await driver.status(ofContainer: id)
        guard let pid = status.pid, pid > 0 else { throw ScenarioError("container \(id) has no pid (\(status.state))") }
        return pid
    }

    func shimPID(of pod: TestPod) throws -> Int32 {
        guard let pid = LabProcesses.shimPID(ofSandbox: pod.id, socketPath: lab.socketPath) else {
            throw ScenarioError("no shim found for pod \(pod.name)")
        }
        return pid
    }

    /// Waits until the runtime lists the container in `state`.
    func waitForRuntime(_ id: String, state: RuntimeContainerState, timeout: Duration = .seconds(15)) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if try await driver.status(ofContainer: id).state == state { return }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw ScenarioError("container \(id) did not reach \(state) within \(timeout)")
    }

    func destroy(_ pods: [TestPod]) async {
        for pod in pods { try? await driver.destroy(pod) }
    }
}

struct ScenarioError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

extension Findings {
    func divergences(in namespace: String) -> [Divergence] {
        divergences.filter { $0.ref.namespace == namespace }
    }

    func terminationCount(namespace: String, reason: String, signal: String) -> UInt64 {
        terminations[TerminationLabels(namespace: namespace, reason: reason, signal: signal)] ?? 0
    }
}
