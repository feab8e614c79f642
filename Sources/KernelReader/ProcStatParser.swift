import Model

/// The fields crisync uses from one `/proc/<pid>/stat` line (see proc(5); field numbers are 1-based).
public struct ProcStat: Sendable, Hashable {
    /// Field 1.
    public var pid: Int32
    /// Field 2 without its parentheses: everything from the first `(` to the last `)`, so a command
    /// name that itself contains `)`, spaces or newlines comes through whole.
    public var command: String
    /// Field 3.
    public var state: ProcessState
    /// Field 4.
    public var ppid: Int32
    /// Field 22 `starttime`: clock ticks (`sysconf(_SC_CLK_TCK)`) after boot.
    public var startTimeTicks: UInt64
    /// Field 52 `exit_code` (Linux 3.5+), the raw wait status once the process has exited;
    /// nil when the line has fewer than 52 fields.
    public var exitCode: Int32?

    public init(pid: Int32, command: String, state: ProcessState, ppid: Int32, startTimeTicks: UInt64, exitCode: Int32? = nil) {
        self.pid = pid
        self.command = command
        self.state = state
        self.ppid = ppid
        self.startTimeTicks = startTimeTicks
        self.exitCode = exitCode
    }
}

/// Parses `/proc/<pid>/stat`. Fields up to `starttime` (22) are required; later ones are optional so
/// lines from old kernels (and lines cut short by whoever stored them) still parse.
public enum ProcStatParser {
    static let stateField = 3
    static let ppidField = 4
    static let startTimeField = 22
    static let exitCodeField = 52

    public static func parse(_ bytes: [UInt8]) throws(KernelParseError) -> ProcStat {
        do {
            return try bytes.withUnsafeBufferPointer { buffer throws(KernelParseError) in try parse(buffer) }
        }
    }

    public static func parse(_ text: String) throws(KernelParseError) -> ProcStat {
        try parse(Array(text.utf8))
    }

    public static func parse(_ bytes: UnsafeBufferPointer<UInt8>) throws(KernelParseError) -> ProcStat {
        guard !bytes.isEmpty else { throw .empty }
        // The command name is the only field that can hold arbitrary bytes, so it is bracketed by the
        // first "(" and the last ")"; a name like "a) R 1 (" cannot shift the fields after it.
        guard let open = bytes.firstIndex(of: .openParen),
            let close = bytes.lastIndex(of: .closeParen), open < close
        else { throw .missingCommandName }

        let pidBytes = trimmed(UnsafeBufferPointer(rebasing: bytes[bytes.startIndex..<open]))
        guard let pid = parseInt32(pidBytes), pid > 0 else {
            throw .invalidField(name: "pid", value: excerpt(pidBytes))
        }
        let command = String(decoding: UnsafeBufferPointer(rebasing: bytes[(open + 1)..<close]), as: UTF8.self)

        var state: ProcessState?
        var ppid: Int32?
        var startTimeTicks: UInt64?
        var exitCode: Int32?
        var fieldNumber = 2
        var index = close + 1
        while index < bytes.endIndex {
            while index < bytes.endIndex && bytes[index].isFieldSeparator { index += 1 }
            guard index < bytes.endIndex else { break }
            let start = index
            while index < bytes.endIndex && !bytes[index].isFieldSeparator { index += 1 }
            fieldNumber += 1
            let field = UnsafeBufferPointer(rebasing: bytes[start..<index])
            switch fieldNumber {
            case stateField:
                guard field.count == 1 else { throw .invalidField(name: "state", value: excerpt(field)) }
                state = ProcessState(letter: Character(Unicode.Scalar(field[0])))
            case ppidField:
                guard let value = parseInt32(field), value >= 0 else {
                    throw .invalidField(name: "ppid", value: excerpt(field))
                }
                ppid = value
            case startTimeField:
                guard let value = parseUInt64(field) else {
                    throw .invalidField(name: "starttime", value: excerpt(field))
                }
                startTimeTicks = value
            case exitCodeField:
                guard let value = parseInt32(field) else {
                    throw .invalidField(name: "exit_code", value: excerpt(field))
                }
                exitCode = value
            default:
                break
            }
            if fieldNumber >= exitCodeField { break }
        }
        guard let state else { throw .missingField("state") }
        guard let ppid else { throw .missingField("ppid") }
        guard let startTimeTicks else { throw .missingField("starttime") }
        return ProcStat(pid: pid, command: command, state: state, ppid: ppid, startTimeTicks: startTimeTicks, exitCode: exitCode)
    }

    private static func trimmed(_ bytes: UnsafeBufferPointer<UInt8>) -> UnsafeBufferPointer<UInt8> {
        var start = bytes.startIndex
        var end = bytes.endIndex
        while start < end && bytes[start].isFieldSeparator { start += 1 }
        while end > start && bytes[end - 1].isFieldSeparator { end -= 1 }
        return UnsafeBufferPointer(rebasing: bytes[start..<end])
    }
}
