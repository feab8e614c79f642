/// Where the cgroup hierarchies are mounted under the cgroup root, found once at start.
///
/// - `unified`: cgroup v2 only; the root itself holds `cgroup.controllers`.
/// - `v1`: one directory per controller (or co-mounted set, e.g. `cpu,cpuacct`), each with `cgroup.procs`.
/// - `hybrid`: v1 controllers plus a cgroup2 tree in a subdirectory (usually `unified`), as on
///   systemd hosts in hybrid mode; the v2 tree then has no memory controller.
public struct CgroupLayout: Sendable, Hashable {
    public enum Kind: String, Sendable, Hashable {
        case v1
        case unified
        case hybrid
    }

    /// One v1 hierarchy: its mount directory and the controllers named by the directory
    /// (`memory`, `cpu,cpuacct`, `systemd` for the named `name=systemd` hierarchy).
    public struct V1Hierarchy: Sendable, Hashable {
        public var directory: String
        public var controllers: [String]

        public init(directory: String, controllers: [String]) {
            self.directory = directory
            self.controllers = controllers
        }
    }

    public var kind: Kind
    /// The cgroup2 tree's directory; nil on pure v1.
    public var unifiedDirectory: String?
    /// The v1 hierarchies, sorted by directory; empty on pure v2.
    public var v1Hierarchies: [V1Hierarchy]
    /// Whether the cgroup2 tree has the memory controller (its root's `cgroup.controllers` lists
    /// `memory`). Without it no cgroup of that tree has `memory.events`, so it is not looked for.
    public var unifiedHasMemoryController: Bool

    public init(kind: Kind, unifiedDirectory: String?, v1Hierarchies: [V1Hierarchy], unifiedHasMemoryController: Bool = true) {
        self.kind = kind
        self.unifiedDirectory = unifiedDirectory
        self.v1Hierarchies = v1Hierarchies
        self.unifiedHasMemoryController = unifiedDirectory != nil && unifiedHasMemoryController
    }

    /// The v1 hierarchy that has the memory controller (its `cgroup.procs` and `memory.oom_control`).
    var v1Memory: V1Hierarchy? { v1Hierarchies.first { $0.controllers.contains("memory") } }

    /// Detects the layout under `root`; throws when there is no hierarchy at all, so a wrong
    /// `--path.cgroupfs` fails at start rather than reporting every cgroup as missing.
    static func detect(root: String) throws(KernelReaderError) -> CgroupLayout {
        if FileSystem.exists(root + "/cgroup.controllers") {
            return CgroupLayout(kind: .unified, unifiedDirectory: root, v1Hierarchies: [], unifiedHasMemoryController: hasMemoryController(root))
        }
        guard let names = FileSystem.directoryEntries(root) else {
            throw .noCgroupHierarchy(root: root)
        }
        var unified: String?
        var v1: [V1Hierarchy] = []
        for name in names {
            let directory = root + "/" + name
            guard FileSystem.isRealDirectory(directory) else { continue }
            if FileSystem.exists(directory + "/cgroup.controllers") {
                // Prefer the conventional name if there were ever two cgroup2 mounts.
                if unified == nil || name == "unified" { unified = directory }
            } else if FileSystem.exists(directory + "/cgroup.procs") {
                v1.append(V1Hierarchy(directory: directory, controllers: name.split(separator: ",").map(String.init)))
            }
        }
        switch (unified, v1.isEmpty) {
        case (nil, true): throw .noCgroupHierarchy(root: root)
        case (nil, false): return CgroupLayout(kind: .v1, unifiedDirectory: nil, v1Hierarchies: v1)
        case (let unified?, true):
            return CgroupLayout(
                kind: .unified, unifiedDirectory: unified, v1Hierarchies: [], unifiedHasMemoryController: hasMemoryController(unified))
        case (let unified?, false):
            return CgroupLayout(
                kind: .hybrid, unifiedDirectory: unified, v1Hierarchies: v1, unifiedHasMemoryController: hasMemoryController(unified))
        }
    }

    /// `memory` among the controllers of the cgroup2 tree at `directory`; true when that cannot be
    /// read, so `memory.events` is still tried.
    private static func hasMemoryController(_ directory: String) -> Bool {
        let reader = FileReader(capacity: 4096)
        guard let bytes = try? reader.read(directory + "/cgroup.controllers") else { return true }
        // The bytes live in the reader's buffer: keep it until they are read.
        return withExtendedLifetime(reader) {
            bytes.split(whereSeparator: { $0 == UInt8(ascii: " ") || $0 == UInt8(ascii: "\n") })
                .contains { $0.elementsEqual("memory".utf8) }
        }
    }
}
