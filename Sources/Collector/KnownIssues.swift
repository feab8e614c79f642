/// Runtime releases with known state-sync bugs. The table is data, kept here in one place.
public struct KnownIssue: Sendable, Hashable {
    public var issue: String
    public var fixedIn: String
    public var summary: String
    public var references: String

    public init(issue: String, fixedIn: String, summary: String, references: String) {
        self.issue = issue
        self.fixedIn = fixedIn
        self.summary = summary
        self.references = references
    }
}

/// One affected range: versions `>= from` and `< fixedIn` (same release line).
struct AffectedRange: Sendable {
    var issue: String
    var from: RuntimeReleaseVersion
    var fixedIn: RuntimeReleaseVersion
    var summary: String
    var references: String
}

/// `major.minor.patch`, parsed leniently from what the runtime reports (`1.6.20~ds1`, `v1.7.14`, `2.0.0-rc.1`).
public struct RuntimeReleaseVersion: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var major: Int
    public var minor: Int
    public var patch: Int

    public init(_ major: Int, _ minor: Int, _ patch: Int) {
        self.major = major
        self.minor = minor
        self.patch = patch
    }

    public init?(parsing text: String) {
        var body = Substring(text)
        if body.first == "v" { body = body.dropFirst() }
        let numeric = body.prefix { $0.isNumber || $0 == "." }
        let parts = numeric.split(separator: ".").compactMap { Int($0) }
        guard parts.count >= 2 else { return nil }
        self.init(parts[0], parts[1], parts.count > 2 ? parts[2] : 0)
    }

    public static func < (a: Self, b: Self) -> Bool { (a.major, a.minor, a.patch) < (b.major, b.minor, b.patch) }
    public var description: String { "\(major).\(minor).\(patch)" }
}

public enum KnownIssues {
    private static let missedInitExit =
        "containerd can miss the exit of a container's init process (OOM kill or crash): the container stays RUNNING with a dead or zombie PID"
    private static let lostExitEvent =
        "containerd can lose exit events that arrive before the container's info is cached: the container stays RUNNING"

    static let table: [AffectedRange] = [
        AffectedRange(
            issue: "missed-init-exit", from: .init(1, 6, 29), fixedIn: .init(1, 6, 36), summary: missedInitExit,
            references: "containerd PRs #9828 and #10651, issue #10589"),
        AffectedRange(
            issue: "missed-init-exit", from: .init(1, 7, 14), fixedIn: .init(1, 7, 22), summary: missedInitExit,
            references: "containerd PRs #9828 and #10651, issue #10589"),
        // Every release before the fix is affected; 1.6 and older never got it, so 1.7.34 is the upgrade target.
        AffectedRange(
            issue: "lost-exit-event", from: .init(0, 0, 0), fixedIn: .init(1, 7, 34), summary: lostExitEvent,
            references: "containerd PR #11579"),
        AffectedRange(
            issue: "lost-exit-event", from: .init(2, 0, 0), fixedIn: .init(2, 0, 9), summary: lostExitEvent,
            references: "containerd PR #11579"),
    ]

    /// The known issues of a runtime, by name and version as CRI `Version` reports them.
    public static func affecting(runtimeName: String, runtimeVersion: String) -> [KnownIssue] {
        guard runtimeName == "containerd", let version = RuntimeReleaseVersion(parsing: runtimeVersion) else { return [] }
        return table.filter { range in
            // A range covers its own release line only, except the open-ended one starting at 0.0.0.
            version >= range.from && version < range.fixedIn
                && (range.from == RuntimeReleaseVersion(0, 0, 0)
                    || (version.major == range.from.major && version.minor == range.from.minor))
        }.map { KnownIssue(issue: $0.issue, fixedIn: $0.fixedIn.description, summary: $0.summary, references: $0.references) }
    }
}
