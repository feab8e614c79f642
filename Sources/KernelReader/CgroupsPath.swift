#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#endif
import Model

/// A container's runtime `cgroupsPath` (OCI `linux.cgroupsPath`), turned into the directory path the
/// container has inside every cgroup hierarchy, and matched against a process's `/proc/<pid>/cgroup`.
public enum CgroupsPath {
    /// The path inside each hierarchy, starting with `/`; nil if `cgroupsPath` is empty or malformed.
    ///
    /// - cgroupfs driver: `/kubepods/burstable/pod<uid>/<id>` stays as it is (normalised: no `//`,
    ///   no trailing `/`; `..` is refused). A relative path is taken from the root.
    /// - systemd driver: `slice:prefix:name`, e.g. `kubepods-burstable-pod<uid>.slice:cri-containerd:<id>`
    ///   becomes `/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod<uid>.slice/cri-containerd-<id>.scope`,
    ///   following runc: each `-` in a slice name is one level of nesting, an empty slice is
    ///   `system.slice`, and a name ending in `.slice` is used as is instead of `prefix-name.scope`.
    public static func resolve(_ cgroupsPath: String) -> String? {
        // A NUL would end the path early in open(2), which would then read a parent cgroup.
        if cgroupsPath.isEmpty || containsNUL(cgroupsPath) { return nil }
        // The common case, a path that is already normal, costs one scan and no allocation: this runs
        // for every container on every refresh (see BENCHMARKS.md).
        if isPlainAbsolute(cgroupsPath) { return cgroupsPath }
        if !cgroupsPath.hasPrefix("/") {
            let parts = cgroupsPath.split(separator: ":", omittingEmptySubsequences: false)
            if parts.count == 3 && (parts[0].isEmpty || parts[0].hasSuffix(".slice")) {
                return resolveSystemd(slice: String(parts[0]), prefix: String(parts[1]), name: String(parts[2]))
            }
        }
        return normalise(cgroupsPath)
    }

    /// Whether the process belongs to the container's cgroup: true if, in any hierarchy, the process's
    /// path is the container's path or below it. Nil when the process has no cgroup lines (they could
    /// not be read) or `cgroupsPath` does not resolve; the caller then needs another rule (start times).
    ///
    /// Paths that start with `/..` are relative to a cgroup namespace the reader is not at the root
    /// of; they match when, after the `..` steps, they continue the container path's tail down to and
    /// including its last component (the container ID, which is unique).
    public static func processIsInContainer(_ process: Model.KernelProcess, cgroupsPath: String) -> Bool? {
        if process.cgroups.isEmpty { return nil }
        guard let containerPath = resolve(cgroupsPath) else { return nil }
        var containerComponents: [Substring]?
        for membership in process.cgroups {
            // The usual answer, found first: a container's process sits exactly in its cgroup.
            if membership.path == containerPath { return true }
            if let matches = plainPathMatches(membership.path, containerPath: containerPath) {
                if matches { return true }
                continue
            }
            let components = containerComponents ?? components(containerPath)
            containerComponents = components
            if pathMatches(membership.path, containerComponents: components) { return true }
        }
        return false
    }

    /// What ``pathMatches(_:containerComponents:)`` answers for a plain absolute process path (all the
    /// kernel writes outside cgroup namespaces), by comparing bytes; nil for any other path.
    /// `containerPath` must be a result of ``resolve(_:)``.
    static func plainPathMatches(_ processPath: String, containerPath: String) -> Bool? {
        guard isPlainAbsolute(processPath) else { return nil }
        if containerPath == "/" { return true }
        let process = processPath.utf8
        let container = containerPath.utf8
        guard process.count >= container.count, process.starts(with: container) else { return false }
        if process.count == container.count { return true }
        return process[process.index(process.startIndex, offsetBy: container.count)] == UInt8(ascii: "/")
    }

    /// memchr over the bytes: iterating `utf8` byte by byte cost more than the rest of `resolve`.
    static func containsNUL(_ string: String) -> Bool {
        var string = string
        return string.withUTF8 { bytes in
            guard let base = bytes.baseAddress, !bytes.isEmpty else { return false }
            return memchr(base, 0, bytes.count) != nil
        }
    }

    /// `/a/b/c`: absolute, with no empty, `.` or `..` component and no trailing `/` (or exactly `/`);
    /// such a path is its own normal form.
    static func isPlainAbsolute(_ path: String) -> Bool {
        var path = path
        return path.withUTF8 { bytes in
            let slash = UInt8(ascii: "/")
            let dot = UInt8(ascii: ".")
            guard bytes.first == slash else { return false }
            var start = 1
            for index in 1...bytes.count where index == bytes.count || bytes[index] == slash {
                let length = index - start
                if length == 0 && bytes.count > 1 { return false }
                if length > 0 && length <= 2 && bytes[start] == dot && (length == 1 || bytes[start + 1] == dot) { return false }
                start = index + 1
            }
            return true
        }
    }

    static func pathMatches(_ processPath: String, containerComponents: [Substring]) -> Bool {
        let processComponents = components(processPath)
        if processComponents.starts(with: containerComponents) { return true }
        guard processComponents.first == "..", let containerLeaf = containerComponents.last else { return false }
        let visible = processComponents.drop { $0 == ".." }
        guard let leafIndex = visible.firstIndex(of: containerLeaf) else { return false }
        let visibleHead = visible[visible.startIndex...leafIndex]
        return containerComponents.suffix(visibleHead.count).elementsEqual(visibleHead)
    }

    private static func components(_ path: String) -> [Substring] {
        path.split(separator: "/").filter { $0 != "." }
    }

    private static func normalise(_ path: String) -> String? {
        let parts = components(path)
        if parts.contains("..") { return nil }
        return "/" + parts.joined(separator: "/")
    }

    private static func resolveSystemd(slice: String, prefix: String, name: String) -> String? {
        guard !name.isEmpty, !name.contains("/"), let parent = expandSlice(slice.isEmpty ? "system.slice" : slice) else {
            return nil
        }
        let unit = name.hasSuffix(".slice") ? name : prefix + "-" + name + ".scope"
        return parent == "/" ? "/" + unit : parent + "/" + unit
    }

    /// runc's `ExpandSlice`: `a-b-c.slice` lives at `/a.slice/a-b.slice/a-b-c.slice`; `-.slice` is the root.
    static func expandSlice(_ slice: String) -> String? {
        guard slice.hasSuffix(".slice"), !slice.contains("/") else { return nil }
        let name = slice.dropLast(".slice".count)
        if name == "-" { return "/" }
        var path = ""
        var prefix = ""
        for component in name.split(separator: "-", omittingEmptySubsequences: false) {
            if component.isEmpty { return nil }
            path += "/" + prefix + component + ".slice"
            prefix += component + "-"
        }
        return path.isEmpty ? nil : path
    }
}
