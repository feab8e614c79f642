import KernelReader
import Model
import Testing

@Suite("CgroupsPath")
struct CgroupsPathTests {
    @Test(arguments: [
        // cgroupfs driver
        ("/kubepods/burstable/pod123/abc", "/kubepods/burstable/pod123/abc" as String?),
        ("/crisync-lab/pod93dc/dc69b9d6/", "/crisync-lab/pod93dc/dc69b9d6"),
        ("//kubepods//pod1/./abc", "/kubepods/pod1/abc"),
        ("kubepods/pod1/abc", "/kubepods/pod1/abc"),
        ("/", "/"),
        ("/kubepods/../etc", nil),
        ("", nil),
        // Found by fuzzing (fuzz/corpus/cgroup-files/nul-in-cgroups-path): open(2) would read a parent cgroup.
        ("/kubepods/pod1\0/abc", nil),
        ("\0", nil),
        ("kubepods.slice:cri-containerd:a\0b", nil),
        // systemd driver (runc's rules)
        (
            "kubepods-burstable-pod1c2d_3e4f.slice:cri-containerd:abc",
            "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1c2d_3e4f.slice/cri-containerd-abc.scope"
        ),
        ("kubepods-pod1c2d.slice:cri-containerd:abc", "/kubepods.slice/kubepods-pod1c2d.slice/cri-containerd-abc.scope"),
        ("kubepods.slice:cri-containerd:abc", "/kubepods.slice/cri-containerd-abc.scope"),
        ("-.slice:docker:abc", "/docker-abc.scope"),
        (":cri-containerd:abc", "/system.slice/cri-containerd-abc.scope"),
        ("system.slice:crio:nested.slice", "/system.slice/nested.slice"),
        ("kubepods--x.slice:cri-containerd:abc", nil),
        ("-kubepods.slice:cri-containerd:abc", nil),
        ("kubepods.slice:cri-containerd:", nil),
        ("kubepods.slice:cri-containerd:a/b", nil),
        // Three colon-separated parts but no slice: a cgroupfs path with colons in it.
        ("weird:name:here", "/weird:name:here"),
    ])
    func resolve(_ cgroupsPath: String, expected: String?) {
        #expect(CgroupsPath.resolve(cgroupsPath) == expected)
    }

    static func process(_ lines: [(Int, [String], String)]) -> Model.KernelProcess {
        Model.KernelProcess(
            pid: 7779, command: "sleep", state: .sleeping, ppid: 7723, startTime: 0,
            cgroups: lines.map { CgroupMembership(hierarchyID: $0.0, controllers: $0.1, path: $0.2) })
    }

    static let labPath = "/crisync-lab/pod93dc/dc69b9d6"
    static let systemdPath = "kubepods-burstable-pod1c2d.slice:cri-containerd:abc"
    static let systemdDirectory = "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1c2d.slice/cri-containerd-abc.scope"

    struct MatchCase: Sendable, CustomTestStringConvertible {
        var name: String
        var lines: [(Int, [String], String)]
        var cgroupsPath: String
        var expected: Bool?
        var testDescription: String { name }
    }

    static let matchCases: [MatchCase] = [
        MatchCase(name: "no cgroup lines: unknown", lines: [], cgroupsPath: labPath, expected: nil),
        MatchCase(
            name: "unresolvable container path: unknown", lines: [(0, [], labPath)], cgroupsPath: "/a/../b", expected: nil),
        MatchCase(
            name: "hybrid, every hierarchy equal",
            lines: [(9, ["name=systemd"], labPath), (4, ["memory"], labPath), (0, [], labPath)], cgroupsPath: labPath,
            expected: true),
        MatchCase(
            name: "only the memory hierarchy matches",
            lines: [(9, ["name=systemd"], "/system.slice/containerd.service"), (4, ["memory"], labPath), (0, [], "/")],
            cgroupsPath: labPath, expected: true),
        MatchCase(
            name: "only the v1 name=systemd line matches",
            lines: [(9, ["name=systemd"], systemdDirectory), (4, ["memory"], "/"), (0, [], "/")],
            cgroupsPath: systemdPath, expected: true),
        MatchCase(
            name: "below the container's cgroup", lines: [(0, [], labPath + "/init.scope")], cgroupsPath: labPath,
            expected: true),
        MatchCase(
            name: "another container in the same pod (PID reused)",
            lines: [(4, ["memory"], "/crisync-lab/pod93dc/ffff0000"), (0, [], "/crisync-lab/pod93dc/ffff0000")],
            cgroupsPath: labPath, expected: false),
        MatchCase(
            name: "a sibling whose name starts with the container's",
            lines: [(0, [], labPath + "99")], cgroupsPath: labPath, expected: false),
        MatchCase(
            name: "the pod's cgroup is above the container's, not in it",
            lines: [(0, [], "/crisync-lab/pod93dc")], cgroupsPath: labPath, expected: false),
        MatchCase(name: "host process", lines: [(0, [], "/")], cgroupsPath: labPath, expected: false),
        MatchCase(name: "systemd form, v2 line", lines: [(0, [], systemdDirectory)], cgroupsPath: systemdPath, expected: true),
        MatchCase(
            name: "systemd form, other scope",
            lines: [(0, [], "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod1c2d.slice/cri-containerd-abd.scope")],
            cgroupsPath: systemdPath, expected: false),
        MatchCase(
            name: "cgroup namespace: path relative to the reader's namespace root",
            lines: [(0, [], "/../../kubepods-burstable-pod1c2d.slice/cri-containerd-abc.scope")], cgroupsPath: systemdPath,
            expected: true),
        MatchCase(
            name: "cgroup namespace: a different container",
            lines: [(0, [], "/../../kubepods-burstable-pod9999.slice/cri-containerd-abd.scope")], cgroupsPath: systemdPath,
            expected: false),
        MatchCase(
            name: "cgroup namespace: same leaf name under a different parent",
            lines: [(0, [], "/../other.slice/cri-containerd-abc.scope")], cgroupsPath: systemdPath, expected: false),
    ]

    @Test(arguments: matchCases)
    func processIsInContainer(_ testCase: MatchCase) {
        #expect(CgroupsPath.processIsInContainer(Self.process(testCase.lines), cgroupsPath: testCase.cgroupsPath) == testCase.expected)
    }
}
