import Model

/// Abnormal exits: counted once each (by container ID), with exits already present at start-up
/// taken as a baseline rather than new events.
enum Terminations {
    /// A container exited abnormally if its exit code is non-zero or the runtime gives a reason other
    /// than `Completed` (e.g. `OOMKilled` with exit 0, when a child was OOM-killed).
    static func isAbnormal(_ status: RuntimeContainerStatus) -> Bool {
        status.exitCode != 0 || !(status.reason.isEmpty || status.reason == "Completed")
    }

    static func reason(_ status: RuntimeContainerStatus) -> String {
        if !status.reason.isEmpty { return status.reason }
        return status.exitCode == 0 ? "Completed" : "Error"
    }

    /// `SIGKILL` for exit code 137 (128 + 9), empty when the exit code is not 128 + a signal.
    static func signalName(exitCode: Int32) -> String {
        let number = exitCode - 128
        guard number >= 1, number < Int32(signalNames.count) else { return "" }
        return signalNames[Int(number)]
    }

    private static let signalNames = [
        "", "SIGHUP", "SIGINT", "SIGQUIT", "SIGILL", "SIGTRAP", "SIGABRT", "SIGBUS", "SIGFPE", "SIGKILL", "SIGUSR1",
        "SIGSEGV", "SIGUSR2", "SIGPIPE", "SIGALRM", "SIGTERM", "SIGSTKFLT", "SIGCHLD", "SIGCONT", "SIGSTOP", "SIGTSTP",
        "SIGTTIN", "SIGTTOU", "SIGURG", "SIGXCPU", "SIGXFSZ", "SIGVTALRM", "SIGPROF", "SIGWINCH", "SIGIO", "SIGPWR",
        "SIGSYS",
    ]

    /// Updates the counters in `memory` with the exits in this refresh's listing and event stream.
    static func count(exited: [RuntimeContainer], join: Join, memory: inout CollectorMemory) {
        let baseline = !memory.runtimeBaselineTaken
        for container in exited {
            // Without its status the reason is unknown: wait for a later refresh.
            guard let status = container.status, status.state == .exited else { continue }
            guard memory.seenExits.insert(container.id).inserted else { continue }
            guard !baseline, isAbnormal(status) else { continue }
            let labels = TerminationLabels(
                namespace: join.ref(for: container).namespace, reason: reason(status),
                signal: signalName(exitCode: status.exitCode))
            memory.terminations[labels, default: 0] += 1
        }
        // Only exits are remembered, so walking them (not every container) keeps this cheap.
        let exitedIDs = Set(exited.map(\.id))
        memory.seenExits = memory.seenExits.filter { join.runtimeIndexByID[$0] != nil || exitedIDs.contains($0) }
    }
}

/// OOM kills per container: the cgroup's `oom_kill` counter while it exists, and at least one for a
/// container the runtime marks `OOMKilled` (its cgroup is gone within milliseconds of the exit).
enum OOMKills {
    static func count(containers runtime: [RuntimeContainer], join: Join, kernel: KernelSnapshot?, memory: inout CollectorMemory) {
        let baseline = !memory.runtimeBaselineTaken
        // In place (see `Collector.evaluate`): only an OOM-killed container is copied.
        runtime.forEachInPlace { container in
            // Only non-zero counts are remembered (an absent count is 0): on a healthy node the map
            // stays empty and this loop hashes one cgroup path per container, nothing more.
            let id = container.pointee.id
            let previous = memory.oomKillsSeen.isEmpty ? nil : memory.oomKillsSeen[id]
            var observed = previous ?? 0
            if let path = container.pointee.status?.cgroupsPath, let kills = kernel?.cgroups[path]?.oomKills {
                observed = max(observed, kills)
            }
            if container.pointee.status?.reason == "OOMKilled" { observed = max(observed, 1) }
            guard observed > 0 else { return }
            memory.oomKillsSeen[id] = observed
            // Containers present at start-up are a baseline; any container seen later counts from zero.
            let before = previous ?? (baseline ? observed : 0)
            if observed > before {
                let ref = join.ref(for: container.pointee)
                let labels = OOMKillLabels(namespace: ref.namespace, pod: ref.pod, container: ref.container)
                memory.oomKills[labels, default: 0] += observed - before
            }
        }
        if !memory.oomKillsSeen.isEmpty {
            memory.oomKillsSeen = memory.oomKillsSeen.filter { join.runtimeIndexByID[$0.key] != nil }
        }
    }
}
