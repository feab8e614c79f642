import CRITestSupport
import Collector
import Foundation
import Glibc
import LabSupport
import Model
import Synchronization
import Testing

@testable import CrisyncApp

@Suite("Scenario 7: churn with a lagging kubelet", .serialized)
struct ScenarioChurnTests {
    /// 200 create/start/stop/remove cycles while the kubelet follows with up to 2 s of lag (like PLEG
    /// relists and status syncs): no divergence may ever be reported. min-age is 5 s here (the default
    /// is 15 s) so the 2 s lag is well inside what the test could catch.
    @Test
    func churnWithLaggingKubeletReportsNothing() async throws {
        let h = try await ScenarioHarness(minAge: "5s")
        let pods = try await withThrowingTaskGroup(of: TestPod.self) { group in
            for index in 0..<8 { group.addTask { try await h.runPod("churn-\(index)") } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let state = ChurnState()

        // The kubelet: every 200 ms it reports the runtime as it was 0-2 s ago.
        let kubeletTask = Task {
            while state.churning.load(ordering: .relaxed) {
                if let snapshot = try? await h.runtimeView.snapshot() {
                    let now = ContinuousClock.now
                    let lag = Duration.milliseconds(Int.random(in: 0...2000))
                    let view = state.history.withLock { history -> RuntimeSnapshot in
                        history.append((now, snapshot))
                        history.removeAll { now - $0.at > .seconds(3) }
                        return history.last { now - $0.at >= lag }?.snapshot ?? history[0].snapshot
                    }
                    h.kubelet.setPods(KubeletMirror.pods(from: view).filter { $0.namespace == h.namespace })
                }
                try? await Task.sleep(for: .milliseconds(200))
            }
        }
        // The churn: eight workers, 25 cycles each.
        let churnTask = Task {
            try await withThrowingTaskGroup(of: Void.self) { group in
                for pod in pods {
                    group.addTask {
                        for attempt in 0..<25 {
                            let id = try await h.driver.createContainer(
                                in: pod, name: "worker", command: ["sleep", "3600"], attempt: UInt32(attempt))
                            try await h.driver.startContainer(id: id)
                            try await Task.sleep(for: .milliseconds(Int.random(in: 0...400)))
                            try await h.driver.stopContainer(id: id)
                            try await h.driver.removeContainer(id: id)
                            state.cycles.wrappingAdd(1, ordering: .relaxed)
                        }
                    }
                }
                try await group.waitForAll()
            }
        }
        var reported: [Divergence] = []
        var refreshes = 0
        let started = ContinuousClock.now
        while !(churnTask.isCancelled) {
            let findings = await h.refresh()
            refreshes += 1
            reported += findings.divergences(in: h.namespace)
            if state.cycles.load(ordering: .relaxed) >= 200 { break }
            if ContinuousClock.now - started > .seconds(240) { break }
            try await Task.sleep(for: .milliseconds(500))
        }
        let churnResult = await churnTask.result
        // Let the kubelet catch up, then look once more.
        try await Task.sleep(for: .seconds(2.5))
        reported += await h.refresh().divergences(in: h.namespace)
        state.churning.store(false, ordering: .relaxed)
        await kubeletTask.value

        if case .failure(let error) = churnResult { Issue.record(error) }
        #expect(state.cycles.load(ordering: .relaxed) == 200)
        #expect(refreshes >= 10, "the churn lasted \(refreshes) refreshes")
        #expect(reported.isEmpty, "divergences reported under churn: \(reported.map { "\($0.kind) \($0.ref.containerID) \($0.detail)" })")
        await h.destroy(pods)
        await h.close()
    }
}

/// Shared between the churn, the lagging kubelet and the refresh loop.
private final class ChurnState: Sendable {
    let history = Mutex<[(at: ContinuousClock.Instant, snapshot: RuntimeSnapshot)]>([])
    let churning = Atomic<Bool>(true)
    let cycles = Atomic<Int>(0)
}

@Suite("Scenario 8: containerd stopped and restarted", .serialized)
struct ScenarioRuntimeRestartTests {
    /// Uses a second, private containerd (its own directory, socket and cgroup root) so stopping it
    /// does not disturb the other tests.
    @Test func runtimeDownThenBack() async throws {
        _ = try ContainerdLab.required()
        let lab = SecondLab()
        try lab.start()
        defer { try? lab.stop() }
        let options = try SourceOptions.parse([
            "--runtime.endpoint", "unix://\(lab.socket)", "--kubelet.url", "http://127.0.0.1:9", "--kubelet.token-file", "",
            "--kubelet.ca-file", "",
        ])
        let server = try HTTPServerForTests.start()
        defer { server.stop() }
        let sources = SourceSet(options: options)
        let exporter = Exporter(
            sources: sources, configuration: options.collectorConfiguration, server: server, telemetryPath: "/metrics",
            logger: .init(label: "scenario8"))

        #expect(await exporter.refresh().sources[.runtime]?.up == true)
        #expect(try server.scrape().contains("crisync_source_up{source=\"runtime\"} 1\n"))

        try lab.stop()
        let down = await exporter.refresh()
        #expect(down.sources[.runtime]?.up == false)
        #expect(down.sources[.procfs]?.up == true, "the rest keeps working")
        let text = try server.scrape()
        #expect(text.contains("crisync_source_up{source=\"runtime\"} 0\n"))
        #expect(text.contains("crisync_source_errors_total{source=\"runtime\"} 1\n"))

        try lab.start()
        let back = await exporter.refresh()
        #expect(back.sources[.runtime]?.up == true, "\(back.sources[.runtime]?.lastError ?? "")")
        #expect(try server.scrape().contains("crisync_source_up{source=\"runtime\"} 1\n"))
        await sources.close()
    }
}

/// A second containerd from the project's own script, in its own directory and cgroup root.
struct SecondLab {
    let directory = "/tmp/crisync-scenario8-\(getpid())"
    var socket: String { directory + "/run/containerd.sock" }

    func start() throws { try run("start") }
    func stop() throws { try run("stop") }

    private func run(_ verb: String) throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/containerd.sh").path
        var environment = Foundation.ProcessInfo.processInfo.environment
        environment["CRISYNC_LAB"] = directory
        environment["CRISYNC_CGROUP_ROOT"] = "/crisync-scenario8"
        // Output goes to a file, not a pipe: containerd, started in the background, would keep a pipe open.
        let result = try BlockingCommand.run(["/bin/bash", script, verb], environment: environment)
        guard result.status == 0 else { throw ScenarioError("containerd.sh \(verb) failed: \(result.output)") }
    }
}
