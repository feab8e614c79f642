import Foundation

/// What the scenarios created and changed, kept in the state directory so that `release` and
/// `cleanup` (often another process, after a crash or Ctrl-C) act on exactly that, by ID and PID.
public struct LabRecord: Codable, Sendable, Equatable {
    public struct Pod: Codable, Sendable, Equatable {
        public var id: String
        public var name: String
        public var namespace: String
        public var uid: String
        /// `<cgroup root>/pod<uid>`: the cgroupfs driver never removes it, cleanup does.
        public var cgroupParent: String
        public var scenario: String
        /// Marked deleted through the mirror's override; `release` finishes the deletion.
        public var pendingDeletion: Bool

        public var reference: PodReference { PodReference(namespace: namespace, name: name) }
    }

    /// A shim the scenarios SIGSTOPped; `release` SIGCONTs it.
    public struct StoppedShim: Codable, Sendable, Equatable {
        public var pid: Int32
        /// The sandbox the shim serves (its `-id`), to tell it from a process that reused the PID.
        public var sandboxID: String
        public var pod: String
    }

    /// A long-running scenario process (the OOM loop's restart controller).
    public struct Controller: Codable, Sendable, Equatable {
        public var pid: Int32
        public var scenario: String
        /// `/proc/<pid>/stat` field 22, to tell it from a process that reused the PID.
        public var startTicks: UInt64
    }

    public var pods: [Pod] = []
    public var stoppedShims: [StoppedShim] = []
    public var controllers: [Controller] = []

    public init() {}
}

/// The state directory: `lab-state.json` (a ``LabRecord``) and `overrides/` (the mirror's
/// ``PodOverrideStore``). Every change takes an exclusive `flock` on `lab-state.lock`, so a
/// scenario and the OOM loop's controller can record at the same time.
public struct LabStateStore: Sendable {
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    public var recordPath: String { directory + "/lab-state.json" }
    public var overrides: PodOverrideStore { PodOverrideStore(directory: directory + "/overrides") }

    /// The record; empty when there is none yet.
    public func read() throws(LabError) -> LabRecord {
        guard let data = FileManager.default.contents(atPath: recordPath) else { return LabRecord() }
        do {
            return try JSONDecoder().decode(LabRecord.self, from: data)
        } catch {
            throw .stateFile(path: recordPath, reason: "not a lab record (\(error.localizedDescription)); remove it after cleaning up by hand")
        }
    }

    /// Reads, changes and writes the record under the lock; returns what `change` returns.
    @discardableResult
    public func update<Result>(_ change: (inout LabRecord) -> Result) throws(LabError) -> Result {
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw .stateFile(path: directory, reason: "cannot create: \(error.localizedDescription)")
        }
        let lockPath = directory + "/lab-state.lock"
        let descriptor = open(lockPath, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else { throw .stateFile(path: lockPath, reason: "cannot open: errno \(errno)") }
        defer { close(descriptor) }
        guard flock(descriptor, LOCK_EX) == 0 else { throw .stateFile(path: lockPath, reason: "cannot lock: errno \(errno)") }
        var record = try read()
        let result = change(&record)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        do {
            try encoder.encode(record).write(to: URL(fileURLWithPath: recordPath), options: .atomic)
        } catch {
            throw .stateFile(path: recordPath, reason: "cannot write: \(error.localizedDescription)")
        }
        return result
    }
}

/// Facts about processes that `/proc/<pid>/stat` gives, for acting on a recorded PID only while it
/// still names the process that was recorded.
enum ProcessIdentity {
    /// Field 22 (`starttime`, clock ticks since boot); nil when the process is gone.
    static func startTicks(of pid: Int32) -> UInt64? {
        guard let data = FileManager.default.contents(atPath: "/proc/\(pid)/stat") else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        guard let close = text.lastIndex(of: ")") else { return nil }
        let fields = text[text.index(after: close)...].split(separator: " ")
        // fields[0] is field 3 (state), so field 22 is fields[19].
        return fields.count > 19 ? UInt64(fields[19]) : nil
    }
}
