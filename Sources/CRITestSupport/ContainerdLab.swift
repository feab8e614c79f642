import Foundation

/// The private containerd that `scripts/containerd.sh start` runs, as tests find it: the script
/// prints `CRI_SOCK=<path>` and the test commands export it as `CRISYNC_CRI_SOCK`.
public struct ContainerdLab: Sendable, Hashable {
    /// Environment variable holding the lab's CRI socket path.
    public static let socketVariable = "CRISYNC_CRI_SOCK"
    /// Environment variable overriding the cgroup parent of the lab's pods (same as the script's).
    public static let cgroupRootVariable = "CRISYNC_CGROUP_ROOT"
    /// The image the script builds from busybox and imports (also the sandbox image).
    public static let defaultImage = "docker.io/crisync/busybox:latest"
    public static let defaultCgroupRoot = "/crisync-lab"

    /// Why lab tests cannot run, for skip messages and CI failures.
    public static let notConfiguredMessage =
        "\(socketVariable) is not set: run `scripts/containerd.sh start` and export "
        + "\(socketVariable)=<the CRI_SOCK it prints> (make test does both)"

    /// The CRI socket of the lab's containerd.
    public var socketPath: String
    /// Image for sandboxes and containers; present in the lab without any pull.
    public var image: String
    /// Cgroup parent under which every test pod gets `pod<uid>` (cgroupfs driver).
    public var cgroupRoot: String
    /// The lab directory (`$CRISYNC_LAB`) when the socket sits at `<lab>/run/containerd.sock`.
    public var labDirectory: String?
    /// Where pod logs go (`<lab>/logs/pods`), or nil when the socket is not in a lab directory.
    public var podLogDirectory: String? { labDirectory.map { $0 + "/logs/pods" } }

    public init(socketPath: String, image: String = defaultImage, cgroupRoot: String = defaultCgroupRoot) {
        self.socketPath = socketPath
        self.image = image
        self.cgroupRoot = cgroupRoot
        // The script's layout: <lab>/run/containerd.sock and <lab>/logs/pods.
        let runDirectory = URL(fileURLWithPath: socketPath).deletingLastPathComponent()
        if runDirectory.lastPathComponent == "run" {
            self.labDirectory = runDirectory.deletingLastPathComponent().path
        }
    }

    /// The lab named by the environment, or nil when `CRISYNC_CRI_SOCK` is unset or empty. The cgroup
    /// root is `CRISYNC_CGROUP_ROOT`, else the one `containerd.sh start` recorded in `<lab>/cgroup-root`,
    /// else `/crisync-lab`: the same choice the script makes.
    public static func fromEnvironment(
        _ environment: [String: String] = Foundation.ProcessInfo.processInfo.environment
    ) -> ContainerdLab? {
        guard let socket = environment[socketVariable], !socket.isEmpty else { return nil }
        let recorded = ContainerdLab(socketPath: socket).labDirectory.flatMap {
            try? String(contentsOfFile: $0 + "/cgroup-root", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        }
        var root = [environment[cgroupRootVariable], recorded].compactMap { $0 }.first { !$0.isEmpty } ?? defaultCgroupRoot
        if !root.hasPrefix("/") { root = "/" + root }
        while root.count > 1 && root.hasSuffix("/") { root.removeLast() }
        return ContainerdLab(socketPath: socket, cgroupRoot: root)
    }

    /// Whether lab tests should run: the lab is configured, or this is CI (`CI` set), where a
    /// missing lab must fail the tests rather than skip them silently.
    public static var shouldRunTests: Bool {
        let environment = Foundation.ProcessInfo.processInfo.environment
        return fromEnvironment(environment) != nil || !(environment["CI"] ?? "").isEmpty
    }

    /// The PID of the lab's containerd (from `<lab>/run/containerd.pid`), if it is running.
    public func containerdPID() -> Int32? {
        guard let labDirectory,
            let text = try? String(contentsOfFile: labDirectory + "/run/containerd.pid", encoding: .utf8),
            let pid = Int32(text.trimmingCharacters(in: .whitespacesAndNewlines)),
            let comm = try? String(contentsOfFile: "/proc/\(pid)/comm", encoding: .utf8),
            comm.trimmingCharacters(in: .whitespacesAndNewlines) == "containerd"
        else { return nil }
        return pid
    }

    /// The configured lab, or an error carrying `notConfiguredMessage`.
    public static func required() throws -> ContainerdLab {
        guard let lab = fromEnvironment() else { throw CRIDriverError.labNotConfigured(notConfiguredMessage) }
        return lab
    }
}
