import Foundation
import KernelReader
import Model
import Testing

/// The reader against the machine's real cgroup fs: a container-like cgroup made by the test (in the
/// memory hierarchy and the cgroup2 tree, as runc does), a process in it, its exit, and an OOM kill
/// under a 16 MiB limit. Needs root and a writable cgroup fs with a memory controller.
@Suite("KernelReader on real cgroups", .serialized, .enabled(if: LiveCgroup.isPossible))
struct KernelReaderLiveCgroupTests {
    @Test func containerLikeCgroupThroughRunExitAndOOMKill() throws {
        let reader = try KernelReader()
        let cgroup = try LiveCgroup(reader: reader, limitBytes: 16 * 1024 * 1024)
        defer { cgroup.remove() }
        let path = cgroup.relativePath

        #expect(reader.cgroup(path: path) == CgroupInfo(path: path, exists: true, populated: false, oomKills: 0))

        // A process joins the cgroup the way runc puts a container's init there.
        let sleeper = try ChildProcess(["/bin/sh", "-c", cgroup.joinCommand + "exec sleep 30"])
        defer { sleeper.kill() }
        #expect(waitUntil(seconds: 5) { reader.cgroup(path: path).populated == true })
        #expect(reader.cgroup(path: path) == CgroupInfo(path: path, exists: true, populated: true, oomKills: 0))
        let process = try #require(try reader.process(pid: sleeper.pid))
        #expect(CgroupsPath.processIsInContainer(process, cgroupsPath: path) == true)
        let ourselves = try #require(try reader.process(pid: getpid()))
        #expect(CgroupsPath.processIsInContainer(ourselves, cgroupsPath: path) == false)

        sleeper.kill()
        #expect(waitUntil(seconds: 5) { reader.cgroup(path: path).populated == false })

        // `tail /dev/zero` buffers an endless line until the OOM killer stops it.
        let hog = try ChildProcess(["/bin/sh", "-c", cgroup.joinCommand + "exec tail /dev/zero"])
        defer { hog.kill() }
        #expect(waitUntil(seconds: 30) { !hog.isRunning })
        #expect(hog.terminationSignal == SIGKILL)
        #expect(waitUntil(seconds: 5) { reader.cgroup(path: path).oomKills == 1 })
        #expect(reader.cgroup(path: path) == CgroupInfo(path: path, exists: true, populated: false, oomKills: 1))

        cgroup.remove()
        #expect(reader.cgroup(path: path) == CgroupInfo(path: path, exists: false))
    }

    /// A refresh that keeps the previous OOM counters while `/proc/vmstat` is still must see a real
    /// OOM kill of a container's child: the container's main process lives on, so only the
    /// counter tells.
    @Test func anOOMKillOfAChildIsSeenByASnapshotThatKeepsCounters() throws {
        let reader = try KernelReader()
        let cgroup = try LiveCgroup(reader: reader, limitBytes: 16 * 1024 * 1024)
        defer { cgroup.remove() }
        let path = cgroup.relativePath
        let main = try ChildProcess(["/bin/sh", "-c", cgroup.joinCommand + "exec sleep 60"])
        defer { main.kill() }
        #expect(waitUntil(seconds: 5) { reader.cgroup(path: path).populated == true })
        let targets = [KernelReader.Target(pid: main.pid, cgroupsPath: path)]

        var snapshot = reader.snapshot(targets: targets, previous: nil)
        snapshot = reader.snapshot(targets: targets, previous: snapshot)
        let quiet = snapshot
        #expect(quiet.systemOOMKills != nil, "the machine's /proc/vmstat has oom_kill")
        #expect(quiet.cgroups[path] == CgroupInfo(path: path, exists: true, populated: true, oomKills: 0))

        let hog = try ChildProcess(["/bin/sh", "-c", cgroup.joinCommand + "exec tail /dev/zero"])
        defer { hog.kill() }
        #expect(waitUntil(seconds: 30) { !hog.isRunning })
        #expect(hog.terminationSignal == SIGKILL)
        #expect(main.isRunning, "the OOM killer took the hog, not the container's main process")

        let after = reader.snapshot(targets: targets, previous: quiet)
        #expect((after.systemOOMKills ?? 0) > (quiet.systemOOMKills ?? 0))
        #expect(after.cgroups[path] == CgroupInfo(path: path, exists: true, populated: true, oomKills: 1))
    }
}

