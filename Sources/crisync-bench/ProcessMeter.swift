import Foundation
import Glibc

/// Clocks and memory of this process, read the cheap way: `clock_gettime` for time and CPU time,
/// `/proc/self/status` for resident memory.
enum ProcessMeter {
    /// Monotonic time, in seconds.
    static func now() -> Double {
        read(CLOCK_MONOTONIC)
    }

    /// CPU time of the whole process (every thread: the gRPC and HTTP event loops too), in seconds.
    static func processCPU() -> Double {
        read(CLOCK_PROCESS_CPUTIME_ID)
    }

    /// CPU time of the calling thread, in seconds: for phases that run synchronously on one thread.
    static func threadCPU() -> Double {
        read(CLOCK_THREAD_CPUTIME_ID)
    }

    /// Resident set size now (`VmRSS`), in bytes; 0 if it cannot be read.
    static func residentBytes() -> Int {
        statusField("VmRSS:")
    }

    /// Resident anonymous memory (`RssAnon`: heap, stacks), in bytes: what crisync's own data costs.
    static func residentAnonymousBytes() -> Int {
        statusField("RssAnon:")
    }

    /// Peak resident set size (`VmHWM`), in bytes; 0 if it cannot be read.
    static func peakResidentBytes() -> Int {
        statusField("VmHWM:")
    }

    private static func read(_ clock: clockid_t) -> Double {
        var spec = timespec()
        clock_gettime(clock, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    private static func statusField(_ name: String) -> Int {
        OtherProcess.statusField(name, path: "/proc/self/status") ?? 0
    }
}

/// CPU ticks (`utime + stime`) of another process from `/proc/<pid>/stat`, and its memory.
enum OtherProcess {
    static let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))

    /// User plus system CPU time, in seconds; nil when the process is gone.
    static func cpuSeconds(pid: Int32) -> Double? {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return nil }
        // After the command: field 3 (state) is index 0, so utime (14) is 11 and stime (15) is 12.
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        guard fields.count > 12, let user = Double(fields[11]), let system = Double(fields[12]) else { return nil }
        return (user + system) / ticksPerSecond
    }

    /// `VmRSS` of the process, in bytes; nil when the process is gone.
    static func residentBytes(pid: Int32) -> Int? {
        statusField("VmRSS:", path: "/proc/\(pid)/status")
    }

    /// Resident memory split: anonymous (`RssAnon`: heap, stacks) and file-backed (`RssFile`: the
    /// binary's and libraries' pages mapped in), in bytes; nil when the process is gone.
    static func residentSplit(pid: Int32) -> (anonymous: Int, file: Int)? {
        let path = "/proc/\(pid)/status"
        guard let anonymous = statusField("RssAnon:", path: path), let file = statusField("RssFile:", path: path) else { return nil }
        return (anonymous, file)
    }

    /// A `kB` field of a `/proc/<pid>/status` file, in bytes.
    static func statusField(_ name: String, path: String) -> Int? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        for line in text.split(separator: "\n") where line.hasPrefix(name) {
            let kilobytes = line.dropFirst(name.count).split(whereSeparator: { $0 == " " || $0 == "\t" }).first.flatMap { Int($0) } ?? 0
            return kilobytes * 1024
        }
        return nil
    }
}
