import Foundation
import Model
import Testing

@testable import Collector

@Suite("Divergence rules")
struct DivergenceTests {
    let t0 = Scenario.t0

    func healthyNode() -> Scenario {
        var s = Scenario()
        s.addPod(name: "web", uid: "u-web")
        s.addContainer(id: "c-web", podUID: "u-web", name: "nginx", pid: 101)
        s.addPod(name: "db", uid: "u-db")
        s.addContainer(id: "c-db", podUID: "u-db", name: "postgres", pid: 102)
        return s
    }

    @Test func healthyNodeHasNoFindings() {
        var r = Refresher()
        let s = healthyNode()
        _ = r.refresh(s, at: t0)
        let findings = r.refresh(s, at: t0 + 60)
        #expect(findings.divergences.isEmpty)
        #expect(findings.overduePods.isEmpty)
        #expect(findings.views.count == 2)
        #expect(findings.containerCounts[.runtime]?["running"] == 2)
        #expect(findings.containerCounts[.kubelet]?["running"] == 2)
    }

    @Test func zombieBehindStoppedShimIsReportedAfterMinAge() {
        var s = healthyNode()
        s.addPod(namespace: "shop", name: "ghost", uid: "u-ghost")
        s.addContainer(id: "c-ghost", podUID: "u-ghost", name: "app", pid: 103, processState: .zombie)
        s.kernel.processes[Scenario.shimPID]?.state = .stopped
        var r = Refresher()
        #expect(r.refresh(s, at: t0).divergences.isEmpty, "min-age not reached")
        #expect(r.refresh(s, at: t0 + 14).divergences.isEmpty, "min-age not reached")
        let findings = r.refresh(s, at: t0 + 15)
        #expect(findings.kinds(of: "c-ghost") == [.processZombie, .readyButDead])
        let zombie = try! #require(findings.divergences.first { $0.kind == .processZombie })
        #expect(zombie.ref == ContainerRef(namespace: "shop", pod: "ghost", podUID: "u-ghost", container: "app", containerID: "c-ghost"))
        #expect(zombie.ageSeconds == 15)
        #expect(zombie.detail.contains("state T"), "the stopped shim is named: \(zombie.detail)")
        #expect(findings.divergentCount(.processZombie) == 1)
        #expect(findings.views.first { $0.ref.containerID == "c-ghost" }?.divergences == [.processZombie, .readyButDead])
    }

    @Test func vanishedPIDIsProcessMissing() {
        var s = healthyNode()
        s.addPod(name: "gone", uid: "u-gone")
        s.addContainer(id: "c-gone", podUID: "u-gone", name: "app", pid: 104, ready: false, processState: nil)
        var r = Refresher()
        _ = r.refresh(s, at: t0)
        let findings = r.refresh(s, at: t0 + 20)
        #expect(findings.kinds(of: "c-gone") == [.processMissing], "not ready: no ready_but_dead")
    }

    @Test func reusedPIDWithAnotherCgroupIsProcessMissing() {
        var s = healthyNode()
        s.kernel.processes[101]?.cgroups = [CgroupMembership(hierarchyID: 4, controllers: ["memory"], path: "/user.slice/session-3.scope")]
        var r = Refresher()
        _ = r.refresh(s, at: t0)
        let findings = r.refresh(s, at: t0 + 20)
        #expect(findings.kinds(of: "c-web") == [.processMissing, .readyButDead])
        #expect(findings.divergences.first?.detail.contains("cgroup") == true)
    }

    @Test(arguments: [(-50.0, true), (-99.98, false), (+30.0, true)])
    func reusedPIDWithoutCgroupsIsJudgedByStartTime(offset: Double, foreign: Bool) {
        var s = healthyNode()
        s.kernel.processes[101]?.cgroups = []
        s.kernel.processes[101]?.startTime = t0 + offset
        var r = Refresher()
        _ = r.refresh(s, at: t0)
        let findings = r.refresh(s, at: t0 + 20)
        #expect(findings.kinds(of: "c-web").contains(.processMissing) == foreign)
    }

    @Test func transientLagNeverShows() {
        // The kubelet lags the runtime by a couple of refreshes (PLEG relist): never reported.
        var r = Refresher()
        var s = healthyNode()
        for step in 0..<10 {
            let now = t0 + Double(step) * 5
            var lagging = s
            if step % 3 == 1 {
                lagging.runtime.containers[0].state = .exited
                lagging.runtime.containers[0].status?.state = .exited
            }
            #expect(r.refresh(lagging, at: now).divergences.isEmpty, "step \(step)")
        }
        s.runtime.containers.removeAll()
        #expect(r.refresh(s, at: t0 + 60).divergences.isEmpty, "first sighting of a new divergence is not yet reported")
    }

    @Test func kubeletRunningRuntimeExited() {
        var s = healthyNode()
        s.addPod(name: "crashed", uid: "u-c")
        s.addContainer(id: "c-c", podUID: "u-c", name: "app", state: .exited, exitCode: 1, reason: "Error")
        var r = Refresher()
        _ = r.refresh(s, at: t0)
        #expect(r.refresh(s, at: t0 + 15).kinds(of: "c-c") == [.kubeletRunningRuntimeExited])
    }

