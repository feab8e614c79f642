import Model
import Testing

@testable import Collector

/// The exporter turns container views off (`keepsContainerViews: false`): everything else it is
/// given must be what the views-on evaluation gives, refresh after refresh.
@Suite("Container views on and off")
struct ContainerViewsTests {
    /// One of each: healthy, a zombie, a vanished PID, an orphan, a container only the kubelet
    /// reports, one the runtime has exited while the kubelet says running, and an OOM-killed one.
    func troubledNode() -> Scenario {
        var s = Scenario()
        s.addPod(name: "web", uid: "u-web")
        s.addContainer(id: "c-web", podUID: "u-web", name: "nginx", pid: 101)
        s.addPod(namespace: "shop", name: "ghost", uid: "u-ghost")
        s.addContainer(id: "c-ghost", podUID: "u-ghost", name: "app", pid: 103, processState: .zombie)
        s.addPod(name: "gone", uid: "u-gone")
        s.addContainer(id: "c-gone", podUID: "u-gone", name: "app", pid: 104, processState: nil)
        s.addPod(name: "leaked", uid: "u-leak")
        s.addContainer(id: "c-leak", podUID: "u-leak", name: "app", pid: 105)
        s.kubelet.pods.removeAll { $0.uid == "u-leak" }
        s.kubelet.pods[0].containers.append(
            KubeletContainerStatus(name: "sidecar", containerID: "containerd://c-unknown", ready: true, state: .running(startedAt: nil)))
        s.addPod(name: "crashed", uid: "u-c")
        s.addContainer(id: "c-c", podUID: "u-c", name: "app", state: .exited, exitCode: 137, reason: "OOMKilled")
        return s
    }

    @Test func turningViewsOffChangesNothingElse() {
        var withViews = Refresher()
        var without = Refresher(configuration: CollectorConfiguration(keepsContainerViews: false))
        let s = troubledNode()
        for now in [Scenario.t0, Scenario.t0 + 15, Scenario.t0 + 60] {
            let full = withViews.refresh(s, at: now)
            let lean = without.refresh(s, at: now)
            #expect(lean.views.isEmpty)
            #expect(full.views.count == 6)
            #expect(lean.containersJoined == full.views.count)
            #expect(full.containersJoined == full.views.count)
            #expect(lean.divergences == full.divergences)
            #expect(lean.terminations == full.terminations)
            #expect(lean.abnormallyTerminated == full.abnormallyTerminated)
            #expect(lean.oomKills == full.oomKills)
            #expect(lean.overduePods == full.overduePods)
            #expect(lean.containerCounts == full.containerCounts)
            #expect(lean.sources == full.sources)
            #expect(withViews.memory == without.memory)
        }
        let last = withViews.refresh(s, at: Scenario.t0 + 61)
        #expect(Set(last.divergences.map(\.kind)).isSuperset(of: [
            .processZombie, .processMissing, .runtimeOrphaned, .kubeletRunningRuntimeMissing, .kubeletRunningRuntimeExited,
        ]))
    }
}
