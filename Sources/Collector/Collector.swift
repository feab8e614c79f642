import Model

/// The heart of crisync: a pure function from one refresh's reads (and what the previous refresh
/// remembered) to findings. No I/O, no clock: everything it needs is in its arguments.
public enum Collector {
    public static func evaluate(
        _ input: CollectorInput, memory previous: CollectorMemory, configuration: CollectorConfiguration = .init()
    ) -> (findings: Findings, memory: CollectorMemory) {
        var memory = previous
        let now = input.now
        let sources = sourceHealth(input, memory: &memory)
        let up = Set(sources.filter(\.value.up).keys)
        let runtime = up.contains(.runtime) ? input.runtime.value : nil
        let kubelet = up.contains(.kubelet) ? input.kubelet.value : nil
        let kernel = up.contains(.procfs) ? input.kernel.value : nil
        let join = Join(runtime: runtime, kubelet: kubelet, kernel: kernel)

        // 1. The join, and every rule about what counts as divergent.
        var views: [ContainerView] = []
        var candidates: [CollectorMemory.DivergenceKey: (ref: ContainerRef, detail: String)] = [:]
        /// Only the dead ones (zombie, missing): all a terminating pod's blocker asks about.
        var deadVerdicts: [String: ProcessVerdict] = [:]
        func flag(_ kind: DivergenceKind, _ ref: ContainerRef, _ detail: String) {
            candidates[.init(containerID: ref.containerID, kind: kind)] = (ref, detail)
        }

        let keepsViews = configuration.keepsContainerViews
        var containersJoined = runtime?.containers.count ?? 0
        // Each container is judged where it lies, through a pointer into the array (`forEachInPlace`):
        // passing the element itself copies it, a copy retains every string it holds, and on a large
        // node each of those retains is a cache miss. Only a container with something to report is copied.
        func judge(_ element: UnsafePointer<RuntimeContainer>) {
            // The identity is built only when something needs it: a healthy container needs none.
            var knownRef: ContainerRef?
            func ref() -> ContainerRef {
                if let knownRef { return knownRef }
                let ref = join.ref(for: element.pointee)
                knownRef = ref
                return ref
            }
            let id = element.pointee.id
            let kubeletEntry = join.kubeletByContainerID[id]
            var view: ContainerView?
            if keepsViews {
                view = ContainerView(
                    ref: ref(), runtime: element.pointee, kubelet: kubeletEntry?.status, process: nil, parent: nil,
                    cgroup: element.pointee.status?.cgroupsPath.flatMap { kernel?.cgroups[$0] }, ownership: nil, divergences: [])
            }
            if element.pointee.state == .running {
                let (verdict, process, parent, ownership) = ProcessVerdict.of(element, kernel: kernel, configuration: configuration)
                if verdict.isDead { deadVerdicts[id] = verdict }
                view?.process = process
                view?.parent = parent
                view?.ownership = ownership
                switch verdict {
                case .missing(let detail): flag(.processMissing, ref(), detail)
                case .zombie(let detail): flag(.processZombie, ref(), detail)
                case .alive, .unknown: break
                }
                if let kubeletEntry {
                    if kubeletEntry.isReady && verdict.isDead {
                        flag(.readyButDead, ref(), "kubelet reports Ready; \(detailText(verdict))")
                    }
                    if case .terminated(let termination) = kubeletEntry.state {
                        flag(
                            .runtimeRunningKubeletTerminated, ref(),
                            "kubelet: terminated (\(termination.reason ?? "no reason"), exit \(termination.exitCode))")
                    }
                }
                if kubelet != nil, let podUID = join.podUID(of: element), !podUID.isEmpty,
                    !join.kubeletPodUIDs.contains(podUID)
                {
                    flag(.runtimeOrphaned, ref(), "running container of pod UID \(podUID), unknown to the kubelet")
                }
            }
            if let view { views.append(view) }
        }
        runtime?.containers.forEachInPlace(judge)
        if kubelet != nil {
            runtime?.sandboxes.forEachInPlace { sandbox in
                let uid = sandbox.pointee.podUID
                guard sandbox.pointee.state == .ready, !uid.isEmpty, !join.kubeletPodUIDs.contains(uid) else { return }
                flag(.runtimeOrphaned, join.ref(for: sandbox.pointee), "ready sandbox of pod UID \(uid), unknown to the kubelet")
            }
        }
        // Unsorted: sorting every container ID on every refresh cost more than the rest of this loop;
        // only the views it adds (containers the runtime does not have, usually none) are sorted.
        var kubeletOnlyViews: [ContainerView] = []
        for (id, entry) in join.kubeletByContainerID {
            // An index, not a copy of the container: this runs for every container the kubelet reports.
            let runtimeIndex = join.runtimeIndexByID[id]
            if runtimeIndex == nil {
                containersJoined += 1
                if keepsViews {
                    kubeletOnlyViews.append(
                        ContainerView(
                            ref: join.ref(for: entry, containerID: id), runtime: nil, kubelet: entry.status, process: nil,
                            parent: nil, cgroup: nil, ownership: nil, divergences: []))
                }
            }
            guard let runtime, case .running = entry.status.state else { continue }
            if let runtimeIndex {
                if runtime.containers[runtimeIndex].state == .exited {
                    let runtimeContainer = runtime.containers[runtimeIndex]
                    let exit = runtimeContainer.status.map { ", exit \($0.exitCode) \($0.reason)" } ?? ""
                    flag(.kubeletRunningRuntimeExited, join.ref(for: runtimeContainer), "runtime: EXITED\(exit)")
                }
            } else {
                flag(.kubeletRunningRuntimeMissing, join.ref(for: entry, containerID: id), "runtime does not know container \(id)")
            }
        }

        views += kubeletOnlyViews.sorted { $0.ref.containerID < $1.ref.containerID }

        // 2. Age: a divergence counts once it has lasted --divergence.min-age. Kinds whose sources are
        //    down keep their last known state, marked stale.
        let evaluable = Set(DivergenceKind.allCases.filter { $0.requiredSources.isSubset(of: up) })
        var firstSeen: [CollectorMemory.DivergenceKey: Double] = [:]
        var reported: [CollectorMemory.DivergenceKey: Divergence] = [:]
        for (key, candidate) in candidates where evaluable.contains(key.kind) {
            let since = memory.firstSeen[key] ?? now
            firstSeen[key] = since
            if now - since >= configuration.divergenceMinAgeSeconds {
                reported[key] = Divergence(
                    ref: candidate.ref, kind: key.kind, since: since, ageSeconds: now - since, stale: false,
                    detail: candidate.detail)
            }
        }
        for (key, since) in memory.firstSeen where !evaluable.contains(key.kind) {
            firstSeen[key] = since
            if var last = memory.lastReported[key] {
                last.ageSeconds = now - since
                last.stale = true
                reported[key] = last
            }
        }
        memory.firstSeen = firstSeen
        memory.lastReported = reported
        let divergences = reported.values.sorted { ($0.ref, $0.kind) < ($1.ref, $1.kind) }
        if keepsViews {
            let kindsByContainer = Dictionary(grouping: divergences, by: \.ref.containerID).mapValues { $0.map(\.kind).sorted() }
            for index in views.indices {
                views[index].divergences = kindsByContainer[views[index].ref.containerID] ?? []
            }
        }

        // 3. Terminations and OOM kills (runtime required; counters simply hold while it is down).
        var abnormallyTerminated: [String: Int] = [:]
        if let runtime {
            var exited: [RuntimeContainer] = []
            runtime.containers.forEachInPlace { container in
                guard container.pointee.state == .exited else { return }
                exited.append(container.pointee)
                if let status = container.pointee.status, Terminations.isAbnormal(status) {
                    abnormallyTerminated[Terminations.reason(status), default: 0] += 1
                }
            }
            Terminations.count(exited: exited + input.exitEvents, join: join, memory: &memory)
            OOMKills.count(containers: runtime.containers, join: join, kernel: kernel, memory: &memory)
            memory.runtimeBaselineTaken = true
        }

        // 4. Terminating pods (kubelet required; the last known list is kept, ageing, while it is down).
        var terminatingPods = memory.lastTerminatingPods
        var overduePods = memory.lastOverduePods
        if let kubelet {
            (terminatingPods, overduePods) = TerminatingPods.overdue(
                pods: kubelet.pods, now: now, runtimeUp: runtime != nil, join: join, verdicts: deadVerdicts,
                configuration: configuration)
            memory.lastTerminatingPods = terminatingPods
            memory.lastOverduePods = overduePods
            memory.lastOverdueAt = now
        } else if let at = memory.lastOverdueAt {
            overduePods = overduePods.map { pod in
                var pod = pod
                pod.overdueSeconds += now - at
                pod.stuck = pod.overdueSeconds > configuration.stuckAfterSeconds
                return pod
            }
        }

        let findings = Findings(
            timestamp: now, sources: sources, runtimeVersion: runtime?.version,
            runtimeConditions: runtime?.conditions ?? [],
            knownIssues: runtime?.version.map {
                KnownIssues.affecting(runtimeName: $0.runtimeName, runtimeVersion: $0.runtimeVersion)
            } ?? [],
            containerCounts: containerCounts(runtime: runtime, kubelet: kubelet),
            divergences: divergences, terminations: memory.terminations, abnormallyTerminated: abnormallyTerminated,
            oomKills: memory.oomKills, terminatingPods: terminatingPods,
            overduePods: overduePods.sorted { ($0.namespace, $0.pod, $0.uid) < ($1.namespace, $1.pod, $1.uid) },
            views: views, containersJoined: containersJoined)
        return (findings, memory)
    }

