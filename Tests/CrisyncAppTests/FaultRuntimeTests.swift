import CRITestSupport
import Foundation
import Glibc
import Testing

/// Issue 7's runtime faults, end to end: the real `crisync-exporter` binary (--collector.interval
/// 1s, --runtime.timeout 1s) in front of a private containerd that the test freezes, kills and
/// restarts, and of a fake kubelet that knows no pod (so the test pod is `runtime_orphaned`, a
/// finding that needs the runtime and that must survive the runtime's outage as "last known").
@Suite("Faults: containerd wedged, killed and restarted; a shim wedged", .serialized, .timeLimit(.minutes(3)))
struct FaultRuntimeTests {
    /// Scrapes are served from the latest snapshot, never from a read in progress: 2 s is far more
    /// than a loaded machine needs, and far less than a scrape waiting on a 1 s CRI deadline twice.
    static let servingBound = 2.0
    /// A read of the runtime may take its 1 s deadline, plus scheduling on a busy 2-core machine.
    static let runtimeReadBound = 1.0 + 1.5
    /// Refreshes start every 1 s, and one takes at most about a runtime deadline or two (the failed
    /// call, then a reconnect): an older snapshot means a refresh is stuck.
    static let snapshotAgeBound = 6.0

    /// One look at the exporter while a fault lasts.
    struct Sample {
        var at: Double
        var health: HTTPAnswer
        var scrape: HTTPAnswer
        var metrics: MetricsText
        var threads: Int
        var descriptors: Int
    }

    static func sample(_ exporter: ExporterProcess) throws -> Sample {
        let at = epochSeconds()
        let health = try exporter.get("/healthz")
        let scrape = try exporter.get("/metrics")
        return Sample(
            at: at, health: health, scrape: scrape, metrics: MetricsText(scrape.body), threads: exporter.threads,
            descriptors: exporter.openDescriptors)
    }

    /// A pod the fake kubelet does not know, with one running container; waits until the exporter
    /// reports the container `runtime_orphaned` with every source up.
    static func orphanReported(_ rig: FaultRig, _ exporter: ExporterProcess) async throws -> (container: String, pod: TestPod) {
        let pod = try await rig.driver.runPod(name: "orphan", namespace: "fault")
        let container = try await rig.driver.runContainer(in: pod, name: "app", command: ["sleep", "3600"])
        let reported = await eventually(.seconds(30)) {
            let metrics = try exporter.metrics()
            return metrics.up("runtime") == 1 && metrics.up("kubelet") == 1 && metrics.up("procfs") == 1
                && metrics.divergenceSeconds(containerID: container, kind: "runtime_orphaned") != nil
        }
        try #require(reported, "never reported runtime_orphaned with all sources up: \(exporter.dump)")
        return (container, pod)
    }

    @Test(
        "a. containerd SIGSTOPped for 30 s: serving, runtime down, others up, fresh snapshots, bounded threads and fds, last known divergences; SIGCONT: back"
    )
    func containerdWedged() async throws {
        try await FaultRig.with("wedged", Self.containerdWedged)
    }

