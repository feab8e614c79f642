import Foundation

/// The cgroup directories of a cgroupfs-driver path in every mounted hierarchy.
public enum LabCgroups {
    /// Mount points of every cgroup v1 hierarchy and of the v2 unified tree, from `/proc/self/mounts`.
    public static func mountPoints(mountsFile: String = "/proc/self/mounts") -> [String] {
        guard let text = try? String(contentsOfFile: mountsFile, encoding: .utf8) else { return [] }
        return text.split(separator: "\n").compactMap { line in
            let fields = line.split(separator: " ")
            guard fields.count > 2, fields[2] == "cgroup" || fields[2] == "cgroup2" else { return nil }
            return String(fields[1])
        }
    }

    /// `<mount point><path>` for every hierarchy where that directory exists.
    public static func directories(of path: String) -> [String] {
        mountPoints().map { $0 + path }.filter { FileManager.default.fileExists(atPath: $0) }
    }
}
