import Foundation
import KernelReader
import Model
import Testing

/// The reader against the fixture trees in `Fixtures/` (hybrid, v2, v1): what each kind of process
/// and cgroup looks like, and each way a read can fail.
@Suite("KernelReader on fixture trees")
struct KernelReaderFixtureTests {
    static let labPod = "pod93dc5b1e-54a4-4bb4-9c36-6c39f5a4a0d1"
    static let runningPath = "/crisync-lab/\(labPod)/dc69b9d6f0e1c2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b"
    static let zombiePath =
        "/crisync-lab/pod5e1f3c2a-0b7d-4e8f-9a6b-1c2d3e4f5a6b/4f6a8c0e2b4d6f8a0c2e4b6d8f0a2c4e6b8d0f2a4c6e8b0d2f4a6c8e0b2d4f6a"
    static let oomPath =
        "/crisync-lab/pod0c1d2e3f-4a5b-4c6d-8e9f-a0b1c2d3e4f5/a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f60718293a4b5c6d7e8f90"
    static let pidsOnlyPath =
        "/crisync-lab/pod77777777-8888-4999-aaaa-bbbbbbbbbbbb/0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"
    static let kubePodUID = "f0e1d2c3_b4a5_4967_8876_a5b4c3d2e1f0"
    static let kubeID = "c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00c0ffee00"
    static let kubeOOMID = "badc0de0badc0de0badc0de0badc0de0badc0de0badc0de0badc0de0badc0de0"
    static let kubeBareID = "5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e5ca1ab1e"

    static func hybridMemberships(_ path: String) -> [CgroupMembership] {
        [(9, "name=systemd"), (8, "pids"), (7, "blkio"), (6, "freezer"), (5, "devices"), (4, "memory"), (3, "cpuset"), (2, "cpuacct"), (1, "cpu")]
            .map { CgroupMembership(hierarchyID: $0.0, controllers: [$0.1], path: path) }
            + [CgroupMembership(hierarchyID: 0, controllers: [], path: path)]
    }

    func startTime(ticks: UInt64, _ reader: KernelReader) -> Double {
        Double(FixtureTrees.bootTime) + Double(ticks) / Double(reader.clockTicksPerSecond)
    }

    // MARK: Construction

