import CRITestSupport
import Collector
import Foundation
import Glibc
import LabSupport
import Model
import Testing

@testable import CrisyncApp

/// Issue 4's scenarios, end to end: the real containerd, real procfs and cgroups, and a fake kubelet
/// that reports what a real one would. Each scenario uses its own pods (one shim per pod) and namespace.
@Suite("Scenarios against the real containerd", .serialized)
struct ScenarioTests {
    @Test("1. shim stopped, process killed: process_zombie and ready_but_dead; after SIGCONT one SIGKILL termination")
    func zombieBehindStoppedShim() async throws {
        let h = try await ScenarioHarness()
        let pod = try await h.runPod("ghost")
        var shim: Int32?
        defer { if let shim { kill(shim, SIGCONT) } }
        do {
            let id = try await h.driver.runContainer(in: pod, name: "app", command: ["sleep", "3600"])
            try await h.mirror()
            let before = await h.refresh()
            #expect(before.divergences(in: h.namespace).isEmpty)
            let baseline = before.terminationCount(namespace: h.namespace, reason: "Error", signal: "SIGKILL")

            let pid = try await h.pid(ofContainer: id)
            shim = try h.shimPID(of: pod)
            kill(shim!, SIGSTOP)
            kill(pid, SIGKILL)
            #expect(await LabProcesses.wait(upTo: .seconds(5)) { LabProcesses.stateLetter(of: pid) == "Z" })
            try await h.mirror()  // the kubelet learns from CRI: still RUNNING, still Ready

            let findings = await h.refresh(until: .seconds(10)) { $0.divergences(in: h.namespace).count >= 2 }
            let kinds = findings.divergences(in: h.namespace).filter { $0.ref.containerID == id }.map(\.kind).sorted()
            #expect(kinds == [.processZombie, .readyButDead])
            let zombie = try #require(findings.divergences(in: h.namespace).first { $0.kind == .processZombie })
            #expect(zombie.ref.pod == "ghost")
            #expect(zombie.ref.container == "app")
            #expect(zombie.ref.namespace == h.namespace)
            #expect(zombie.detail.contains("state T"), "\(zombie.detail)")

            kill(shim!, SIGCONT)
            shim = nil
            try await h.waitForRuntime(id, state: .exited)
            try await h.mirror()
            let after = await h.refresh()
            #expect(after.divergences(in: h.namespace).isEmpty)
            #expect(after.terminationCount(namespace: h.namespace, reason: "Error", signal: "SIGKILL") == baseline + 1)
            let again = await h.refresh()
            #expect(again.terminationCount(namespace: h.namespace, reason: "Error", signal: "SIGKILL") == baseline + 1)
        } catch {
            Issue.record(error)
        }
        await h.destroy([pod])
        await h.close()
    }

    @Test("2. OOM kill: terminations OOMKilled +1; a child OOM-killed: oom_kills_total +1, no termination")
    func oomKills() async throws {
        let h = try await ScenarioHarness()
        let pod = try await h.runPod("oom")
        do {
            try await h.mirror()
            _ = await h.refresh()  // baseline
            let killed = try await h.driver.runContainer(
                in: pod, name: "hog", command: ["tail", "/dev/zero"], memoryLimitBytes: 16 << 20)
            try await h.waitForRuntime(killed, state: .exited)
            let child = try await h.driver.runContainer(
                in: pod, name: "parent", command: ["sh", "-c", "tail /dev/zero; exec sleep 3600"],
                memoryLimitBytes: 16 << 20)
            try await h.mirror()
            let labels = OOMKillLabels(namespace: h.namespace, pod: "oom", container: "parent")
            let findings = await h.refresh(until: .seconds(15)) { ($0.oomKills[labels] ?? 0) >= 1 }
            #expect(findings.terminationCount(namespace: h.namespace, reason: "OOMKilled", signal: "SIGKILL") == 1)
            #expect(findings.oomKills[labels] == 1)
            #expect(findings.oomKills[OOMKillLabels(namespace: h.namespace, pod: "oom", container: "hog")] == 1)
            #expect(try await h.driver.status(ofContainer: child).state == .running, "the child's OOM kill did not end the container")
            let terminations = findings.terminations.filter { $0.key.namespace == h.namespace }
            #expect(terminations.values.reduce(0, +) == 1, "only the hog's exit is a termination: \(terminations)")
        } catch {
            Issue.record(error)
        }
        await h.destroy([pod])
        await h.close()
    }

