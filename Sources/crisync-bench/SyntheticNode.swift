import Foundation
import Glibc
import Model

/// A node of `containerCount` running containers that exists only as values and files: the runtime
/// and kubelet views as in-memory snapshots (what the readers would return), and the kernel's view
/// as a generated procfs and cgroup tree under a directory (a tmpfs, so reads cost what the
/// kernel's own in-memory files cost, without touching the real /proc).
///
/// The tree has this host's hybrid layout (v1 controllers plus a cgroup2 tree in `unified/`), the
/// kubelet's cgroupfs paths (`/kubepods/burstable/pod<uid>/<container id>`), one shim per pod as
/// every container's parent, and `/proc/<pid>/stat` lines with all 52 fields. One container in a
/// hundred is a zombie, so the findings and the output grow with the node as they would on a real
/// one with a few problems.
struct SyntheticNode {
    static let containersPerPod = 4
    static let bootTime: Int64 = 1_780_000_000
    /// Every hundredth container's process is a zombie (divergent: process_zombie, ready_but_dead).
    static let zombieEvery = 100
    static let v1Controllers = ["blkio", "cpu", "cpuacct", "cpuset", "devices", "freezer", "memory", "pids", "systemd"]

    let containerCount: Int
    let runtime: RuntimeSnapshot
    let kubelet: KubeletSnapshot
    /// `<root>/proc` and `<root>/cgroup`.
    let procRoot: String
    let cgroupRoot: String
    var zombieCount: Int { containerCount / Self.zombieEvery }

    /// Builds the snapshots and writes the tree under `root` (which must be empty or absent).
    init(containerCount: Int, root: String) throws {
        self.containerCount = containerCount
        procRoot = root + "/proc"
        cgroupRoot = root + "/cgroup"
        let writer = TreeWriter()
        try writer.file(procRoot + "/stat", "cpu  1 0 1 100 0 0 0 0 0 0\nbtime \(Self.bootTime)\nprocesses 1\n")
        // A node in steady state: no OOM kill since the last refresh (the reader then keeps the counters).
        try writer.file(procRoot + "/vmstat", "nr_free_pages 1000\npgfault 5000\noom_kill 0\nthp_fault_alloc 0\n")
        try writer.file(cgroupRoot + "/unified/cgroup.controllers", "")
        for controller in Self.v1Controllers {
            try writer.file(cgroupRoot + "/\(controller)/cgroup.procs", "1\n")
        }

        let podCount = (containerCount + Self.containersPerPod - 1) / Self.containersPerPod
        let startedAt = Double(Self.bootTime) + 3600
        let startedNanos = Int64(startedAt * 1e9)
        let startTicks = UInt64(3600 * 100)
        var sandboxes: [RuntimeSandbox] = []
        var containers: [RuntimeContainer] = []
        var pods: [KubeletPod] = []
        sandboxes.reserveCapacity(podCount)
        containers.reserveCapacity(containerCount)
        for podIndex in 0..<podCount {
            let uid = Self.uuid(podIndex, salt: 0xB0D)
            let namespace = "team-\(podIndex % 40)"
            let podName = "workload-\(podIndex / 3)-\(Self.hex(UInt64(podIndex) &* 2_654_435_761, digits: 5))"
            let sandboxID = Self.hex64(podIndex, salt: 0x5A)
            let shimPID = Int32(100_000 + podIndex)
            let labels = KubernetesLabels(namespace: namespace, podName: podName, podUID: uid)
            sandboxes.append(
                RuntimeSandbox(
                    id: sandboxID, name: podName, namespace: namespace, uid: uid, state: .ready,
                    createdAtNanos: startedNanos - 1_000_000_000, labels: labels))
            try writer.file(procRoot + "/\(shimPID)/stat", Self.statLine(pid: shimPID, command: "containerd-shim", state: "S", ppid: 1, startTicks: startTicks - 100))
            try writer.file(procRoot + "/\(shimPID)/cgroup", Self.procCgroup("/system.slice/containerd.service"))

            var statuses: [KubeletContainerStatus] = []
            let first = podIndex * Self.containersPerPod
            for index in first..<min(first + Self.containersPerPod, containerCount) {
                let name = ["app", "sidecar", "proxy", "log-shipper"][index % Self.containersPerPod]
                let id = Self.hex64(index, salt: 0xC0)
                let pid = Int32(200_000 + index)
                let cgroupsPath = "/kubepods/burstable/pod\(uid)/\(id)"
                let zombie = index % Self.zombieEvery == Self.zombieEvery - 1
                containers.append(
                    RuntimeContainer(
                        id: id, sandboxID: sandboxID, name: name, state: .running, createdAtNanos: startedNanos - 500_000_000,
                        labels: KubernetesLabels(namespace: namespace, podName: podName, podUID: uid, containerName: name),
                        status: RuntimeContainerStatus(
                            state: .running, createdAtNanos: startedNanos - 500_000_000, startedAtNanos: startedNanos,
                            pid: pid, cgroupsPath: cgroupsPath, sandboxID: sandboxID)))
                statuses.append(
                    KubeletContainerStatus(
                        name: name, containerID: "containerd://\(id)", ready: true, started: true, restartCount: 0,
                        state: .running(startedAt: Date(timeIntervalSince1970: startedAt))))
                try writer.file(
                    procRoot + "/\(pid)/stat",
                    Self.statLine(pid: pid, command: zombie ? "app" : "app-server", state: zombie ? "Z" : "S", ppid: shimPID, startTicks: startTicks))
                try writer.file(procRoot + "/\(pid)/cgroup", Self.procCgroup(cgroupsPath))
                // As the kernel writes it: a zombie has released its memory.
                try writer.file(procRoot + "/\(pid)/statm", zombie ? "0 0 0 0 0 0 0\n" : "1096 206 182 5 0 102 0\n")
                try writer.file(cgroupRoot + "/unified\(cgroupsPath)/cgroup.events", "populated 1\nfrozen 0\n")
                try writer.file(cgroupRoot + "/memory\(cgroupsPath)/cgroup.procs", "\(pid)\n")
                try writer.file(cgroupRoot + "/memory\(cgroupsPath)/memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n")
                for controller in ["cpu", "pids"] {
                    try writer.directory(cgroupRoot + "/\(controller)\(cgroupsPath)")
                }
            }
            pods.append(
                KubeletPod(
                    name: podName, namespace: namespace, uid: uid, nodeName: "bench-node", phase: "Running", ready: true,
                    containers: statuses))
        }
        runtime = RuntimeSnapshot(
            version: RuntimeVersion(runtimeName: "containerd", runtimeVersion: "1.6.20~ds1", runtimeAPIVersion: "v1"),
            conditions: [RuntimeCondition(type: "RuntimeReady", status: true), RuntimeCondition(type: "NetworkReady", status: true)],
            sandboxes: sandboxes, containers: containers)
        kubelet = KubeletSnapshot(pods: pods)
    }