/// A cgroup made for a test under the real cgroup root, in the cgroup2 tree (if any) and the v1
/// memory hierarchy (if any), with a memory limit; removed by `remove()`.
struct LiveCgroup {
    /// The path inside each hierarchy, like a runtime's cgroupfs `cgroupsPath`.
    let relativePath: String
    /// The cgroup directories made, deepest last.
    private let directories: [String]
    private let procsFiles: [String]

    static var isPossible: Bool {
        guard geteuid() == 0, let reader = try? KernelReader(), let memoryRoot = memoryRoot(reader.cgroupLayout) else { return false }
        return access(memoryRoot, W_OK) == 0
    }

    /// The hierarchy root whose cgroups have a memory limit and OOM counter.
    private static func memoryRoot(_ layout: CgroupLayout) -> String? {
        if let memory = layout.v1Hierarchies.first(where: { $0.controllers.contains("memory") }) { return memory.directory }
        if layout.kind == .unified, let unified = layout.unifiedDirectory,
            let controllers = try? String(contentsOfFile: unified + "/cgroup.controllers", encoding: .utf8),
            controllers.split(separator: " ").contains(where: { $0.trimmingCharacters(in: .whitespacesAndNewlines) == "memory" })
        {
            return unified
        }
        return nil
    }

    init(reader: KernelReader, limitBytes: Int) throws {
        let layout = reader.cgroupLayout
        let memoryRoot = try #require(Self.memoryRoot(layout))
        let levels = ["crisync-kernelreader-test-\(getpid())", "pod\(UUID().uuidString.lowercased())", "ctr"]
        let relativePath = "/" + levels.joined(separator: "/")
        self.relativePath = relativePath
        var roots = [memoryRoot]
        if let unified = layout.unifiedDirectory, unified != memoryRoot { roots.append(unified) }
        var made: [String] = []
        for root in roots {
            var directory = root
            for (index, level) in levels.enumerated() {
                if root == layout.unifiedDirectory && memoryRoot == root {
                    // cgroup v2: a child only gets memory files if its parent delegates the controller.
                    try? Self.write("+memory", to: directory + "/cgroup.subtree_control")
                }
                directory += "/" + level
                guard mkdir(directory, 0o755) == 0 || errno == EEXIST else {
                    throw LiveCgroupError(message: "mkdir \(directory): errno \(errno)")
                }
                if index == levels.count - 1 || !made.contains(directory) { made.append(directory) }
            }
        }
        directories = made
        let leaves = roots.map { $0 + relativePath }
        procsFiles = leaves.map { $0 + "/cgroup.procs" }
        if memoryRoot == layout.unifiedDirectory {
            try Self.write(String(limitBytes), to: memoryRoot + relativePath + "/memory.max")
            try? Self.write("0", to: memoryRoot + relativePath + "/memory.swap.max")
        } else {
            try Self.write(String(limitBytes), to: memoryRoot + relativePath + "/memory.limit_in_bytes")
            try? Self.write(String(limitBytes), to: memoryRoot + relativePath + "/memory.memsw.limit_in_bytes")
        }
    }

    /// Shell lines that move the shell into the cgroup in every hierarchy.
    var joinCommand: String {
        procsFiles.map { "echo $$ > \($0)\n" }.joined()
    }

    /// Removes the directories, deepest first; a cgroup can stay busy for a moment after its last
    /// process is reaped, so each removal is retried briefly.
    func remove() {
        for directory in directories.sorted(by: { $0.count > $1.count }) {
            _ = waitUntil(seconds: 5) { rmdir(directory) == 0 || errno == ENOENT }
        }
    }

    private static func write(_ text: String, to path: String) throws {
        let fd = open(path, O_WRONLY | O_CLOEXEC)
        guard fd >= 0 else { throw LiveCgroupError(message: "open \(path): errno \(errno)") }
        defer { close(fd) }
        let written = text.withCString { Glibc.write(fd, $0, strlen($0)) }
        guard written >= 0 else { throw LiveCgroupError(message: "write \(path): errno \(errno)") }
    }
}

struct LiveCgroupError: Error, CustomStringConvertible {
    var message: String
    var description: String { message }
}
