#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import CProcessExit
import Synchronization

/// Descriptors of the containers' processes, kept open from one refresh to the next, to tell
/// cheaply that a process lives on. Each descriptor is bound to the process it was opened for: once
/// that process has exited it says so, even if its PID went to another process, so a recycled PID is
/// never mistaken for it. While a process lives on, its last reading stands (state and parent
/// included: the collector judges a live process by nothing else); one that exited is read in full
/// again (see `KernelReader.readProcess`).
///
/// Two kinds, by what the procfs allows:
/// - **Process descriptors** (`pidfd_open`, Linux 5.3), when the procfs is this process's own (its
///   PIDs are ours to open): all of them wait in one epoll instance, and one `epoll_wait` per
///   refresh names the processes that exited. A steady refresh makes one system call for all the
///   containers instead of one each.
/// - **`/proc/<pid>/statm`**, otherwise (a procfs of another PID namespace, fixture trees, kernels
///   without pidfds): read again with `pread` (one system call where opening is three plus the walk
///   through `/proc/<pid>`; `statm` costs the kernel a fraction of `stat`). While it shows memory the
///   process is alive; an exited process has released its memory (a zombie shows zeros); a reaped
///   one answers ESRCH.
///
/// It costs one descriptor per running container (`process_open_fds` grows with the node); at most
/// `capacity` are kept, and processes beyond that are read in full each time.
public final class ProcessHandles: Sendable {
    /// Descriptors kept at most.
    public let capacity: Int
    /// Whether process descriptors may be used where the procfs allows them (tests turn them off to
    /// exercise `statm` on the real procfs).
    public let allowsProcessDescriptors: Bool
    /// Whether a refresh may start from the previous snapshot and read only the containers in doubt
    /// (see `KernelReader.snapshot(targets:previous:handles:)`); tests turn it off to compare the
    /// result with a read of every container.
    public let carriesOver: Bool
    private let state = Mutex(HandleState())

    /// - Parameter capacity: by default what `RLIMIT_NOFILE` leaves once ``reservedDescriptors`` are
    ///   set aside for everything else the process opens. A node gives containers a limit far above
    ///   its container count (containerd's unit sets `LimitNOFILE=infinity`: 1,048,576); where the
    ///   limit is tighter, the processes beyond the capacity are read in full each refresh.
    public init(capacity: Int? = nil, allowsProcessDescriptors: Bool = true, carriesOver: Bool = true) {
        self.capacity = capacity ?? Self.defaultCapacity()
        self.allowsProcessDescriptors = allowsProcessDescriptors
        self.carriesOver = carriesOver
    }

    deinit {
        state.withLock { $0.closeAll() }
    }

    /// Descriptors open now.
    public var count: Int { state.withLock { $0.descriptors.count } }

    /// How many snapshots were the previous one taken as it was (a steady node, see
    /// `KernelReader.snapshot(targets:previous:handles:)`).
    public var steadySnapshots: Int { state.withLock { $0.steadySnapshots } }

    /// How many snapshots were the previous one with only the containers in doubt read again.
    public var carriedSnapshots: Int { state.withLock { $0.carriedSnapshots } }

    /// Runs `body` with the descriptors as a table it may change; one refresh at a time holds them.
    /// `procfsIsOwn`: whether the reader's procfs shows this process's PID namespace.
    func withTable<T>(procfsIsOwn: Bool, _ body: (ProcessHandleTable) -> T) -> T {
        state.withLock { state in
            let kind = state.kind(wanted: allowsProcessDescriptors && procfsIsOwn ? .processDescriptor : .statm)
            // The table takes the dictionary over (no copy) and gives it back when done.
            let table = ProcessHandleTable(
                descriptors: state.descriptors, capacity: capacity, kind: kind, exitWatch: state.exitWatch)
            table.livingTargets = carriesOver ? state.livingTargets.take() : nil
            state.descriptors = [:]
            defer {
                state.descriptors = table.descriptors
                state.livingTargets = table.livingTargets.take()
                state.steadySnapshots += table.tookSteadySnapshot ? 1 : 0
                state.carriedSnapshots += table.carriedOver ? 1 : 0
            }
            return body(table)
        }
    }

    /// Descriptors left for the rest: up to 256 scrape connections (the server's limit), the
    /// runtime's and the kubelet's connections, the event loops, the files a refresh reads.
    public static let reservedDescriptors = 512

    static func defaultCapacity() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
        let soft = Int(min(limit.rlim_cur, 1 << 20))
        return max(0, soft - reservedDescriptors)
    }
}

/// What a kept descriptor is.
enum ProcessHandleKind: Equatable {
    case processDescriptor, statm
}

/// The descriptors between refreshes, and the epoll instance the process descriptors wait in.
private struct HandleState {
    var descriptors: [Int32: Int32] = [:]
    /// See ``ProcessHandleTable/livingTargets``.
    var livingTargets: LivingTargets?
    var steadySnapshots = 0
    var carriedSnapshots = 0
    var currentKind: ProcessHandleKind?
    var exitWatch: Int32 = -1

