#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Model

/// Reads what the kernel says about processes (`/proc/<pid>/stat`, `/proc/<pid>/cgroup`) and
/// container cgroups (v1, v2 or hybrid), rooted at two directories so tests can point it at
/// fixture trees. A value type with no mutable state: share it freely.
public struct KernelReader: Sendable {
    /// The largest `/proc/<pid>/*` or cgroup file read, in bytes (procfs sizes are not trusted).
    public static let fileSizeLimit = 64 * 1024
    /// The largest `/proc/stat` read at start, in bytes (its `intr` line grows with the IRQ count).
    public static let procStatSizeLimit = 1024 * 1024

    /// The procfs mount, e.g. `/proc` (`--path.procfs`).
    public let procRoot: String
    /// The cgroup fs root, e.g. `/sys/fs/cgroup` (`--path.cgroupfs`).
    public let cgroupRoot: String
    /// Boot time, Unix seconds (`btime` in `<procRoot>/stat`), read once.
    public let bootTime: Int64
    /// Clock ticks per second (`sysconf(_SC_CLK_TCK)`), the unit of `starttime`.
    public let clockTicksPerSecond: Int64
    /// The cgroup hierarchies found under `cgroupRoot` at construction.
    public let cgroupLayout: CgroupLayout
    /// Whether `procRoot` is a procfs of this process's PID namespace (its `self` names this
    /// process), so its PIDs are ours to open as process descriptors. False for a host's procfs seen
    /// from a container's PID namespace and for fixture trees.
    public let procfsIsOwn: Bool

