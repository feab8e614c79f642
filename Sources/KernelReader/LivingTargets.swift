/// What one kernel snapshot knew for sure and what it read in doubt, kept for the next refresh.
///
/// A target whose process was alive in its container's cgroup, with a descriptor kept, is known for
/// as long as the descriptor says the process lives on: nothing the collector judges of it can change
/// meanwhile (its process is the one read, its cgroup is populated by it, and its OOM counter moves
/// only with `/proc/vmstat`'s). The next refresh keeps such targets' entries as they are and takes
/// out, to read again, everything else: the entries of targets in doubt and of targets now gone.
/// Under churn that is a handful of containers a refresh instead of the node.
struct LivingTargets {
    /// The cgroups path of each living target, by PID. One target at most claims a PID and a path:
    /// another target naming either is in doubt.
    private(set) var pathsByPID: [Int32: String] = [:]
    private(set) var pidsByPath: [String: Int32] = [:]
    /// PIDs with an entry in the snapshot (in `processes`, `queriedPIDs` or `readErrors`) that no
    /// living target claims: targets in doubt, the parents read for them, PIDs that failed to read.
    var doubtfulPIDs: [Int32] = []
    /// Paths with an entry in the snapshot's `cgroups` that no living target claims.
    var doubtfulPaths: [String] = []

    var count: Int { pathsByPID.count }

    func path(of pid: Int32) -> String? { pathsByPID[pid] }

    func claims(path: String) -> Bool { pidsByPath[path] != nil }

    func pid(claiming path: String) -> Int32? { pidsByPath[path] }

    func claims(pid: Int32) -> Bool { pathsByPID[pid] != nil }

    /// Records a living target; false when its PID or path is another target's already.
    mutating func claim(pid: Int32, path: String) -> Bool {
        guard pathsByPID[pid] == nil, pidsByPath[path] == nil else { return false }
        pathsByPID[pid] = path
        pidsByPath[path] = pid
        return true
    }

    /// Forgets the living target of `pid`; returns its path.
    @discardableResult
    mutating func release(pid: Int32) -> String? {
        guard let path = pathsByPID.removeValue(forKey: pid) else { return nil }
        pidsByPath[path] = nil
        return path
    }

    /// The living targets' PIDs that are not in `kept`.
    func pids(notIn kept: Set<Int32>) -> [Int32] {
        pathsByPID.keys.filter { !kept.contains($0) }
    }
}