    @Test func detectsTheHybridLayout() throws {
        let reader = try FixtureTrees.hybridReader()
        #expect(reader.bootTime == FixtureTrees.bootTime)
        #expect(reader.clockTicksPerSecond == Int64(sysconf(Int32(_SC_CLK_TCK))))
        #expect(reader.cgroupLayout.kind == .hybrid)
        #expect(reader.cgroupLayout.unifiedDirectory == FixtureTrees.hybridCgroup + "/unified")
        #expect(
            reader.cgroupLayout.v1Hierarchies.map(\.controllers) == [
                ["blkio"], ["cpu", "cpuacct"], ["cpuset"], ["devices"], ["freezer"], ["memory"], ["pids"], ["systemd"],
            ])
    }

    @Test func detectsPureLayouts() throws {
        let v2 = try FixtureTrees.v2Reader()
        #expect(v2.cgroupLayout == CgroupLayout(kind: .unified, unifiedDirectory: FixtureTrees.v2Cgroup, v1Hierarchies: []))
        let v1 = try KernelReader(procRoot: FixtureTrees.v1Proc, cgroupRoot: FixtureTrees.v1Cgroup + "/")
        #expect(v1.cgroupLayout.kind == .v1)
        #expect(v1.cgroupLayout.unifiedDirectory == nil)
        #expect(v1.cgroupLayout.v1Hierarchies.map(\.directory) == ["cpu,cpuacct", "memory", "pids"].map { FixtureTrees.v1Cgroup + "/" + $0 })
    }

    @Test func missingProcRootFailsAtConstruction() {
        let root = FixtureTrees.path("does-not-exist")
        #expect(throws: KernelReaderError.readFailed(path: root + "/stat", errno: ENOENT)) {
            try KernelReader(procRoot: root, cgroupRoot: FixtureTrees.hybridCgroup)
        }
    }

    @Test func procStatWithoutBootTimeFailsAtConstruction() {
        let root = FixtureTrees.path("bad/no-btime")
        let error = KernelReaderError.malformed(path: root + "/stat", .missingField("btime"))
        #expect(throws: error) { try KernelReader(procRoot: root, cgroupRoot: FixtureTrees.hybridCgroup) }
        #expect(error.description == "malformed \(root)/stat: field btime is missing (line ends early)")
    }

    @Test(arguments: ["bad/no-hierarchy", "does-not-exist"])
    func cgroupRootWithoutHierarchiesFailsAtConstruction(_ relative: String) {
        let root = FixtureTrees.path(relative)
        #expect(throws: KernelReaderError.noCgroupHierarchy(root: root)) {
            try KernelReader(procRoot: FixtureTrees.hybridProc, cgroupRoot: root)
        }
    }

    // MARK: Processes

    @Test func runningContainerInit() throws {
        let reader = try FixtureTrees.hybridReader()
        let process = try #require(try reader.process(pid: 7779))
        #expect(
            process
                == Model.KernelProcess(
                    pid: 7779, command: "sleep", state: .sleeping, ppid: 7723, startTime: startTime(ticks: 131_082, reader),
                    exitStatus: nil, cgroups: Self.hybridMemberships(Self.runningPath)))
        #expect(CgroupsPath.processIsInContainer(process, cgroupsPath: Self.runningPath) == true)
        #expect(CgroupsPath.processIsInContainer(process, cgroupsPath: Self.zombiePath) == false)
    }

    @Test func zombieWithAStoppedShim() throws {
        let reader = try FixtureTrees.hybridReader()
        let zombie = try #require(try reader.process(pid: 14794))
        #expect(zombie.state == .zombie)
        #expect(zombie.exitStatus == 9)
        #expect(zombie.ppid == 14745)
        #expect(zombie.startTime == startTime(ticks: 121_857, reader))
        let shim = try #require(try reader.process(pid: zombie.ppid))
        #expect(shim.state == .stopped)
        #expect(shim.command == "containerd-shim")
        #expect(shim.exitStatus == nil, "exit_code is only a wait status once the task has exited")
    }

    @Test func commandNameFullOfParentheses() throws {
        let process = try #require(try FixtureTrees.hybridReader().process(pid: 20001))
        #expect(process.command == "x) S 99 (y\n z")
        #expect(process.state == .running)
        #expect(process.ppid == 7723)
    }

    @Test(arguments: [40000 as Int32, 0, -1, Int32.max])
    func absentPIDIsGone(_ pid: Int32) throws {
        #expect(try FixtureTrees.hybridReader().process(pid: pid) == nil)
    }

    @Test func pidThatVanishesBetweenStatAndCgroupIsGone() throws {
        let reader = try FixtureTrees.hybridReader()
        // The fixture has stat but no cgroup file, as if the process went away between the reads.
        #expect(FileManager.default.fileExists(atPath: FixtureTrees.hybridProc + "/30001/stat"))
        #expect(try reader.process(pid: 30001) == nil)
    }

    @Test func truncatedStatIsAMalformedFile() throws {
        let reader = try FixtureTrees.hybridReader()
        let path = FixtureTrees.hybridProc + "/30002/stat"
        #expect(throws: KernelReaderError.malformed(path: path, .missingCommandName)) { try reader.process(pid: 30002) }
    }

    @Test func unreadableStatIsAReadError() throws {
        let reader = try FixtureTrees.hybridReader()
        let path = FixtureTrees.hybridProc + "/30003/stat"
        #expect(throws: KernelReaderError.readFailed(path: path, errno: EISDIR)) { try reader.process(pid: 30003) }
    }

    @Test func malformedCgroupFileIsAnError() throws {
        let reader = try FixtureTrees.hybridReader()
        let path = FixtureTrees.hybridProc + "/30004/cgroup"
        let error = KernelReaderError.malformed(path: path, .malformedLine(number: 1, text: "this is not a cgroup line"))
        #expect(throws: error) { try reader.process(pid: 30004) }
        #expect(error.description.hasPrefix("malformed \(path): line 1 is not"))
    }

    @Test func statOfAnotherPIDIsAnError() throws {
        let reader = try FixtureTrees.hybridReader()
        let path = FixtureTrees.hybridProc + "/30005/stat"
        #expect(throws: KernelReaderError.malformed(path: path, .invalidField(name: "pid", value: "30006"))) {
            try reader.process(pid: 30005)
        }
    }

    @Test func oversizedFilesAreRefused() throws {
        try withScratchTree { tree in
            try tree.write("proc/stat", "btime 1795920000\n")
            try tree.write("cgroup/cgroup.controllers", "")
            let line = "77 (big) S 1" + String(repeating: " 0", count: 17) + " 5" + String(repeating: " 0", count: 30)
            // A stat file exactly at the cap still parses; one byte more is refused.
            let atCap = line + String(repeating: " ", count: KernelReader.fileSizeLimit - line.utf8.count)
            try tree.write("proc/77/stat", atCap)
            try tree.write("proc/77/cgroup", "0::/\n")
            try tree.write("proc/78/stat", atCap.replacingOccurrences(of: "77 (big)", with: "78 (big)") + " ")
            try tree.write("proc/78/cgroup", "0::/\n")
            try tree.write("proc/79/stat", line.replacingOccurrences(of: "77 (big)", with: "79 (big)"))
            try tree.write("proc/79/cgroup", String(repeating: "0::/\n", count: KernelReader.fileSizeLimit / 5 + 1))
            let reader = try KernelReader(procRoot: tree.root + "/proc", cgroupRoot: tree.root + "/cgroup")
            #expect(try reader.process(pid: 77)?.startTime == startTime(ticks: 5, reader))
            #expect(throws: KernelReaderError.fileTooLarge(path: tree.root + "/proc/78/stat", limit: KernelReader.fileSizeLimit)) {
                try reader.process(pid: 78)
            }
            #expect(throws: KernelReaderError.fileTooLarge(path: tree.root + "/proc/79/cgroup", limit: KernelReader.fileSizeLimit)) {
                try reader.process(pid: 79)
            }
        }
    }

    @Test func systemdDriverProcessOnV2() throws {
        let reader = try FixtureTrees.v2Reader()
        let process = try #require(try reader.process(pid: 4242))
        let cgroupsPath = "kubepods-burstable-pod\(Self.kubePodUID).slice:cri-containerd:\(Self.kubeID)"
        #expect(process.cgroups.count == 1)
        #expect(CgroupsPath.processIsInContainer(process, cgroupsPath: cgroupsPath) == true)
        let shim = try #require(try reader.process(pid: process.ppid))
        #expect(CgroupsPath.processIsInContainer(shim, cgroupsPath: cgroupsPath) == false)
    }

    // MARK: Cgroups

    struct CgroupCase: Sendable, CustomTestStringConvertible {
        var name: String
        var tree: String
        var path: String
        var expected: CgroupInfo
        var testDescription: String { name }
    }

    static var kubeSystemdPath: String { "kubepods-burstable-pod\(kubePodUID).slice:cri-containerd:\(kubeID)" }
    static var kubeSystemdOOMPath: String { "kubepods-burstable-pod\(kubePodUID).slice:cri-containerd:\(kubeOOMID)" }
    static var kubeSystemdBarePath: String { "kubepods-burstable-pod\(kubePodUID).slice:cri-containerd:\(kubeBareID)" }
    static var kubeCgroupfsPath: String { "/kubepods/burstable/podf0e1d2c3-b4a5-4967-8876-a5b4c3d2e1f0/\(kubeID)" }
    static var kubeCgroupfsOOMPath: String { "/kubepods/burstable/podf0e1d2c3-b4a5-4967-8876-a5b4c3d2e1f0/\(kubeOOMID)" }

    static let cgroupCases: [CgroupCase] = [
        CgroupCase(
            name: "hybrid: running", tree: "hybrid", path: runningPath,
            expected: CgroupInfo(path: runningPath, exists: true, populated: true, oomKills: 0)),
        CgroupCase(
            name: "hybrid: zombie only (unified populated 0)", tree: "hybrid", path: zombiePath,
            expected: CgroupInfo(path: zombiePath, exists: true, populated: false, oomKills: 0)),
        CgroupCase(
            name: "hybrid: OOM-killed", tree: "hybrid", path: oomPath,
            expected: CgroupInfo(path: oomPath, exists: true, populated: false, oomKills: 1)),
        CgroupCase(
            name: "hybrid: left only in the pids hierarchy", tree: "hybrid", path: pidsOnlyPath,
            expected: CgroupInfo(path: pidsOnlyPath, exists: true, populated: true, oomKills: nil)),
        CgroupCase(
            name: "hybrid: gone", tree: "hybrid", path: "/crisync-lab/\(labPod)/gone",
            expected: CgroupInfo(path: "/crisync-lab/\(labPod)/gone", exists: false)),
        CgroupCase(
            name: "hybrid: does not resolve", tree: "hybrid", path: "/crisync-lab/../etc",
            expected: CgroupInfo(path: "/crisync-lab/../etc", exists: false)),
        CgroupCase(
            name: "v2: systemd form, running", tree: "v2", path: kubeSystemdPath,
            expected: CgroupInfo(path: kubeSystemdPath, exists: true, populated: true, oomKills: 0)),
        CgroupCase(
            name: "v2: systemd form, OOM-killed twice", tree: "v2", path: kubeSystemdOOMPath,
            expected: CgroupInfo(path: kubeSystemdOOMPath, exists: true, populated: false, oomKills: 2)),
        CgroupCase(
            name: "v2: directory without its files is unknown", tree: "v2", path: kubeSystemdBarePath,
            expected: CgroupInfo(path: kubeSystemdBarePath, exists: true, populated: nil, oomKills: nil)),
        CgroupCase(
            name: "v2: gone", tree: "v2", path: "kubepods-burstable-pod\(kubePodUID).slice:cri-containerd:0000",
            expected: CgroupInfo(path: "kubepods-burstable-pod\(kubePodUID).slice:cri-containerd:0000", exists: false)),
        CgroupCase(
            name: "v1: cgroupfs form, running", tree: "v1", path: kubeCgroupfsPath,
            expected: CgroupInfo(path: kubeCgroupfsPath, exists: true, populated: true, oomKills: 0)),
        CgroupCase(
            name: "v1: cgroupfs form, empty after OOM kills", tree: "v1", path: kubeCgroupfsOOMPath,
            expected: CgroupInfo(path: kubeCgroupfsOOMPath, exists: true, populated: false, oomKills: 3)),
    ]

    @Test(arguments: cgroupCases)
    func cgroup(_ testCase: CgroupCase) throws {
        let reader = try KernelReader(
            procRoot: FixtureTrees.path(testCase.tree + "/proc"), cgroupRoot: FixtureTrees.path(testCase.tree + "/cgroup"))
        #expect(reader.cgroup(path: testCase.path) == testCase.expected)
    }

    // MARK: Snapshot

    @Test func snapshotReadsParentsAndKeepsErrorsApart() throws {
        let reader = try FixtureTrees.hybridReader()
        let snapshot = reader.snapshot(
            pids: [7779, 14794, 40000, 30001, 30002, 30003, 0, 7779],
            cgroupPaths: [Self.runningPath, Self.zombiePath, Self.oomPath, "/crisync-lab/gone"])
        #expect(Set(snapshot.processes.keys) == [7779, 7723, 14794, 14745])
        #expect(snapshot.processes[14745]?.state == .stopped, "the zombie's shim is read and seen stopped")
        #expect(snapshot.processes[7779] == (try reader.process(pid: 7779)))
        #expect(snapshot.queriedPIDs == [7779, 7723, 14794, 14745, 40000, 30001])
        #expect(Set(snapshot.readErrors.keys) == [30002, 30003])
        #expect(snapshot.readErrors[30002] == KernelReaderError.malformed(path: FixtureTrees.hybridProc + "/30002/stat", .missingCommandName).description)
        #expect(snapshot.readErrors[30003]?.contains("errno \(EISDIR)") == true)
        #expect(snapshot.cgroups.count == 4)
        #expect(snapshot.cgroups[Self.oomPath] == CgroupInfo(path: Self.oomPath, exists: true, populated: false, oomKills: 1))
        #expect(snapshot.cgroups["/crisync-lab/gone"]?.exists == false)
    }

    @Test func snapshotOfNothingIsEmpty() throws {
        let snapshot = try FixtureTrees.v2Reader().snapshot(pids: [Int32](), cgroupPaths: [String]())
        #expect(snapshot == KernelSnapshot())
    }
}