    /// `/proc/<pid>/cgroup` of a process in `path` in every hierarchy, numbered as on this host.
    static func procCgroup(_ path: String) -> String {
        var text = ""
        for (offset, controller) in v1Controllers.reversed().enumerated() {
            let name = controller == "systemd" ? "name=systemd" : controller
            text += "\(v1Controllers.count - offset):\(name):\(path)\n"
        }
        return text + "0::\(path)\n"
    }

    /// A `/proc/<pid>/stat` line with all 52 fields, shaped like a real one.
    static func statLine(pid: Int32, command: String, state: String, ppid: Int32, startTicks: UInt64) -> String {
        let exitCode = state == "Z" ? "9" : "0"
        return "\(pid) (\(command)) \(state) \(ppid) \(pid) \(pid) 0 -1 4194560 1042 0 3 0 12 7 0 0 20 0 1 0 \(startTicks) "
            + "4407296 212 18446744073709551615 94251826008064 94251826650305 140733298167920 0 0 0 0 0 0 0 0 0 17 1 0 0 0 0 0 "
            + "94251826722176 94251826739072 94251860807680 140733298171706 140733298171717 140733298171717 140733298171886 \(exitCode)\n"
    }

    static func hex(_ value: UInt64, digits: Int) -> String {
        let text = String(value, radix: 16)
        return String(repeating: "0", count: max(0, digits - text.count)) + text.suffix(digits)
    }

    /// A 64-hex-digit ID, as containerd's, distinct per (index, salt).
    static func hex64(_ index: Int, salt: UInt64) -> String {
        var state = UInt64(index) &* 0x9E37_79B9_7F4A_7C15 ^ salt
        var text = ""
        for _ in 0..<4 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            text += hex(state, digits: 16)
        }
        return text
    }

    static func uuid(_ index: Int, salt: UInt64) -> String {
        let h = Array(hex64(index, salt: salt))
        return "\(String(h[0..<8]))-\(String(h[8..<12]))-4\(String(h[13..<16]))-a\(String(h[17..<20]))-\(String(h[20..<32]))"
    }
}

/// Writes small files with `open`/`write`, creating parent directories as needed.
private final class TreeWriter {
    private var made: Set<String> = []

    func directory(_ path: String) throws {
        if made.contains(path) { return }
        if let slash = path.lastIndex(of: "/"), slash > path.startIndex {
            try directory(String(path[..<slash]))
        }
        if mkdir(path, 0o755) != 0 && errno != EEXIST {
            throw BenchError("mkdir \(path): \(String(cString: strerror(errno)))")
        }
        made.insert(path)
    }

    func file(_ path: String, _ contents: String) throws {
        if let slash = path.lastIndex(of: "/") { try directory(String(path[..<slash])) }
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw BenchError("open \(path): \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var bytes = Array(contents.utf8)
        let written = bytes.withUnsafeMutableBytes { write(fd, $0.baseAddress, $0.count) }
        guard written == bytes.count else { throw BenchError("write \(path): \(String(cString: strerror(errno)))") }
    }
}