    /// Fails when `<procRoot>/stat` cannot be read or has no `btime`, or when `cgroupRoot` holds no
    /// cgroup hierarchy: a wrong root is reported at start, not as missing processes later.
    public init(procRoot: String = "/proc", cgroupRoot: String = "/sys/fs/cgroup") throws(KernelReaderError) {
        self.procRoot = Self.trimmingTrailingSlashes(procRoot)
        self.cgroupRoot = Self.trimmingTrailingSlashes(cgroupRoot)
        let statPath = self.procRoot + "/stat"
        let reader = FileReader(capacity: Self.procStatSizeLimit)
        do {
            let bytes = try reader.read(statPath)
            guard let bootTime = BootTimeParser.bootTime(bytes) else { throw KernelReaderError.malformed(path: statPath, .missingField("btime")) }
            self.bootTime = bootTime
        } catch let error as FileReadError {
            throw error.readerError(path: statPath, limit: Self.procStatSizeLimit)
        } catch let error as KernelReaderError {
            throw error
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
        let ticks = Int64(sysconf(Int32(_SC_CLK_TCK)))
        self.clockTicksPerSecond = ticks > 0 ? ticks : 100
        self.cgroupLayout = try CgroupLayout.detect(root: self.cgroupRoot)
        self.procfsIsOwn = Self.namesThisProcess(self.procRoot + "/self")
    }

    private static func namesThisProcess(_ selfLink: String) -> Bool {
        var buffer = [CChar](repeating: 0, count: 32)
        let length = readlink(selfLink, &buffer, buffer.count - 1)
        guard length > 0 else { return false }
        let target = String(decoding: buffer.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return target == String(getpid())
    }

    // MARK: Processes

    /// The process with this PID, or nil if there is none: the PID does not exist, is ≤ 0, or the
    /// process went away while being read (ENOENT/ESRCH at any step, including between the `stat`
    /// and `cgroup` reads). Both files are opened through one descriptor of `/proc/<pid>`, so a PID
    /// reused between the two reads cannot mix two processes.
    ///
    /// Throws when `stat` cannot be read for another reason, is over the size cap, or is malformed,
    /// and when `cgroup` is malformed or over the cap. A `cgroup` file that exists but cannot be read
    /// (EACCES/EPERM) gives empty ``Model/KernelProcess/cgroups``.
    public func process(pid: Int32) throws(KernelReaderError) -> Model.KernelProcess? {
        try readProcess(pid: pid, using: FileReader(capacity: Self.fileSizeLimit))
    }

    /// - Parameter known: this PID as read before. When its start time still matches it is the same
    ///   process, and only `stat` is read: its cgroups are taken from `known` instead of
    ///   `/proc/<pid>/cgroup` (the costliest read: the kernel walks every hierarchy to write it; a
    ///   container's process stays in its cgroup), and no directory descriptor is needed to keep two
    ///   reads on one process.
    func readProcess(pid: Int32, using reader: FileReader, known: Model.KernelProcess? = nil) throws(KernelReaderError)
        -> Model.KernelProcess?
    {
        try readProcess(pid: pid, using: reader, known: known, handles: nil)
    }

    /// - Parameter handles: descriptors kept open between refreshes (see ``ProcessHandles``). When
    ///   there is one for this PID and the previous read is `known`, the process is still that one
    ///   (the descriptor is bound to it) and, while the descriptor says it lives on, `known` is
    ///   returned as it is, state and parent as last read, without reading `stat`. Once it has exited
    ///   (a zombie, or on its way) it is read in full; once `statm` says it was reaped (ESRCH), nil.
    ///   A process read in full gets a descriptor if it is alive and there is room.
    func readProcess(
        pid: Int32, using reader: FileReader, known: Model.KernelProcess?, handles: ProcessHandleTable?
    ) throws(KernelReaderError) -> Model.KernelProcess? {
        guard pid > 0 else { return nil }
        if let handles, let liveness = handles.liveness(of: pid, using: reader) {
            if let known, known.pid == pid {
                switch liveness {
                case .alive: return known
                case .gone:
                    handles.drop(pid)
                    return nil
                case .exited: break
                }
            }
            handles.drop(pid)
        }
        let directory = procRoot + "/" + String(pid)
        let statPath = directory + "/stat"
        // Without a descriptor to keep, one `stat` read tells whether `known` is still this process.
        if handles?.hasRoom != true, let known, known.pid == pid, !known.cgroups.isEmpty {
            guard let stat = try readStat(statPath, pid: pid, using: reader) else { return nil }
            if startTime(of: stat) == known.startTime { return process(from: stat, cgroups: known.cgroups) }
            // Another process has this PID now: read it as a new one.
        }
        var handle = handles?.openBeforeReading(pid)
        defer { if let handle { _ = close(handle) } }
        // One directory descriptor for every read, so they are all of one process even if the PID
        // is reused meanwhile (the descriptor then answers ENOENT/ESRCH).
        let directoryFD: Int32
        do {
            directoryFD = try FileReader.openDirectory(directory)
        } catch {
            if error.isGone { return nil }
            throw error.readerError(path: directory, limit: Self.fileSizeLimit)
        }
        defer { _ = close(directoryFD) }

        guard let stat = try readStat("stat", relativeTo: directoryFD, pid: pid, using: reader, path: statPath) else {
            return nil
        }
        var cgroups: [CgroupMembership] = []
        if let known, known.pid == pid, !known.cgroups.isEmpty, startTime(of: stat) == known.startTime {
            cgroups = known.cgroups
        } else {
            do {
                let bytes = try reader.read("cgroup", relativeTo: directoryFD)
                cgroups = try ProcCgroupParser.parse(bytes)
            } catch let error as FileReadError {
                if error.isGone { return nil }
                guard case .system(let code) = error, code == EACCES || code == EPERM else {
                    throw error.readerError(path: directory + "/cgroup", limit: Self.fileSizeLimit)
                }
            } catch let error as KernelParseError {
                throw .malformed(path: directory + "/cgroup", error)
            } catch {
                preconditionFailure("unexpected error \(error)")
            }
        }
        let process = process(from: stat, cgroups: cgroups)
        if let handles, process.state != .zombie, process.state != .dead,
            let fd = handle ?? handles.openAfterReading(directoryFD: directoryFD)
        {
            handle = nil
            handles.keep(fd, for: pid)
        }
        return process
    }

    /// The parsed `stat` file, or nil when the process is gone.
    private func readStat(
        _ file: String, relativeTo directoryFD: Int32 = AT_FDCWD, pid: Int32, using reader: FileReader, path: String? = nil
    ) throws(KernelReaderError) -> ProcStat? {
        let path = path ?? file
        do {
            return try Self.parseStat(try reader.read(file, relativeTo: directoryFD), pid: pid, path: path)
        } catch let error as FileReadError {
            if error.isGone { return nil }
            throw error.readerError(path: path, limit: Self.fileSizeLimit)
        } catch let error as KernelReaderError {
            throw error
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
    }

    private func startTime(of stat: ProcStat) -> Double {
        Double(bootTime) + Double(stat.startTimeTicks) / Double(clockTicksPerSecond)
    }

    private func process(from stat: ProcStat, cgroups: [CgroupMembership]) -> Model.KernelProcess {
        Model.KernelProcess(
            pid: stat.pid, command: stat.command, state: stat.state, ppid: stat.ppid, startTime: startTime(of: stat),
            exitStatus: Self.exitStatus(of: stat), cgroups: cgroups)
    }

    private static func parseStat(_ bytes: UnsafeBufferPointer<UInt8>, pid: Int32, path: String) throws(KernelReaderError) -> ProcStat {
        let stat: ProcStat
        do {
            stat = try ProcStatParser.parse(bytes)
        } catch {
            throw .malformed(path: path, error)
        }
        guard stat.pid == pid else { throw .malformed(path: path, .invalidField(name: "pid", value: String(stat.pid))) }
        return stat
    }

    /// `exit_code` is the wait status only once the task has exited; for a live (e.g. ptrace-stopped)
    /// task the field holds other things, so it is reported for zombie and dead tasks only.
    private static func exitStatus(of stat: ProcStat) -> Int32? {
        switch stat.state {
        case .zombie, .dead: stat.exitCode
        default: nil
        }
    }

    // MARK: Cgroups

    /// What the cgroup fs shows for a container's runtime `cgroupsPath` (cgroupfs or systemd form; see
    /// ``CgroupsPath/resolve(_:)``). Never throws: a file that is missing or unreadable is "unknown"
    /// (nil); a path that does not resolve does not exist.
    ///
    /// - `exists`: the directory is in the cgroup2 tree or in any v1 hierarchy.
    /// - `populated`: v2 `cgroup.events` `populated`; where that is missing (hybrid hosts without it,
    ///   pure v1), a non-empty v1 `cgroup.procs` (memory hierarchy first).
    /// - `oomKills`: v2 `memory.events` `oom_kill`; else v1 `memory.oom_control` `oom_kill`.
    public func cgroup(path: String) -> Model.CgroupInfo {
        readCgroup(path: path, using: FileReader(capacity: Self.fileSizeLimit))
    }

    func readCgroup(path cgroupsPath: String, using reader: FileReader) -> Model.CgroupInfo {
        guard let relative = CgroupsPath.resolve(cgroupsPath) else { return CgroupInfo(path: cgroupsPath, exists: false) }
        var exists = false
        var populated: Bool?
        var oomKills: UInt64?

        if let unified = cgroupLayout.unifiedDirectory {
            let directory = unified + relative
            if FileSystem.isDirectory(directory) {
                exists = true
                populated = (try? reader.read(directory + "/cgroup.events")).flatMap(CgroupEventsParser.populated)
                if cgroupLayout.unifiedHasMemoryController {
                    oomKills = (try? reader.read(directory + "/memory.events")).flatMap(MemoryEventsParser.oomKills)
                }
            }
        }
        // The v1 memory hierarchy answers all three questions; the others only "exists" and "populated".
        let memory = cgroupLayout.v1Memory
        if let memory, FileSystem.isDirectory(memory.directory + relative) {
            let directory = memory.directory + relative
            exists = true
            if populated == nil { populated = try? reader.hasContent(directory + "/cgroup.procs") }
            if oomKills == nil {
                oomKills = (try? reader.read(directory + "/memory.oom_control")).flatMap(MemoryOOMControlParser.oomKills)
            }
        }
        if !exists || populated == nil {
            for hierarchy in cgroupLayout.v1Hierarchies where hierarchy != memory {
                let directory = hierarchy.directory + relative
                guard FileSystem.isDirectory(directory) else { continue }
                exists = true
                if populated == nil { populated = try? reader.hasContent(directory + "/cgroup.procs") }
                if populated != nil { break }
            }
        }
        return CgroupInfo(path: cgroupsPath, exists: exists, populated: populated, oomKills: oomKills)
    }

    /// Only the `oom_kill` counter of a cgroup known to exist (the files ``readCgroup(path:using:)``
    /// takes it from, in the same order); nil when unreadable.
    func readOOMKills(path cgroupsPath: String, using reader: FileReader) -> UInt64? {
        guard let relative = CgroupsPath.resolve(cgroupsPath) else { return nil }
        if let unified = cgroupLayout.unifiedDirectory, cgroupLayout.unifiedHasMemoryController,
            let kills = (try? reader.read(unified + relative + "/memory.events")).flatMap(MemoryEventsParser.oomKills)
        {
            return kills
        }
        guard let memory = cgroupLayout.v1Memory else { return nil }
        return (try? reader.read(memory.directory + relative + "/memory.oom_control")).flatMap(MemoryOOMControlParser.oomKills)
    }

    /// `oom_kill` of `<procRoot>/vmstat` (Linux 4.13+): raised with every OOM kill, global or in any
    /// cgroup; nil when unreadable (fixture trees without it, older kernels).
    func readSystemOOMKills(using reader: FileReader) -> UInt64? {
        // /proc/vmstat comes a page at a time (one record per counter), unlike the files above.
        (try? reader.read(procRoot + "/vmstat", singleRecord: false)).flatMap { FlatKeyedParser.value(forKey: "oom_kill", in: $0) }
    }

    private static func trimmingTrailingSlashes(_ path: String) -> String {
        var path = path
        while path.count > 1 && path.hasSuffix("/") { path.removeLast() }
        return path
    }
}
