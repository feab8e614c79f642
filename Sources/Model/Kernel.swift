import Foundation

/// What the kernel (procfs and the cgroup fs) says about the processes the runtime named.

/// The state letter of `/proc/<pid>/stat` (field 3).
public enum ProcessState: String, Sendable, Hashable, CaseIterable {
    case running = "R"
    case sleeping = "S"
    case diskSleep = "D"
    case zombie = "Z"
    case stopped = "T"
    case tracingStop = "t"
    case dead = "X"
    case idle = "I"
    case parked = "P"
    case wakeKill = "K"
    case waking = "W"
    case unknown = "?"

    public init(letter: Character) {
        self = ProcessState(rawValue: String(letter)) ?? .unknown
    }
}

/// One line of `/proc/<pid>/cgroup`: `hierarchy-ID:controller-list:cgroup-path`.
public struct CgroupMembership: Sendable, Hashable {
    /// 0 for the cgroup v2 unified hierarchy.
    public var hierarchyID: Int
    /// Empty for v2; e.g. `["memory"]`, `["cpu", "cpuacct"]`, `["name=systemd"]` for v1.
    public var controllers: [String]
    public var path: String

    public init(hierarchyID: Int, controllers: [String], path: String) {
        self.hierarchyID = hierarchyID
        self.controllers = controllers
        self.path = path
    }
}

/// A process as `/proc/<pid>/stat` and `/proc/<pid>/cgroup` describe it.
public struct KernelProcess: Sendable, Hashable {
    public var pid: Int32
    /// The command name (field 2, without the parentheses; may itself contain parentheses).
    public var command: String
    public var state: ProcessState
    public var ppid: Int32
    /// Start time as Unix seconds (`starttime` ticks / CLK_TCK + `btime`).
    public var startTime: Double
    /// Field 52 `exit_code`: the raw wait status of a zombie (e.g. 9 = killed by SIGKILL); nil if absent.
    public var exitStatus: Int32?
    /// Empty when `/proc/<pid>/cgroup` could not be read.
    public var cgroups: [CgroupMembership]

    public init(
        pid: Int32, command: String, state: ProcessState, ppid: Int32, startTime: Double,
        exitStatus: Int32? = nil, cgroups: [CgroupMembership] = []
    ) {
        self.pid = pid
        self.command = command
        self.state = state
        self.ppid = ppid
        self.startTime = startTime
        self.exitStatus = exitStatus
        self.cgroups = cgroups
    }
}

/// A container's cgroup as the cgroup fs shows it (v1 memory hierarchy and/or v2 unified tree).
public struct CgroupInfo: Sendable, Hashable {
    /// The container's `cgroupsPath` as the runtime gave it.
    public var path: String
    /// True if the directory exists in at least one hierarchy.
    public var exists: Bool
    /// `cgroup.events populated` (v2) or a non-empty `cgroup.procs` (v1); nil if unreadable.
    public var populated: Bool?
    /// `oom_kill` from v1 `memory.oom_control` or v2 `memory.events`; nil if unreadable.
    public var oomKills: UInt64?

    public init(path: String, exists: Bool, populated: Bool? = nil, oomKills: UInt64? = nil) {
        self.path = path
        self.exists = exists
        self.populated = populated
        self.oomKills = oomKills
    }
}

/// What the kernel reader was asked about and found, in one refresh.
public struct KernelSnapshot: Sendable, Hashable {
    /// Processes found, by PID: the containers' PIDs and their parents (the shims).
    /// A PID that was asked for and is absent here does not exist (it is "gone").
    public var processes: [Int32: KernelProcess]
    /// The PIDs that were asked for (so "absent" can be told from "not asked").
    public var queriedPIDs: Set<Int32>
    /// Cgroups, by the runtime's `cgroupsPath`.
    public var cgroups: [String: CgroupInfo]
    /// PIDs that exist (or may) but could not be read (e.g. a malformed `/proc/<pid>/stat`), with the
    /// reason. They are in neither `processes` nor `queriedPIDs`, so they never count as "gone".
    public var readErrors: [Int32: String]
    /// `oom_kill` of `/proc/vmstat`: every OOM kill on the machine, cgroup or global; nil if unreadable.
    /// It moves whenever any cgroup's `oom_kill` does, so an unchanged value lets the reader keep the
    /// cgroups' counters from the previous refresh instead of reading each again.
    public var systemOOMKills: UInt64?
    /// Whether `systemOOMKills` had not moved since the previous refresh when this one read it: the
    /// kernel raises the system counter a moment before the cgroup's, so a refresh that saw it move
    /// reads the cgroups' counters once more in the next refresh.
    public var systemOOMKillsSettled: Bool

    public init(
        processes: [Int32: KernelProcess] = [:], queriedPIDs: Set<Int32> = [], cgroups: [String: CgroupInfo] = [:],
        readErrors: [Int32: String] = [:], systemOOMKills: UInt64? = nil, systemOOMKillsSettled: Bool = false
    ) {
        self.processes = processes
        self.queriedPIDs = queriedPIDs
        self.cgroups = cgroups
        self.readErrors = readErrors
        self.systemOOMKills = systemOOMKills
        self.systemOOMKillsSettled = systemOOMKillsSettled
    }
}