    private static func sourceHealth(_ input: CollectorInput, memory: inout CollectorMemory) -> [Source: SourceHealth] {
        let readings: [(Source, Bool, Double, String?)] = [
            (.runtime, input.runtime.isUp, input.runtime.durationSeconds, input.runtime.error),
            (.kubelet, input.kubelet.isUp, input.kubelet.durationSeconds, input.kubelet.error),
            (.procfs, input.kernel.isUp, input.kernel.durationSeconds, input.kernel.error),
        ]
        var health: [Source: SourceHealth] = [:]
        for (source, up, duration, error) in readings {
            if !up { memory.sourceErrors[source, default: 0] += 1 }
            health[source] = SourceHealth(
                up: up, durationSeconds: duration, errorsTotal: memory.sourceErrors[source] ?? 0,
                lastError: up ? nil : (error ?? "no data"))
        }
        return health
    }

    private static func containerCounts(runtime: RuntimeSnapshot?, kubelet: KubeletSnapshot?) -> [Source: [String: Int]] {
        var counts: [Source: [String: Int]] = [:]
        if let runtime {
            // Counted by state first: hashing the state's name once per container cost more than the count.
            var byState = Dictionary(uniqueKeysWithValues: RuntimeContainerState.allCases.map { ($0, 0) })
            runtime.containers.forEachInPlace { byState[$0.pointee.state, default: 0] += 1 }
            counts[.runtime] = Dictionary(uniqueKeysWithValues: byState.map { ($0.key.rawValue, $0.value) })
        }
        if let kubelet {
            var byState = ["running": 0, "waiting": 0, "terminated": 0, "unknown": 0]
            kubelet.pods.forEachInPlace { pod in
                pod.pointee.containers.forEachInPlace { byState[$0.pointee.state.name, default: 0] += 1 }
            }
            counts[.kubelet] = byState
        }
        return counts
    }

    private static func detailText(_ verdict: ProcessVerdict) -> String {
        switch verdict {
        case .missing(let detail), .zombie(let detail): detail
        case .alive: "process alive"
        case .unknown: "process state unknown"
        }
    }
}
