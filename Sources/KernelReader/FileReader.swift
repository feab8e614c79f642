#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Why a file could not be read: the one place where errno turns into a Swift error.
enum FileReadError: Error {
    case system(errno: Int32)
    /// The file holds more than the reader's capacity.
    case tooLarge

    /// ENOENT or ESRCH: the process (or cgroup) went away while being read.
    var isGone: Bool {
        if case .system(let code) = self { return code == ENOENT || code == ESRCH }
        return false
    }

    func readerError(path: String, limit: Int) -> KernelReaderError {
        switch self {
        case .system(let code): .readFailed(path: path, errno: code)
        case .tooLarge: .fileTooLarge(path: path, limit: limit)
        }
    }
}

/// Reads whole small files into one reusable buffer with `open`/`read`, capped at `capacity` bytes.
/// File sizes in /proc and /sys are not trusted (they say 0 or 4096), so the cap is the only bound.
/// Not thread-safe and the returned bytes live only until the next read: make one per call or per
/// snapshot, never share one.
final class FileReader {
    /// The largest file this reader accepts, in bytes.
    let capacity: Int
    private let buffer: UnsafeMutableRawBufferPointer

    init(capacity: Int) {
        precondition(capacity > 0)
        self.capacity = capacity
        self.buffer = .allocate(byteCount: capacity + 1, alignment: 16)
    }

    deinit { buffer.deallocate() }

    /// The whole file at `path` (relative to the open directory `directory`, or absolute with `AT_FDCWD`).
    /// The bytes are valid until the next call on this reader.
    /// - Parameter singleRecord: the file is a single-record seq_file (see below), so a short read is
    ///   its end; false for files written a page at a time, such as `/proc/vmstat`.
    func read(
        _ path: String, relativeTo directory: Int32 = AT_FDCWD, singleRecord: Bool = true
    ) throws(FileReadError) -> UnsafeBufferPointer<UInt8> {
        let fd = try Self.open(path, relativeTo: directory, flags: O_RDONLY | O_CLOEXEC)
        defer { _ = close(fd) }
        return try read(descriptor: fd, singleRecord: singleRecord)
    }

    /// The whole file open at `fd`, read from offset 0 with `pread`: a procfs or cgroup fs file is
    /// generated afresh by every read that starts at 0, so one descriptor serves every refresh.
    func read(descriptor fd: Int32, singleRecord: Bool = true) throws(FileReadError) -> UnsafeBufferPointer<UInt8> {
        // One byte beyond the cap tells "exactly capacity bytes" from "more than capacity".
        var total = 0
        while total <= capacity {
            let requested = capacity + 1 - total
            let count = pread(fd, buffer.baseAddress! + total, requested, off_t(total))
            if count < 0 {
                if errno == EINTR { continue }
                throw .system(errno: errno)
            }
            if count == 0 { break }
            total += count
            // Every file read here (`/proc/stat`, `/proc/<pid>/{stat,cgroup}`, `cgroup.events`,
            // `memory.events`, `memory.oom_control`) is a single-record seq_file: the kernel writes it
            // whole into the first read that has room, and a short read of a regular file (fixture
            // trees) is its end. Asking again only to hear 0 was a fifth of the reader's system
            // calls. Not for multi-record files such as `cgroup.procs`, which come a page at a time.
            if singleRecord && count < requested { break }
        }
        if total > capacity { throw .tooLarge }
        return UnsafeBufferPointer(start: buffer.baseAddress!.assumingMemoryBound(to: UInt8.self), count: total)
    }

    /// Whether the file at `path` has at least one byte, with a single `read` (enough for `cgroup.procs`,
    /// which can be long). Throws when it cannot be opened or read.
    func hasContent(_ path: String) throws(FileReadError) -> Bool {
        let fd = try Self.open(path, relativeTo: AT_FDCWD, flags: O_RDONLY | O_CLOEXEC)
        defer { _ = close(fd) }
        while true {
            let count = Glibc.read(fd, buffer.baseAddress!, min(capacity, 4096))
            if count < 0 {
                if errno == EINTR { continue }
                throw .system(errno: errno)
            }
            return count > 0
        }
    }

    /// A descriptor open for reading, to be read with ``read(descriptor:singleRecord:)``; the caller closes it.
    static func openFile(_ path: String, relativeTo directory: Int32 = AT_FDCWD) throws(FileReadError) -> Int32 {
        try open(path, relativeTo: directory, flags: O_RDONLY | O_CLOEXEC)
    }

    /// An open directory descriptor; the caller closes it.
    static func openDirectory(_ path: String) throws(FileReadError) -> Int32 {
        try open(path, relativeTo: AT_FDCWD, flags: O_RDONLY | O_DIRECTORY | O_CLOEXEC)
    }

    private static func open(_ path: String, relativeTo directory: Int32, flags: Int32) throws(FileReadError) -> Int32 {
        while true {
            let fd = openat(directory, path, flags)
            if fd >= 0 { return fd }
            if errno == EINTR { continue }
            throw .system(errno: errno)
        }
    }
}

/// File-system questions that need no buffer.
enum FileSystem {
    static func isDirectory(_ path: String) -> Bool {
        var info = stat()
        return stat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    /// A directory that is not a symbolic link (v1 co-mounted controllers such as `cpu,cpuacct` are
    /// also reachable through `cpu` and `cpuacct` links; counting those twice would be wasted reads).
    static func isRealDirectory(_ path: String) -> Bool {
        var info = stat()
        return lstat(path, &info) == 0 && (info.st_mode & S_IFMT) == S_IFDIR
    }

    static func exists(_ path: String) -> Bool {
        access(path, F_OK) == 0
    }

    /// The names in a directory, without `.` and `..`, sorted; nil if it cannot be listed.
    static func directoryEntries(_ path: String) -> [String]? {
        guard let directory = opendir(path) else { return nil }
        defer { closedir(directory) }
        var names: [String] = []
        while let entry = readdir(directory) {
            let name = withUnsafePointer(to: &entry.pointee.d_name) { tuple in
                tuple.withMemoryRebound(to: CChar.self, capacity: MemoryLayout.size(ofValue: tuple.pointee)) {
                    String(cString: $0)
                }
            }
            if name != "." && name != ".." { names.append(name) }
        }
        return names.sorted()
    }
}