    /// The kind to use now: `wanted`, unless process descriptors cannot be had (then `statm`). A
    /// change of kind closes what the other kind kept.
    mutating func kind(wanted: ProcessHandleKind) -> ProcessHandleKind {
        var kind = wanted
        if kind == .processDescriptor, exitWatch < 0 {
            exitWatch = ProcessDescriptors.available ? crisync_exit_watch_create() : -1
            if exitWatch < 0 { kind = .statm }
        }
        if kind != currentKind {
            for fd in descriptors.values { _ = close(fd) }
            descriptors = [:]
            livingTargets = nil
            currentKind = kind
        }
        return kind
    }

    mutating func closeAll() {
        for fd in descriptors.values { _ = close(fd) }
        descriptors = [:]
        if exitWatch >= 0 { _ = close(exitWatch) }
        exitWatch = -1
    }
}

/// Whether this kernel has `pidfd_open` (asked once, of this process itself).
enum ProcessDescriptors {
    static let available: Bool = {
        let fd = crisync_pidfd_open(getpid())
        guard fd >= 0 else { return false }
        _ = close(fd)
        return true
    }()
}

/// The open descriptors as one refresh uses them (inside ``ProcessHandles/withTable(procfsIsOwn:_:)``).
final class ProcessHandleTable {
    enum Liveness {
        case alive, exited, gone
    }

    /// PID → open descriptor (a process descriptor or its `statm`, by `kind`).
    private(set) var descriptors: [Int32: Int32]
    let capacity: Int
    let kind: ProcessHandleKind
    private let exitWatch: Int32
    /// Process descriptors: the PIDs whose process had exited when the refresh began.
    private let exited: Set<Int32>

    init(descriptors: [Int32: Int32], capacity: Int, kind: ProcessHandleKind, exitWatch: Int32) {
        self.descriptors = descriptors
        self.capacity = capacity
        self.kind = kind
        self.exitWatch = exitWatch
        if kind == .processDescriptor, !descriptors.isEmpty {
            var pids = [pid_t](repeating: 0, count: descriptors.count + 1)
            let count = crisync_exit_watch_exited(exitWatch, &pids, Int32(pids.count))
            // Should epoll fail, every kept process counts as exited and is read in full.
            exited = count >= 0 ? Set(pids.prefix(Int(count))) : Set(descriptors.keys)
        } else {
            exited = []
        }
    }

    var hasRoom: Bool { descriptors.count < capacity }

    /// What the last snapshot knew for sure, and what it read in doubt (see ``LivingTargets``); nil
    /// when nothing may be carried over (the first refresh, or a change of descriptor kind).
    var livingTargets: LivingTargets?

    /// Set when this refresh took the previous snapshot as it was.
    var tookSteadySnapshot = false
    /// Set when this refresh carried the previous snapshot over and read only what was in doubt.
    var carriedOver = false

    /// Whether the process kept for `pid` lives on.
    func liveness(of pid: Int32, using reader: FileReader) -> Liveness? {
        guard let fd = descriptors[pid] else { return nil }
        switch kind {
        case .processDescriptor:
            return exited.contains(pid) ? .exited : .alive
        case .statm:
            // A read that fails otherwise counts as exited, so the process is read in full and the
            // failure reported from there.
            do {
                return ProcStatmParser.hasMemory(try reader.read(descriptor: fd)) == true ? .alive : .exited
            } catch {
                return error.isGone ? .gone : .exited
            }
        }
    }

    /// A process descriptor for `pid`, opened before its files are read: if the PID changes hands
    /// between the two, the descriptor's process has exited and the next refresh reads it afresh.
    func openBeforeReading(_ pid: Int32) -> Int32? {
        guard kind == .processDescriptor, hasRoom else { return nil }
        let fd = crisync_pidfd_open(pid)
        return fd >= 0 ? fd : nil
    }

    /// A `statm` descriptor, opened through the directory the process was read from.
    func openAfterReading(directoryFD: Int32) -> Int32? {
        guard kind == .statm, hasRoom else { return nil }
        return try? FileReader.openFile("statm", relativeTo: directoryFD)
    }

    /// Keeps `fd` for `pid`; false (and `fd` closed) when it cannot be watched.
    @discardableResult
    func keep(_ fd: Int32, for pid: Int32) -> Bool {
        if kind == .processDescriptor, crisync_exit_watch_add(exitWatch, fd, pid) != 0 {
            _ = close(fd)
            return false
        }
        if let old = descriptors.updateValue(fd, forKey: pid), old != fd { _ = close(old) }
        return true
    }

    /// Closing a process descriptor also takes it out of the epoll instance.
    func drop(_ pid: Int32) {
        if let fd = descriptors.removeValue(forKey: pid) { _ = close(fd) }
    }

    /// Closes the descriptors of processes no longer asked about (their containers are gone or
    /// no longer running).
    func keepOnly(_ pids: Set<Int32>) {
        for pid in descriptors.keys where !pids.contains(pid) { drop(pid) }
    }
}
