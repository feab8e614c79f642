import Model

/// One refresh's read of the kernel: what the collector judges, read as cheaply as the previous
/// refresh allows. On a steady node (the same containers, every process alive in its cgroup, no OOM
/// kill) that is one `/proc/vmstat` read and one `epoll_wait` (or one read of a kept `statm` per
/// container process), and the previous snapshot is taken as it is; otherwise `stat`, parents and
/// cgroups are read where they can be in doubt.
extension KernelReader {
    /// A container as the kernel reader is asked about it: its process and its cgroup, paired so the
    /// reader can tell when the process itself answers for the cgroup.
    public struct Target: Sendable, Hashable {
        public var pid: Int32?
        /// The runtime's `cgroupsPath`.
        public var cgroupsPath: String?

        public init(pid: Int32?, cgroupsPath: String?) {
            self.pid = pid
            self.cgroupsPath = cgroupsPath
        }
    }

    /// What the collector judges: the process (and its parent) and the cgroup of every container
    /// the runtime lists as RUNNING. `previous` and `handles` as for ``snapshot(targets:previous:handles:)``.
    public func snapshot(
        ofRunningContainersIn runtime: RuntimeSnapshot?, previous: KernelSnapshot?, handles: ProcessHandles? = nil
    ) -> KernelSnapshot {
        let targets = (runtime?.containers ?? []).compactMap { container -> Target? in
            guard container.state == .running, let status = container.status else { return nil }
            return Target(pid: status.pid, cgroupsPath: status.cgroupsPath)
        }
        return snapshot(targets: targets, previous: previous, handles: handles)
    }

    /// Reads every PID in `pids` and the parent of each, and every cgroup in `cgroupPaths` in full
    /// (unpaired, no process can answer for a cgroup). See ``snapshot(targets:previous:handles:)``.
    public func snapshot(
        pids: some Sequence<Int32>, cgroupPaths: some Sequence<String>, previous: KernelSnapshot? = nil
    ) -> KernelSnapshot {
        snapshot(
            targets: pids.map { Target(pid: $0, cgroupsPath: nil) } + cgroupPaths.map { Target(pid: nil, cgroupsPath: $0) },
            previous: previous)
    }

    /// Reads the process of every target, the parent of each process not alive in its container's
    /// cgroup (the shim, so a stopped shim behind a zombie is seen), and every target's cgroup, keyed
    /// by the path as given.
    ///
    /// `queriedPIDs` holds every PID read (asked for or parent), so a queried PID missing from
    /// `processes` is gone. A PID whose read failed (see ``process(pid:)``) is left out of both and
    /// recorded in `readErrors` with the reason: it is unknown, not gone. PIDs ≤ 0 are ignored.
    ///
    /// `previous` is the snapshot of the last refresh:
    /// - a process found there with the same start time keeps its cgroups, and only its `stat` is read
    ///   again (see ``readProcess(pid:using:known:)``);
    /// - a cgroup whose target process is alive and inside it exists and is populated without asking
    ///   the cgroup fs (a live member is what "populated" means); only its OOM counter can change, and
    ///   that is read only when `/proc/vmstat`'s `oom_kill` moved since `previous` (or had just moved
    ///   then). A process that is gone, a zombie or elsewhere leaves its cgroup in doubt: read in full.
    ///
    /// `handles` keeps a descriptor of each target's process open from one refresh to the next (see
    /// ``ProcessHandles``): a process they show alive keeps its previous reading. The descriptors of
    /// PIDs no longer among the targets are closed.
    public func snapshot(targets: [Target], previous: KernelSnapshot?, handles: ProcessHandles? = nil) -> KernelSnapshot {
        guard let handles else { return snapshot(targets: targets, previous: previous, table: nil) }
        return handles.withTable(procfsIsOwn: procfsIsOwn) { table in
            snapshot(targets: targets, previous: previous, table: table)
        }
    }

