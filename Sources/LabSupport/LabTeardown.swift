import CRITestSupport
import Foundation

extension LabScenarios {
    /// What `release` or `cleanup` did, and what it could not do (one line each).
    public struct TeardownReport: Sendable, Equatable {
        public var continuedShims: [Int32] = []
        public var stoppedControllers: [Int32] = []
        public var removedPods: [String] = []
        public var problems: [String] = []
    }

    /// SIGCONTs every shim the scenarios stopped (by recorded PID, only while that PID is still the
    /// shim of the recorded sandbox). The runtime then learns of the exits it missed. With
    /// `finishDeletions`, pods marked deleted then finish terminating as the kubelet would once
    /// the runtime answers again: stopped, removed, and their override dropped.
    @discardableResult
    public func release(finishDeletions: Bool = true) async -> TeardownReport {
        var report = TeardownReport()
        let record: LabRecord
        do {
            record = try state.read()
        } catch {
            report.problems.append(error.description)
            return report
        }
        let live = LabProcesses.shims(servingSocket: socketPath)
        for shim in record.stoppedShims {
            if live.contains(where: { $0.pid == shim.pid && $0.id == shim.sandboxID }) {
                kill(shim.pid, SIGCONT)
                report.continuedShims.append(shim.pid)
                log("release: SIGCONT shim pid \(shim.pid) of pod \(shim.pod)")
            } else {
                log("release: shim pid \(shim.pid) of pod \(shim.pod) is gone already")
            }
        }
        do {
            try state.update { $0.stoppedShims.removeAll { shim in record.stoppedShims.contains(shim) } }
        } catch {
            report.problems.append(error.description)
        }
        if finishDeletions {
            for pod in record.pods where pod.pendingDeletion {
                await remove(pod, into: &report)
            }
        }
        return report
    }

    /// Undoes everything recorded: stops the scenario controllers (SIGTERM by PID), releases the
    /// stopped shims, stops and removes every recorded pod with its cgroup, drops the overrides.
    /// Pods that could not be removed stay recorded, so a second cleanup can retry them.
    @discardableResult
    public func cleanup() async -> TeardownReport {
        var report = TeardownReport()
        let record: LabRecord
        do {
            record = try state.read()
        } catch {
            report.problems.append(error.description)
            return report
        }
        // Controllers first: the OOM loop would otherwise recreate containers while pods go away.
        for controller in record.controllers {
            guard ProcessIdentity.startTicks(of: controller.pid) == controller.startTicks else { continue }
            kill(controller.pid, SIGTERM)
            let gone = await LabProcesses.wait(upTo: .seconds(5)) {
                ProcessIdentity.startTicks(of: controller.pid) != controller.startTicks
                    || LabProcesses.stateLetter(of: controller.pid) == "Z"
            }
            if !gone { kill(controller.pid, SIGKILL) }
            report.stoppedControllers.append(controller.pid)
            log("cleanup: stopped the \(controller.scenario) controller, pid \(controller.pid)")
        }
        try? state.update { $0.controllers.removeAll { record.controllers.contains($0) } }
        let released = await release(finishDeletions: false)
        report.continuedShims = released.continuedShims
        report.problems += released.problems
        for pod in record.pods {
            await remove(pod, into: &report)
        }
        return report
    }

    /// Stops and removes one recorded pod and its pod cgroup, drops its override and its record.
    private func remove(_ pod: LabRecord.Pod, into report: inout TeardownReport) async {
        var problems: [String] = []
        do {
            try await driver.destroyPod(id: pod.id)
        } catch {
            // A pod already removed (by hand, or by a wiped containerd) is what we wanted.
            if !"\(error)".lowercased().contains("not found") { problems.append("pod \(pod.reference): \(error)") }
        }
        for directory in LabCgroups.directories(of: pod.cgroupParent) {
            // Killed processes leave their cgroup a moment after the pod is removed (EBUSY until then).
            let removed = await LabProcesses.wait(upTo: .seconds(2)) { rmdir(directory) == 0 || errno == ENOENT }
            if !removed { problems.append("pod \(pod.reference): rmdir \(directory): errno \(errno)") }
        }
        state.overrides.remove(for: pod.reference)
        if problems.isEmpty {
            try? state.update { $0.pods.removeAll { $0.id == pod.id } }
            report.removedPods.append(pod.reference.description)
            log("removed pod \(pod.reference)")
        } else {
            report.problems += problems
        }
    }
}
