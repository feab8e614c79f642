#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif

/// Why a procfs or cgroup file's bytes are not what the kernel writes. Thrown by the pure parsers
/// (bytes in, values out); the reader wraps it in ``KernelReaderError/malformed(path:_:)`` with the file.
public enum KernelParseError: Error, Hashable, CustomStringConvertible {
    /// The file was empty.
    case empty
    /// `/proc/<pid>/stat` without `(` and a later `)` around the command name.
    case missingCommandName
    /// A required field is not there (the line ended early), e.g. `starttime` (field 22).
    case missingField(String)
    /// A field is not what the kernel writes there, e.g. `ppid` is not a decimal number.
    case invalidField(name: String, value: String)
    /// A line of `/proc/<pid>/cgroup` that is not `hierarchy-ID:controller-list:cgroup-path` (1-based line number).
    case malformedLine(number: Int, text: String)

    public var description: String {
        switch self {
        case .empty: "empty file"
        case .missingCommandName: "no \"(command)\" field"
        case .missingField(let name): "field \(name) is missing (line ends early)"
        case .invalidField(let name, let value): "field \(name) is not valid: \"\(value)\""
        case .malformedLine(let number, let text): "line \(number) is not \"id:controllers:path\": \"\(text)\""
        }
    }
}

/// Why the kernel reader could not read something. Each description is one line naming the file.
public enum KernelReaderError: Error, Hashable, CustomStringConvertible {
    /// A file could not be opened or read; `errno` is the C error number.
    case readFailed(path: String, errno: Int32)
    /// A file is larger than the reader's cap (bytes); procfs sizes are not trusted, so reads are capped.
    case fileTooLarge(path: String, limit: Int)
    /// A file's contents are not what the kernel writes.
    case malformed(path: String, KernelParseError)
    /// No cgroup v1 hierarchy and no cgroup2 tree under the cgroup root.
    case noCgroupHierarchy(root: String)

    public var description: String {
        switch self {
        case .readFailed(let path, let code): "cannot read \(path): \(errnoDescription(code))"
        case .fileTooLarge(let path, let limit): "cannot read \(path): larger than the \(limit)-byte cap"
        case .malformed(let path, let cause): "malformed \(path): \(cause)"
        case .noCgroupHierarchy(let root):
            "no cgroup hierarchy under \(root) (expected cgroup.controllers, or v1 controller directories with cgroup.procs)"
        }
    }
}

/// `strerror` text with the symbolic number, e.g. `No such file or directory (errno 2)`.
func errnoDescription(_ code: Int32) -> String {
    guard let text = strerror(code) else { return "errno \(code)" }
    return "\(String(cString: text)) (errno \(code))"
}
