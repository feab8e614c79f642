import Model

/// One refresh's read of the kernel: what the collector judges, read as cheaply as the previous
/// refresh allows. Containers whose process lives on in its cgroup keep their previous entries and
/// only the others are read (`stat`, parents and cgroups where they can be in doubt). On a steady
/// node (the same containers, every process alive in its cgroup, no OOM kill) that is one
/// `/proc/vmstat` read and one `epoll_wait` (or one read of a kept `statm` per container process),
/// and the previous snapshot is taken as it is.
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
        ofRunningContainersIn runtime: RuntimeSnapshot?, previous: consuming KernelSnapshot?, handles: ProcessHandles? = nil
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
    /// PIDs no longer among the targets are closed. With them, and `previous` the snapshot taken with
    /// them last, a refresh starts from `previous` and reads only the targets in doubt (see
    /// ``carryOver(_:plan:table:using:)``): what it returns is what reading every target would give.
    ///
    /// `previous` is taken, not copied, where the caller lets it go: carried over, it is changed in
    /// place, which a copy kept elsewhere would turn into a copy of every entry.
    public func snapshot(targets: [Target], previous: consuming KernelSnapshot?, handles: ProcessHandles? = nil) -> KernelSnapshot {
        guard let handles else { return snapshot(targets: targets, previous: previous, table: nil) }
        var owned = consume previous
        return handles.withTable(procfsIsOwn: procfsIsOwn) { table in
            snapshot(targets: targets, previous: owned.take(), table: table)
        }
    }

    private func snapshot(targets: [Target], previous: consuming KernelSnapshot?, table: ProcessHandleTable?) -> KernelSnapshot {
        let reader = FileReader(capacity: Self.fileSizeLimit)
        // Read before any cgroup's counter: the kernel raises this one first.
        let systemOOMKills = readSystemOOMKills(using: reader)
        let countersUnchanged = systemOOMKills != nil && systemOOMKills == previous?.systemOOMKills
        let keepCounters = countersUnchanged && previous?.systemOOMKillsSettled == true
        if keepCounters, let table, let plan = previous.flatMap({ planCarryOver($0, to: targets, table: table, using: reader) }),
            let owned = previous.take()
        {
            return carryOver(owned, plan: plan, table: table, using: reader)
        }
        var snapshot = KernelSnapshot()
        snapshot.systemOOMKills = systemOOMKills
        snapshot.systemOOMKillsSettled = countersUnchanged
        let living = read(targets, into: &snapshot, previous: previous, keepCounters: keepCounters, table: table, using: reader)
        if let table {
            table.keepOnly(Set(targets.compactMap(\.pid)))
            table.livingTargets = Self.livingTargets(targets, living: living, in: snapshot, table: table)
        }
        return snapshot
    }

    /// Reads `targets` into `snapshot`: each target's process, the parent of each process not alive
    /// in its container's cgroup, and each target's cgroup. Returns, for each target, whether its
    /// process lives in its cgroup.
    private func read(
        _ targets: [Target], into snapshot: inout KernelSnapshot, previous: KernelSnapshot?, keepCounters: Bool,
        table: ProcessHandleTable?, using reader: FileReader
    ) -> [Bool] {
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
        return living
    }

    /// What carrying `previous` over to `targets` takes (see ``carryOver(_:plan:table:using:)``).
    private struct CarryOverPlan {
        /// The last snapshot's living targets and doubtful entries.
        var known: LivingTargets
        /// The targets' PIDs.
        var current: Set<Int32>
        /// The targets read again: not living last time, or their process did not live on.
        var doubtful: [Target]
    }

    /// Which targets are in doubt, if `previous` may be carried over to `targets`: nil when there is
    /// nothing to carry over, or so much in doubt that reading everything costs about the same.
    private func planCarryOver(
        _ previous: borrowing KernelSnapshot, to targets: [Target], table: ProcessHandleTable, using reader: FileReader
    ) -> CarryOverPlan? {
        guard let known = table.livingTargets.take() else { return nil }
        let doubtLimit = max(16, targets.count / 4)
        var current = Set<Int32>(minimumCapacity: targets.count)
        var doubtful: [Target] = []
        for target in targets {
            guard let pid = target.pid else {
                doubtful.append(target)
                continue
            }
            current.insert(pid)
            // `index(forKey:)`: whether there is an entry, without copying it out.
            if let path = target.cgroupsPath, known.path(of: pid) == path, previous.processes.index(forKey: pid) != nil,
                table.liveness(of: pid, using: reader) == .alive
            {
                continue
            }
            doubtful.append(target)
            if doubtful.count > doubtLimit { return nil }
        }
        // A cgroup shared with a living target that stays: which entry stands depends on the
        // targets' order, as a full read would find it.
        let doubtfulPIDs = Set(doubtful.compactMap(\.pid))
        for target in doubtful {
            guard let path = target.cgroupsPath, let owner = known.pid(claiming: path) else { continue }
            if owner != target.pid, current.contains(owner), !doubtfulPIDs.contains(owner) { return nil }
        }
        return CarryOverPlan(known: known, current: current, doubtful: doubtful)
    }

    /// `previous` carried over as `plan` says: the living targets (see ``LivingTargets``) whose
    /// descriptor says their process lives on keep their entries as they are; the entries of every
    /// other target, and of targets now gone, are taken out and the targets in doubt read again. The
    /// result is what reading every target would give. With nothing in doubt and nothing gone, that
    /// is `previous` itself (a steady node).
    ///
    /// Only while no counter can have moved (`/proc/vmstat` settled): a living target's cgroup is
    /// then its previous entry.
    private func carryOver(
        _ previous: consuming KernelSnapshot, plan: consuming CarryOverPlan, table: ProcessHandleTable, using reader: FileReader
    ) -> KernelSnapshot {
        var known = plan.known
        let current = plan.current
        let doubtful = plan.doubtful
        if doubtful.isEmpty, known.count == current.count, known.doubtfulPIDs.isEmpty, known.doubtfulPaths.isEmpty {
            table.livingTargets = known
            table.tookSteadySnapshot = true
            return previous
        }

        var snapshot = previous
        // What is taken out, as the reads in doubt know it from the last refresh.
        var removed = KernelSnapshot()
        func forget(_ pid: Int32) {
            if let process = snapshot.processes.removeValue(forKey: pid) { removed.processes[pid] = process }
            snapshot.queriedPIDs.remove(pid)
            snapshot.readErrors[pid] = nil
        }
        func forget(_ path: String) {
            if let cgroup = snapshot.cgroups.removeValue(forKey: path) { removed.cgroups[path] = cgroup }
        }
        // Living targets gone from the node, or in doubt now: their entries go.
        let gone = known.pids(notIn: current)
        for pid in gone + doubtful.compactMap(\.pid) {
            guard let path = known.release(pid: pid) else { continue }
            forget(pid)
            forget(path)
        }
        // So do the entries the targets in doubt brought last time.
        for pid in known.doubtfulPIDs where !known.claims(pid: pid) { forget(pid) }
        for path in known.doubtfulPaths where !known.claims(path: path) { forget(path) }
        for pid in known.doubtfulPIDs where !current.contains(pid) { table.drop(pid) }
        for pid in gone { table.drop(pid) }
        known.doubtfulPIDs = []
        known.doubtfulPaths = []

        let living = read(doubtful, into: &snapshot, previous: removed, keepCounters: true, table: table, using: reader)
        for (target, living) in zip(doubtful, living) where living {
            guard let pid = target.pid, let path = target.cgroupsPath, table.descriptors[pid] != nil else { continue }
            _ = known.claim(pid: pid, path: path)
        }
        for target in doubtful {
            if let pid = target.pid, !known.claims(pid: pid) {
                known.doubtfulPIDs.append(pid)
                if let parent = snapshot.processes[pid]?.ppid, !known.claims(pid: parent) { known.doubtfulPIDs.append(parent) }
            }
            if let path = target.cgroupsPath, !known.claims(path: path) { known.doubtfulPaths.append(path) }
        }
        table.livingTargets = known
        table.carriedOver = true
        return snapshot
    }

    /// What the next refresh may carry over from `snapshot`, read in full: the targets whose process
    /// is alive in its cgroup (`living`, as the read found it) with a descriptor kept, and every other
    /// entry as read in doubt.
    private static func livingTargets(
        _ targets: [Target], living: [Bool], in snapshot: KernelSnapshot, table: ProcessHandleTable
    ) -> LivingTargets {
        var known = LivingTargets()
        for (target, living) in zip(targets, living) where living {
            guard let pid = target.pid, let path = target.cgroupsPath, table.descriptors[pid] != nil else { continue }
            _ = known.claim(pid: pid, path: path)
        }
        known.doubtfulPIDs = snapshot.queriedPIDs.filter { !known.claims(pid: $0) }
            + snapshot.readErrors.keys.filter { !known.claims(pid: $0) }
        known.doubtfulPaths = snapshot.cgroups.keys.filter { !known.claims(path: $0) }
        return known
    }

    /// A live (not zombie, not dead) process whose cgroups match the container's.
    static func livesIn(_ process: KernelProcess, cgroupsPath: String) -> Bool {
        guard process.state != .zombie, process.state != .dead else { return false }
        return CgroupsPath.processIsInContainer(process, cgroupsPath: cgroupsPath) == true
    }
}