    static func containerdWedged(_ rig: FaultRig) async throws {
        let exporter = try rig.startExporter()
        defer { exporter.stop() }
        let (container, _) = try await Self.orphanReported(rig, exporter)
        // A few more refreshes: threads and descriptors at their working size.
        try await Task.sleep(for: .seconds(2))
        let before = try exporter.metrics()
        let orphansBefore = try #require(before.divergentContainers("runtime_orphaned"))
        let ageBefore = try #require(before.divergenceSeconds(containerID: container, kind: "runtime_orphaned"))
        let startTime = before.value("process_start_time_seconds")
        let threadsBefore = exporter.threads
        let descriptorsBefore = exporter.openDescriptors

        let containerd = try #require(rig.lab.containerdPID(), "the lab's containerd is not running")
        var samples: [Sample] = []
        let stoppedAt = epochSeconds()
        try await LabProcesses.whileStopped(containerd) {
            #expect(await LabProcesses.wait(upTo: .seconds(5)) { LabProcesses.stateLetter(of: containerd) == "T" })
            while epochSeconds() - stoppedAt < 30 {
                samples.append(try Self.sample(exporter))
                try await Task.sleep(for: .milliseconds(500))
            }
        }

        #expect(samples.count >= 20, "only \(samples.count) samples in 30 s")
        for sample in samples {
            let second = Int(sample.at - stoppedAt)
            #expect(
                sample.health.status == 200 && sample.health.seconds < Self.servingBound,
                "t+\(second) s /healthz: \(sample.health.status) in \(sample.health.seconds) s")
            #expect(
                sample.scrape.status == 200 && sample.scrape.seconds < Self.servingBound,
                "t+\(second) s /metrics: \(sample.scrape.status) in \(sample.scrape.seconds) s")
            #expect(sample.metrics.up("procfs") == 1, "t+\(second) s: procfs is reported down")
            #expect(sample.metrics.up("kubelet") == 1, "t+\(second) s: kubelet is reported down")
            if let refreshed = sample.metrics.refreshTimestamp {
                #expect(sample.at - refreshed < Self.snapshotAgeBound, "t+\(second) s: the snapshot is \(sample.at - refreshed) s old")
            } else {
                Issue.record("t+\(second) s: no crisync_refresh_timestamp_seconds")
            }
            let runtimeRead = sample.metrics.duration("runtime") ?? -1
            #expect(runtimeRead >= 0 && runtimeRead < Self.runtimeReadBound, "t+\(second) s: a runtime read took \(runtimeRead) s")
            // Never lie by omission: the orphan cannot be judged, so its last known state stays.
            #expect(
                sample.metrics.divergentContainers("runtime_orphaned") == orphansBefore,
                "t+\(second) s: divergent_containers{kind=runtime_orphaned} \(sample.metrics.divergentContainers("runtime_orphaned") ?? -1)"
            )
            let age = sample.metrics.divergenceSeconds(containerID: container, kind: "runtime_orphaned")
            #expect((age ?? 0) >= ageBefore, "t+\(second) s: the orphan's divergence_seconds is \(age.map { "\($0)" } ?? "absent")")
        }
        // Down within a few refreshes, and down for the rest of the stop.
        let late = samples.filter { $0.at - stoppedAt >= 6 }
        #expect(
            !late.isEmpty && late.allSatisfy { $0.metrics.up("runtime") == 0 },
            "runtime up after 6 s: \(late.map { $0.metrics.up("runtime") ?? -1 })")
        let refreshes = Set(samples.compactMap(\.metrics.refreshTimestamp)).count
        // One refresh at a time, published in order: the served snapshot never goes back in time.
        let served = samples.compactMap(\.metrics.refreshTimestamp)
        #expect(zip(served, served.dropFirst()).allSatisfy { $0 <= $1 }, "snapshots served out of order: \(served)")
        #expect(refreshes >= 10, "only \(refreshes) distinct refreshes served in 30 s")
        // No pile-up: 30 failed refreshes leave no pending calls, threads or connections behind.
        let maxThreads = samples.map(\.threads).max() ?? -1
        let maxDescriptors = samples.map(\.descriptors).max() ?? -1
        #expect(maxThreads <= threadsBefore + 8, "threads \(threadsBefore) before, up to \(maxThreads) during: \(samples.map(\.threads))")
        #expect(
            maxDescriptors <= descriptorsBefore + 8,
            "fds \(descriptorsBefore) before, up to \(maxDescriptors) during: \(samples.map(\.descriptors))")
        print(
            "fault a: threads \(threadsBefore) -> max \(maxThreads), fds \(descriptorsBefore) -> max \(maxDescriptors), "
                + "runtime read max \(samples.compactMap { $0.metrics.duration("runtime") }.max() ?? -1) s, "
                + "\(refreshes) refreshes in 30 s, slowest scrape \(samples.map(\.scrape.seconds).max() ?? -1) s"
        )

        // SIGCONT: back to 1 without a restart.
        let back = await eventually(.seconds(15)) { try exporter.metrics().up("runtime") == 1 }
        #expect(back, "the runtime source did not come back after SIGCONT")
        let after = try exporter.metrics()
        #expect(exporter.isRunning)
        #expect(after.value("process_start_time_seconds") == startTime, "the exporter restarted")
        #expect(after.divergenceSeconds(containerID: container, kind: "runtime_orphaned") != nil)
        #expect(exporter.logLines(with: ["msg=\"source down\"", "source=runtime"]).count >= 1)
        #expect(exporter.logLines(with: ["msg=\"source up\"", "source=runtime"]).count == 1)
    }

    @Test("b. containerd SIGKILLed, then started again: runtime source 0, then 1, same exporter process")
    func containerdKilledAndRestarted() async throws {
        try await FaultRig.with("killed", Self.containerdKilledAndRestarted)
    }

    static func containerdKilledAndRestarted(_ rig: FaultRig) async throws {
        let exporter = try rig.startExporter()
        defer { exporter.stop() }
        let (container, _) = try await Self.orphanReported(rig, exporter)
        let startTime = try exporter.metrics().value("process_start_time_seconds")
        let descriptorsBefore = exporter.openDescriptors

        let containerd = try #require(rig.lab.containerdPID())
        try LabProcesses.send(SIGKILL, to: containerd)
        #expect(await LabProcesses.wait(upTo: .seconds(10)) { rig.lab.containerdPID() == nil })
        let down = await eventually(.seconds(10)) {
            let health = try exporter.get("/healthz")
            let metrics = try exporter.metrics()
            return health.status == 200 && metrics.up("runtime") == 0 && metrics.up("procfs") == 1
        }
        #expect(down, "the runtime source never went down: \(exporter.dump)")
        // Still the last known state while the runtime is gone.
        #expect(try exporter.metrics().divergenceSeconds(containerID: container, kind: "runtime_orphaned") != nil)

        try rig.lab.start()
        let back = await eventually(.seconds(20)) {
            let metrics = try exporter.metrics()
            return metrics.up("runtime") == 1
                && metrics.divergenceSeconds(containerID: container, kind: "runtime_orphaned") != nil
        }
        #expect(back, "the runtime source did not come back after containerd.sh start: \(exporter.dump)")
        #expect(exporter.isRunning)
        #expect(try exporter.metrics().value("process_start_time_seconds") == startTime, "the exporter restarted")
        // The connections to the dead containerd are gone, not kept.
        #expect(
            await eventually(.seconds(10)) { exporter.openDescriptors <= descriptorsBefore + 2 },
            "fds \(descriptorsBefore) -> \(exporter.openDescriptors)")
        #expect(exporter.logLines(with: ["msg=\"source up\"", "source=runtime"]).count == 1)
    }

    @Test(
        "c. a wedged shim (SIGSTOP) with a dead container and a start pending on it: no runtime read past its deadline, serving, zombie reported"
    )
    func shimWedged() async throws {
        try await FaultRig.with("shim", Self.shimWedged)
    }

    static func shimWedged(_ rig: FaultRig) async throws {
        let exporter = try rig.startExporter()
        defer { exporter.stop() }
        let (container, pod) = try await Self.orphanReported(rig, exporter)
        let appPID = try #require(try await rig.driver.status(ofContainer: container).pid)
        let shim = try #require(LabProcesses.shimPID(ofSandbox: pod.id, socketPath: rig.lab.socket), "no shim for the pod")
        // A second client, so the pending start does not hold the rig's.
        let starter = try CRIDriver(lab: rig.lab.containerdLab, timeout: .seconds(40))
        var samples: [Sample] = []
        var pendingStart: Task<Void, any Error>?
        try await LabProcesses.whileStopped(shim) {
            kill(appPID, SIGKILL)
            #expect(await LabProcesses.wait(upTo: .seconds(5)) { LabProcesses.stateLetter(of: appPID) == "Z" })
            // containerd's own call to the shim hangs until SIGCONT: the CRI has a container in
            // the middle of starting, in a pod whose shim does not answer.
            pendingStart = Task {
                let late = try await starter.createContainer(in: pod, name: "late", command: ["sleep", "3600"])
                try await starter.startContainer(id: late)
            }
            let stoppedAt = epochSeconds()
            while epochSeconds() - stoppedAt < 8 {
                samples.append(try Self.sample(exporter))
                try await Task.sleep(for: .milliseconds(500))
            }
        }
        for sample in samples {
            #expect(
                sample.health.status == 200 && sample.health.seconds < Self.servingBound,
                "/healthz: \(sample.health.status) in \(sample.health.seconds) s")
            #expect(
                sample.scrape.status == 200 && sample.scrape.seconds < Self.servingBound,
                "/metrics: \(sample.scrape.status) in \(sample.scrape.seconds) s")
            let runtimeRead = sample.metrics.duration("runtime") ?? -1
            #expect(runtimeRead >= 0 && runtimeRead < Self.runtimeReadBound, "a runtime read took \(runtimeRead) s")
            if let refreshed = sample.metrics.refreshTimestamp {
                #expect(sample.at - refreshed < Self.snapshotAgeBound, "the snapshot is \(sample.at - refreshed) s old")
            }
        }
        // containerd answers the list calls from memory while one shim is stuck: the dead
        // container behind it is judged, not hidden.
        #expect(
            samples.contains { $0.metrics.divergenceSeconds(containerID: container, kind: "process_zombie") != nil },
            "process_zombie never reported: \(samples.last?.metrics.text ?? "")")
        print(
            "fault c: runtime read max \(samples.compactMap { $0.metrics.duration("runtime") }.max() ?? -1) s, "
                + "runtime up \(samples.map { Int($0.metrics.up("runtime") ?? -1) })"
        )

        // After SIGCONT the shim reaps the exit and the pending start completes.
        _ = await pendingStart?.result
        await starter.close()
        let healed = await eventually(.seconds(15)) {
            let metrics = try exporter.metrics()
            return metrics.up("runtime") == 1 && metrics.divergenceSeconds(containerID: container, kind: "process_zombie") == nil
        }
        #expect(healed, "the zombie is still reported after SIGCONT: \(exporter.dump)")
        #expect(exporter.isRunning)
    }
}
