#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

/// `/proc/<pid>/stat` of the containers' processes, kept open from one refresh to the next.
///
/// Reading an open procfs file again (`pread` at offset 0, which makes the kernel generate it afresh)
/// is one system call, where opening it is three (open, read, close) plus the path walk through
/// `/proc/<pid>`: most of what a steady refresh costs. The descriptor also stays bound to the process
/// it was opened for: once that process is reaped it answers ESRCH, even if its PID went to another
/// process, so a recycled PID can never be read in its place.
///
/// It costs one descriptor per running container (`process_open_fds` grows with the node); at most
/// `capacity` are kept, and processes beyond that are read by opening the file each time.
public final class ProcStatHandles: Sendable {
    /// Descriptors kept at most.
    public let capacity: Int
    /// PID → open descriptor of its `stat`.
    private let descriptors = Mutex<[Int32: Int32]>([:])

    /// - Parameter capacity: by default half of what `RLIMIT_NOFILE` leaves once 256 descriptors are
    ///   set aside for everything else the process opens (sockets, scrapes, reads).
    public init(capacity: Int? = nil) {
        self.capacity = capacity ?? Self.defaultCapacity()
    }

    deinit {
        descriptors.withLock { descriptors in
            for fd in descriptors.values { _ = close(fd) }
        }
    }

    /// Descriptors open now.
    public var count: Int { descriptors.withLock { $0.count } }

    /// Runs `body` with the descriptors as a table it may change; one refresh at a time holds them.
    func withTable<T>(_ body: (StatHandleTable) -> T) -> T {
        descriptors.withLock { descriptors in
            // The table takes the dictionary over (no copy) and gives it back when done.
            let table = StatHandleTable(descriptors: descriptors, capacity: capacity)
            descriptors = [:]
            defer { descriptors = table.descriptors }
            return body(table)
        }
    }

    static func defaultCapacity() -> Int {
        var limit = rlimit()
        guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
        let soft = Int(min(limit.rlim_cur, 1 << 20))
        return max(0, (soft - 256) / 2)
    }
}

/// The open descriptors as one refresh uses them (inside ``ProcStatHandles/withTable(_:)``).
final class StatHandleTable {
    /// PID → open descriptor of its `stat`.
    private(set) var descriptors: [Int32: Int32]
    let capacity: Int

    init(descriptors: [Int32: Int32], capacity: Int) {
        self.descriptors = descriptors
        self.capacity = capacity
    }

    var hasRoom: Bool { descriptors.count < capacity }

    func keep(_ fd: Int32, for pid: Int32) {
        if let old = descriptors.updateValue(fd, forKey: pid), old != fd { _ = close(old) }
    }

    func drop(_ pid: Int32) {
        if let fd = descriptors.removeValue(forKey: pid) { _ = close(fd) }
    }

    /// Closes the descriptors of processes no longer asked about (their containers are gone or
    /// no longer running).
    func keepOnly(_ pids: Set<Int32>) {
        for pid in descriptors.keys where !pids.contains(pid) { drop(pid) }
    }
}
