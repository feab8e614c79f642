import Foundation
import Model
import Testing

@testable import Collector

@Suite("Terminations, OOM kills, stuck pods, known issues")
struct TerminationTests {
    let t0 = Scenario.t0

    @Test func exitsAtStartupAreABaselineAndNewOnesCountOnce() {
        var s = Scenario()
        s.addPod(namespace: "batch", name: "job", uid: "u-job")
        s.addContainer(id: "c-old", podUID: "u-job", name: "old", state: .exited, exitCode: 1, reason: "Error", kubelet: nil)
        var r = Refresher()
        #expect(r.refresh(s, at: t0).terminations.isEmpty)
        s.addContainer(id: "c-new", podUID: "u-job", name: "new", state: .exited, exitCode: 137, reason: "Error", kubelet: nil)
        let after = r.refresh(s, at: t0 + 5)
        #expect(after.terminations == [TerminationLabels(namespace: "batch", reason: "Error", signal: "SIGKILL"): 1])
        #expect(r.refresh(s, at: t0 + 10).terminations.values.reduce(0, +) == 1, "not counted twice")
        #expect(after.abnormallyTerminated == ["Error": 2])
    }

    @Test func exitOneHasNoSignalAndCompletedIsNotAbnormal() {
        var s = Scenario()
        s.addPod(name: "p", uid: "u")
        var r = Refresher()
        _ = r.refresh(s, at: t0)
        s.addContainer(id: "c1", podUID: "u", name: "a", state: .exited, exitCode: 1, reason: "Error", kubelet: nil)
        s.addContainer(id: "c2", podUID: "u", name: "b", state: .exited, exitCode: 0, reason: "Completed", kubelet: nil)
        s.addContainer(id: "c3", podUID: "u", name: "c", state: .exited, exitCode: 0, reason: "OOMKilled", kubelet: nil)
        let findings = r.refresh(s, at: t0 + 5)
        #expect(
            findings.terminations == [
                TerminationLabels(namespace: "default", reason: "Error", signal: ""): 1,
                TerminationLabels(namespace: "default", reason: "OOMKilled", signal: ""): 1,
            ])
    }

    @Test func exitsStreamedBetweenRefreshesAreNotMissed() {
        var s = Scenario()
        s.addPod(name: "p", uid: "u")
        var r = Refresher()
        _ = r.refresh(s, at: t0)
        // Exited and removed between two listings: only the event stream saw it.
        s.exitEvents = [
            RuntimeContainer(
                id: "c-fast", sandboxID: "sb-u", name: "fast", state: .exited,
                labels: KubernetesLabels(namespace: "default", podName: "p", podUID: "u", containerName: "fast"),
                status: RuntimeContainerStatus(state: .exited, exitCode: 139, reason: "Error"))
        ]
        let findings = r.refresh(s, at: t0 + 5)
        #expect(findings.terminations == [TerminationLabels(namespace: "default", reason: "Error", signal: "SIGSEGV"): 1])
        s.exitEvents = []
        #expect(r.refresh(s, at: t0 + 10).terminations.values.reduce(0, +) == 1)
    }

    @Test(arguments: [(137, "SIGKILL"), (139, "SIGSEGV"), (134, "SIGABRT"), (143, "SIGTERM"), (1, ""), (128, ""), (255, ""), (0, "")])
    func signalNames(exitCode: Int32, name: String) {
        #expect(Terminations.signalName(exitCode: exitCode) == name)
    }

    @Test func oomKillsFromTheCgroupCounterAndFromOOMKilledExits() {
        var s = Scenario()
        s.addPod(namespace: "ml", name: "trainer", uid: "u-t")
        s.addContainer(id: "c-t", podUID: "u-t", name: "worker", pid: 200)
        let path = "/kubepods/podu-t/c-t"
        s.kernel.cgroups[path]?.oomKills = 2
        var r = Refresher()
        #expect(r.refresh(s, at: t0).oomKills.isEmpty, "existing count is a baseline")
        s.kernel.cgroups[path]?.oomKills = 3
        let child = r.refresh(s, at: t0 + 5)
        #expect(child.oomKills == [OOMKillLabels(namespace: "ml", pod: "trainer", container: "worker"): 1])
        #expect(child.terminations.isEmpty, "a child OOM kill is not a termination")
        // The restarted container is OOM-killed as a whole; its cgroup is gone by the next read.
        s.addContainer(id: "c-t2", podUID: "u-t", name: "worker", state: .exited, exitCode: 137, reason: "OOMKilled", kubelet: nil)
        let killed = r.refresh(s, at: t0 + 10)
        #expect(killed.oomKills == [OOMKillLabels(namespace: "ml", pod: "trainer", container: "worker"): 2])
        #expect(killed.terminations == [TerminationLabels(namespace: "ml", reason: "OOMKilled", signal: "SIGKILL"): 1])
    }

    @Test func stuckTerminatingPodBehindAZombie() {
        var s = Scenario()
        s.addPod(namespace: "shop", name: "stuck", uid: "u-s", deletionTimestamp: t0 - 90)
        s.addContainer(id: "c-s", podUID: "u-s", name: "app", pid: 300, processState: .zombie)
        s.addPod(namespace: "shop", name: "leaving", uid: "u-l", deletionTimestamp: t0 + 20)
        var r = Refresher()
        let findings = r.refresh(s, at: t0)
        #expect(findings.terminatingPods == 2)
        #expect(
            findings.overduePods == [
                OverduePod(namespace: "shop", pod: "stuck", uid: "u-s", blockedBy: .processZombie, overdueSeconds: 90, stuck: true)
            ])
    }

    @Test func blockersInOrder() {
        var s = Scenario()
        s.addPod(name: "running", uid: "u-r", deletionTimestamp: t0 - 10)
        s.addContainer(id: "c-r", podUID: "u-r", name: "app", pid: 301)
        s.addPod(name: "sandbox", uid: "u-sb", deletionTimestamp: t0 - 10)
        s.addPod(name: "gone", uid: "u-g", deletionTimestamp: t0 - 10)
        s.runtime.sandboxes.removeAll { $0.uid == "u-g" }
        s.addPod(name: "missing", uid: "u-m", deletionTimestamp: t0 - 10)
        s.addContainer(id: "c-m", podUID: "u-m", name: "app", pid: 302, processState: nil)
        var r = Refresher()
        let findings = r.refresh(s, at: t0)
        let blockers = Dictionary(uniqueKeysWithValues: findings.overduePods.map { ($0.pod, $0.blockedBy) })
        #expect(blockers == ["running": .containerRunning, "sandbox": .sandboxRunning, "gone": .unknown, "missing": .processMissing])
        #expect(findings.overduePods.allSatisfy { !$0.stuck })
        s.runtimeUp = false
        let down = r.refresh(s, at: t0 + 5)
        #expect(down.overduePods.allSatisfy { $0.blockedBy == .runtimeUnreachable })
    }

    @Test func kubeletDownKeepsOverduePodsAgeing() {
        var s = Scenario()
        s.addPod(name: "stuck", uid: "u-s", deletionTimestamp: t0 - 50)
        var r = Refresher()
        _ = r.refresh(s, at: t0)
        s.kubeletUp = false
        let down = r.refresh(s, at: t0 + 30)
        #expect(down.overduePods.map(\.overdueSeconds) == [80])
        #expect(down.overduePods.map(\.stuck) == [true])
    }

    @Test(arguments: [
        ("1.6.20~ds1", ["lost-exit-event@1.7.34"]),
        ("1.6.29", ["missed-init-exit@1.6.36", "lost-exit-event@1.7.34"]),
        ("1.6.35", ["missed-init-exit@1.6.36", "lost-exit-event@1.7.34"]),
        ("1.6.36", ["lost-exit-event@1.7.34"]),
        ("v1.7.14", ["missed-init-exit@1.7.22", "lost-exit-event@1.7.34"]),
        ("1.7.21", ["missed-init-exit@1.7.22", "lost-exit-event@1.7.34"]),
        ("1.7.22", ["lost-exit-event@1.7.34"]),
        ("1.7.33", ["lost-exit-event@1.7.34"]),
        ("1.7.34", []),
        ("2.0.8", ["lost-exit-event@2.0.9"]),
        ("2.0.9", []),
        ("2.1.0", []),
        ("garbage", []),
    ])
    func knownIssues(version: String, expected: [String]) {
        let issues = KnownIssues.affecting(runtimeName: "containerd", runtimeVersion: version)
        #expect(issues.map { "\($0.issue)@\($0.fixedIn)" } == expected)
    }

    @Test func otherRuntimesHaveNoContainerdIssues() {
        #expect(KnownIssues.affecting(runtimeName: "cri-o", runtimeVersion: "1.7.14").isEmpty)
    }
}