    @Test("3. exit 1: reason Error, no signal")
    func exitOne() async throws {
        let h = try await ScenarioHarness()
        let pod = try await h.runPod("exits")
        do {
            _ = await h.refresh()
            let id = try await h.driver.runContainer(in: pod, name: "job", command: ["sh", "-c", "exit 1"])
            try await h.waitForRuntime(id, state: .exited)
            let findings = await h.refresh()
            #expect(findings.terminationCount(namespace: h.namespace, reason: "Error", signal: "") == 1)
            #expect(findings.terminations.filter { $0.key.namespace == h.namespace }.count == 1)
        } catch {
            Issue.record(error)
        }
        await h.destroy([pod])
        await h.close()
    }

    @Test("4. kubelet says running, runtime has exited: kubelet_running_runtime_exited")
    func kubeletRunningRuntimeExited() async throws {
        let h = try await ScenarioHarness()
        let pod = try await h.runPod("stale-kubelet")
        do {
            let id = try await h.driver.runContainer(in: pod, name: "app", command: ["sleep", "3600"])
            try await h.mirror()  // then frozen: the kubelet misses the exit
            try await h.driver.stopContainer(id: id)
            try await h.waitForRuntime(id, state: .exited)
            let findings = await h.refresh(until: .seconds(10)) { !$0.divergences(in: h.namespace).isEmpty }
            #expect(findings.divergences(in: h.namespace).map(\.kind) == [.kubeletRunningRuntimeExited])
            #expect(findings.divergences(in: h.namespace).first?.ref.containerID == id)
        } catch {
            Issue.record(error)
        }
        await h.destroy([pod])
        await h.close()
    }

    @Test("5. terminating pod past its deadline behind a stopped shim: stuck, blocked_by process_zombie")
    func stuckTerminating() async throws {
        let h = try await ScenarioHarness()
        let pod = try await h.runPod("stuck")
        var shim: Int32?
        defer { if let shim { kill(shim, SIGCONT) } }
        do {
            let id = try await h.driver.runContainer(in: pod, name: "app", command: ["sleep", "3600"])
            let pid = try await h.pid(ofContainer: id)
            shim = try h.shimPID(of: pod)
            kill(shim!, SIGSTOP)
            kill(pid, SIGKILL)
            #expect(await LabProcesses.wait(upTo: .seconds(5)) { LabProcesses.stateLetter(of: pid) == "Z" })
            try await h.mirror(overrides: [pod.uid: .init(deletionTimestamp: Date().addingTimeInterval(-90), deletionGracePeriodSeconds: 30)])
            let findings = await h.refresh()
            let overdue = try #require(findings.overduePods.first { $0.uid == pod.uid })
            #expect(overdue.blockedBy == .processZombie)
            #expect(overdue.stuck)
            #expect(overdue.overdueSeconds >= 90)
            let text = try renderMetrics(findings)
            #expect(text.contains("crisync_stuck_terminating_pods{blocked_by=\"process_zombie\"} 1\n"))
            #expect(text.contains("crisync_pod_termination_overdue_seconds{namespace=\"\(h.namespace)\",pod=\"stuck\",uid=\"\(pod.uid)\",blocked_by=\"process_zombie\"}"))
        } catch {
            Issue.record(error)
        }
        if let stopped = shim { kill(stopped, SIGCONT) }
        shim = nil
        await h.destroy([pod])
        await h.close()
    }

    @Test("6. a running sandbox the kubelet does not list: runtime_orphaned")
    func orphanedSandbox() async throws {
        let h = try await ScenarioHarness()
        let known = try await h.runPod("known")
        let leaked = try await h.runPod("leaked")
        do {
            try await h.mirror(hiding: [leaked.uid])
            let findings = await h.refresh(until: .seconds(10)) { !$0.divergences(in: h.namespace).isEmpty }
            let orphans = findings.divergences(in: h.namespace)
            #expect(orphans.map(\.kind) == [.runtimeOrphaned])
            #expect(orphans.first?.ref.pod == "leaked")
            #expect(orphans.first?.ref.containerID == leaked.id)
        } catch {
            Issue.record(error)
        }
        await h.destroy([known, leaked])
        await h.close()
    }
}

func renderMetrics(_ findings: Findings) throws -> String {
    try TextWriterForTests.render(findings)
}