    @Test func kubeletRunningRuntimeMissing() {
        var s = healthyNode()
        s.kubelet.pods[0].containers.append(
            KubeletContainerStatus(name: "sidecar", containerID: "containerd://c-unknown", ready: true, state: .running(startedAt: nil)))
        var r = Refresher()
        _ = r.refresh(s, at: t0)
        let findings = r.refresh(s, at: t0 + 15)
        #expect(findings.kinds(of: "c-unknown") == [.kubeletRunningRuntimeMissing])
        #expect(findings.divergences.first?.ref.container == "sidecar")
        #expect(findings.views.contains { $0.ref.containerID == "c-unknown" && $0.runtime == nil })
    }

    @Test func runtimeRunningKubeletTerminated() {
        var s = healthyNode()
        s.kubelet.pods[1].containers[0].state = .terminated(KubeletTermination(exitCode: 0, reason: "Completed"))
        s.kubelet.pods[1].containers[0].ready = false
        var r = Refresher()
        _ = r.refresh(s, at: t0)
        #expect(r.refresh(s, at: t0 + 15).kinds(of: "c-db") == [.runtimeRunningKubeletTerminated])
    }

    @Test func orphanedContainerAndSandbox() {
        var s = healthyNode()
        s.addPod(name: "leaked", uid: "u-leak")
        s.addContainer(id: "c-leak", podUID: "u-leak", name: "app", pid: 105)
        s.kubelet.pods.removeAll { $0.uid == "u-leak" }
        var r = Refresher()
        _ = r.refresh(s, at: t0)
        let findings = r.refresh(s, at: t0 + 15)
        #expect(findings.kinds(of: "c-leak") == [.runtimeOrphaned])
        #expect(findings.kinds(of: "sb-u-leak") == [.runtimeOrphaned])
        #expect(findings.divergentCount(.runtimeOrphaned) == 2)
    }

    @Test func sandboxIdentityComesFromTheKubeletsLabelsBeforeItsMetadata() {
        var s = healthyNode()
        // Labels name a pod the kubelet knows, metadata one it does not: not orphaned.
        s.runtime.sandboxes.append(
            RuntimeSandbox(
                id: "sb-relabelled", name: "meta-name", namespace: "meta-ns", uid: "u-unknown", state: .ready,
                labels: KubernetesLabels(namespace: "default", podName: "web", podUID: "u-web")))
        // The reverse: labels name a pod the kubelet does not know; the finding carries the labels' identity.
        s.runtime.sandboxes.append(
            RuntimeSandbox(
                id: "sb-gone", name: "web", namespace: "default", uid: "u-web", state: .ready,
                labels: KubernetesLabels(namespace: "shop", podName: "gone", podUID: "u-gone")))
        var r = Refresher()
        _ = r.refresh(s, at: t0)
        let findings = r.refresh(s, at: t0 + 15)
        #expect(findings.kinds(of: "sb-relabelled").isEmpty)
        #expect(findings.kinds(of: "sb-gone") == [.runtimeOrphaned])
        let ref = findings.divergences.first { $0.ref.containerID == "sb-gone" }?.ref
        #expect(ref?.namespace == "shop")
        #expect(ref?.pod == "gone")
        #expect(ref?.podUID == "u-gone")
    }

    @Test func containersWithoutKubernetesLabelsAreStillReported() {
        var s = healthyNode()
        s.runtime.containers.append(
            RuntimeContainer(
                id: "c-bare", sandboxID: "", name: "bare", state: .running,
                status: RuntimeContainerStatus(state: .running, pid: 106)))
        s.kernel.queriedPIDs.insert(106)
        var r = Refresher()
        _ = r.refresh(s, at: t0)
        let findings = r.refresh(s, at: t0 + 15)
        #expect(findings.kinds(of: "c-bare") == [.processMissing])
        #expect(findings.divergences.first?.ref.container == "bare")
    }

    @Test func runtimeDownKeepsLastKnownStateMarkedStale() {
        var s = healthyNode()
        s.addPod(name: "ghost", uid: "u-ghost")
        s.addContainer(id: "c-ghost", podUID: "u-ghost", name: "app", pid: 103, processState: .zombie)
        var r = Refresher()
        _ = r.refresh(s, at: t0)
        #expect(r.refresh(s, at: t0 + 15).divergences.count == 2)
        s.runtimeUp = false
        let down = r.refresh(s, at: t0 + 20)
        #expect(down.sources[.runtime]?.up == false)
        #expect(down.sources[.runtime]?.errorsTotal == 1)
        #expect(down.divergences.count == 2, "never silently 0")
        #expect(down.divergences.allSatisfy { $0.stale && $0.ageSeconds == 20 })
        #expect(down.containerCounts[.runtime] == nil, "no counts for a source that is down")
        s.runtimeUp = true
        s.kernel.processes[103]?.state = .sleeping
        s.runtime.containers.removeAll { $0.id == "c-ghost" }
        let back = r.refresh(s, at: t0 + 25)
        #expect(back.divergences.isEmpty)
    }

    @Test func kubeletDownStillEvaluatesRuntimeAndKernelKinds() {
        var s = healthyNode()
        s.addPod(name: "ghost", uid: "u-ghost")
        s.addContainer(id: "c-ghost", podUID: "u-ghost", name: "app", pid: 103, processState: .zombie)
        s.kubeletUp = false
        var r = Refresher()
        _ = r.refresh(s, at: t0)
        let findings = r.refresh(s, at: t0 + 15)
        #expect(findings.kinds(of: "c-ghost") == [.processZombie])
        #expect(findings.divergences.allSatisfy { !$0.stale })
    }
}
