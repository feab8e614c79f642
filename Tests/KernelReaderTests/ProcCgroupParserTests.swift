import KernelReader
import Model
import Testing

@Suite("ProcCgroupParser")
struct ProcCgroupParserTests {
    @Test func hybridLinesOfALabContainer() throws {
        let text = """
            9:name=systemd:/crisync-lab/pod93dc/dc69b9d6
            8:pids:/crisync-lab/pod93dc/dc69b9d6
            4:memory:/crisync-lab/pod93dc/dc69b9d6
            2:cpu,cpuacct:/crisync-lab/pod93dc/dc69b9d6
            0::/crisync-lab/pod93dc/dc69b9d6

            """
        let path = "/crisync-lab/pod93dc/dc69b9d6"
        #expect(
            try ProcCgroupParser.parse(text) == [
                CgroupMembership(hierarchyID: 9, controllers: ["name=systemd"], path: path),
                CgroupMembership(hierarchyID: 8, controllers: ["pids"], path: path),
                CgroupMembership(hierarchyID: 4, controllers: ["memory"], path: path),
                CgroupMembership(hierarchyID: 2, controllers: ["cpu", "cpuacct"], path: path),
                CgroupMembership(hierarchyID: 0, controllers: [], path: path),
            ])
    }

    @Test func hybridLinesOfThisMachinesSandbox() throws {
        // Different paths per hierarchy: the memory controller puts this sandbox in its own group.
        let text = "4:memory:/process_api/4a1fe232d9be2db671c70c28a6777468\n3:cpuset:/\n1:cpu:/\n0::/\n"
        #expect(
            try ProcCgroupParser.parse(text) == [
                CgroupMembership(hierarchyID: 4, controllers: ["memory"], path: "/process_api/4a1fe232d9be2db671c70c28a6777468"),
                CgroupMembership(hierarchyID: 3, controllers: ["cpuset"], path: "/"),
                CgroupMembership(hierarchyID: 1, controllers: ["cpu"], path: "/"),
                CgroupMembership(hierarchyID: 0, controllers: [], path: "/"),
            ])
    }

    @Test func unifiedLineOfASystemdDriverContainer() throws {
        let path =
            "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-podf0e1d2c3_b4a5_4967_8876_a5b4c3d2e1f0.slice/cri-containerd-c0ffee.scope"
        #expect(try ProcCgroupParser.parse("0::\(path)\n") == [CgroupMembership(hierarchyID: 0, controllers: [], path: path)])
    }

    @Test func pathKeepsColonsSpacesAndNamespaceSteps() throws {
        #expect(
            try ProcCgroupParser.parse("0::/a:b c\n1:name=x:/../../pod.slice/cri.scope") == [
                CgroupMembership(hierarchyID: 0, controllers: [], path: "/a:b c"),
                CgroupMembership(hierarchyID: 1, controllers: ["name=x"], path: "/../../pod.slice/cri.scope"),
            ])
    }

    @Test(arguments: ["", "\n", "\n\n"])
    func emptyFileHasNoMemberships(_ text: String) throws {
        #expect(try ProcCgroupParser.parse(text) == [])
    }

    @Test(arguments: [
        ("this is not a cgroup line", 1),
        ("0::/\n4:memory", 2),
        ("x:memory:/", 1),
        ("-1::/", 1),
        ("4:memory:relative/path", 1),
        ("4:memory:", 1),
        (":memory:/", 1),
        ("99999999999::/", 1),
    ])
    func rejectsMalformedLines(_ text: String, line: Int) {
        #expect {
            try ProcCgroupParser.parse(text)
        } throws: { error in
            guard case .malformedLine(let number, _) = error as? KernelParseError else { return false }
            return number == line
        }
    }

    /// Random edits of real lines: the parser answers or throws (never crashes), an answer keeps the
    /// invariants, and every error message is one line.
    @Test func randomMutationsNeverCrash() {
        var generator = SplitMix64(seed: 0x6367_726F_7570)
        let seed = Array("9:name=systemd:/a\n4:memory:/crisync-lab/pod1/ctr\n2:cpu,cpuacct:/\n0::/crisync-lab/pod1/ctr\n".utf8)
        let alphabet = Array("0123456789:,/=\n \t".utf8)
        var parsed = 0
        for _ in 0..<20_000 {
            var bytes = seed
            for _ in 0..<Int(generator.next() % 3 + 1) {
                let position = Int(generator.next() % UInt64(bytes.count))
                switch generator.next() % 3 {
                case 0: bytes[position] = alphabet[Int(generator.next() % UInt64(alphabet.count))]
                case 1: bytes.remove(at: position)
                default: bytes.insert(UInt8(truncatingIfNeeded: generator.next()), at: position)
                }
                if bytes.isEmpty { break }
            }
            do {
                let memberships = try ProcCgroupParser.parse(bytes)
                parsed += 1
                #expect(memberships.allSatisfy { $0.hierarchyID >= 0 && $0.path.hasPrefix("/") })
            } catch {
                #expect(!error.description.contains("\n"))
            }
        }
        #expect(parsed > 1000)
    }
}