    private func snapshot(targets: [Target], previous: KernelSnapshot?, table: ProcessHandleTable?) -> KernelSnapshot {
        let reader = FileReader(capacity: Self.fileSizeLimit)
        var snapshot = KernelSnapshot()
        // Read before any cgroup's counter: the kernel raises this one first.
        snapshot.systemOOMKills = readSystemOOMKills(using: reader)
        let countersUnchanged =
            snapshot.systemOOMKills != nil && snapshot.systemOOMKills == previous?.systemOOMKills
        snapshot.systemOOMKillsSettled = countersUnchanged
        let keepCounters = countersUnchanged && previous?.systemOOMKillsSettled == true

        // A steady node: the same containers as last time, every process was alive in its cgroup
        // and still is (its kept descriptor says so), and no OOM kill anywhere. Reading it all again
        // would rebuild `previous` entry by entry, which was most of what the kernel read cost.
        if keepCounters, let previous, let table, previous.readErrors.isEmpty, table.areSteady(targets),
            table.allLiveOn(targets, using: reader)
        {
            var reused = previous
            reused.systemOOMKillsSettled = true
            table.tookSteadySnapshot = true
            return reused
        }
        func read(_ pid: Int32, keepingOpenIn table: ProcessHandleTable?) {
            guard pid > 0, snapshot.queriedPIDs.contains(pid) == false, snapshot.readErrors[pid] == nil else { return }
            do {
                if let process = try readProcess(pid: pid, using: reader, known: previous?.processes[pid], handles: table) {
                    snapshot.processes[pid] = process
                }
                snapshot.queriedPIDs.insert(pid)
            } catch {
                snapshot.readErrors[pid] = error.description
            }
        }
        for target in targets {
            if let pid = target.pid { read(pid, keepingOpenIn: table) }
        }
        // Whether each target's process is alive in its container's cgroup: then it answers for the
        // cgroup, and its parent tells nothing the collector uses (it names the shim of a dead process).
        let living = targets.map { target -> Bool in
            guard let path = target.cgroupsPath, let process = target.pid.flatMap({ snapshot.processes[$0] }) else { return false }
            return Self.livesIn(process, cgroupsPath: path)
        }
        for (target, living) in zip(targets, living) where !living {
            // Parents are read only in doubt, so their files are not kept open.
            if let pid = target.pid, let parent = snapshot.processes[pid]?.ppid { read(parent, keepingOpenIn: nil) }
        }
        for (target, living) in zip(targets, living) {
            guard let path = target.cgroupsPath, snapshot.cgroups[path] == nil else { continue }
            guard living else {
                snapshot.cgroups[path] = readCgroup(path: path, using: reader)
                continue
            }
            let known = keepCounters ? previous?.cgroups[path] : nil
            let oomKills = known.map(\.oomKills) ?? readOOMKills(path: path, using: reader)
            snapshot.cgroups[path] = CgroupInfo(path: path, exists: true, populated: true, oomKills: oomKills)
        }
        if let table {
            table.keepOnly(Set(targets.compactMap(\.pid)))
            table.steadyTargets = Self.steadyTargets(targets, living: living, in: snapshot, table: table)
        }
        return snapshot
    }

    /// The targets by PID when the next refresh may take `snapshot` as it is if nothing moves: every
    /// target has a process alive in its cgroup (`living`, as the read found it) with a descriptor
    /// kept, and nothing failed to read.
    private static func steadyTargets(
        _ targets: [Target], living: [Bool], in snapshot: KernelSnapshot, table: ProcessHandleTable
    ) -> [Int32: String]? {
        guard snapshot.readErrors.isEmpty else { return nil }
        var steady: [Int32: String] = [:]
        steady.reserveCapacity(targets.count)
        for (target, living) in zip(targets, living) {
            guard living, let pid = target.pid, let path = target.cgroupsPath, table.descriptors[pid] != nil,
                steady.updateValue(path, forKey: pid) == nil
            else { return nil }
        }
        return steady
    }

    /// A live (not zombie, not dead) process whose cgroups match the container's.
    static func livesIn(_ process: KernelProcess, cgroupsPath: String) -> Bool {
        guard process.state != .zombie, process.state != .dead else { return false }
        return CgroupsPath.processIsInContainer(process, cgroupsPath: cgroupsPath) == true
    }
}
