#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Synchronization

/// `/proc/<pid>/statm` of the containers' processes, kept open from one refresh to the next, to
/// tell cheaply that a process lives on.
///
/// Reading an open procfs file again (`pread` at offset 0, which makes the kernel generate it afresh)
/// is one system call, where opening it is three (open, read, close) plus the path walk through
/// `/proc/<pid>`; and `statm` costs the kernel a fraction of `stat` (which sums the CPU times of
/// every thread under a lock). Together they were most of what a steady refresh cost. The
/// descriptor also stays bound to the process it was opened for: once that process is reaped it
/// answers ESRCH, even if its PID went to another process, so a recycled PID is never mistaken for
/// it. While `statm` shows memory the process is the one read before, alive, and its last reading
/// stands (state and parent included: the collector judges a live process by nothing else); an
/// exited process has no memory and is read in full again (see `KernelReader.readProcess`).
///
/// It costs one descriptor per running container (`process_open_fds` grows with the node); at most
/// `capacity` are kept, and processes beyond that are read in full each time.
public final class ProcessHandles: Sendable {
    /// Descriptors kept at most.
    public let capacity: Int
    /// PID → open descriptor of its `statm`.
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
    func withTable<T>(_ body: (ProcessHandleTable) -> T) -> T {
        descriptors.withLock { descriptors in
            // The table takes the dictionary over (no copy) and gives it back when done.
            let table = ProcessHandleTable(descriptors: descriptors, capacity: capacity)
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

/// The open descriptors as one refresh uses them (inside ``ProcessHandles/withTable(_:)``).
final class ProcessHandleTable {
    /// PID → open descriptor of its `statm`.
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
