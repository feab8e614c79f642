import KernelReader
import Model
import Testing

/// `CgroupsPath.resolve` and `processIsInContainer` answer plain absolute paths (what the kernel
/// writes) by comparing bytes, without splitting into components; every other path takes the
/// component rules. These tests hold both against the component rules written out again here, on
/// paths built from awkward pieces, so the fast path can never answer differently.
@Suite("CgroupsPath fast path")
struct CgroupsPathFastPathTests {
    /// The component rules as they were before the fast path (cgroupfs paths only).
    enum Reference {
        static func components(_ path: String) -> [Substring] {
            path.split(separator: "/").filter { $0 != "." }
        }

        static func resolve(_ path: String) -> String? {
            if path.isEmpty { return nil }
            let parts = components(path)
            if parts.contains("..") { return nil }
            return "/" + parts.joined(separator: "/")
        }

        static func matches(_ processPath: String, containerPath: String) -> Bool {
            let container = components(containerPath)
            let process = components(processPath)
            if process.starts(with: container) { return true }
            guard process.first == "..", let leaf = container.last else { return false }
            let visible = process.drop { $0 == ".." }
            guard let leafIndex = visible.firstIndex(of: leaf) else { return false }
            let head = visible[visible.startIndex...leafIndex]
            return container.suffix(head.count).elementsEqual(head)
        }
    }

    static let pieces = ["", ".", "..", "a", "ab", "pod1", "c0ffee", "a.b", "...", ".x"]

    /// Every path of up to three pieces, with and without a leading and a trailing `/`.
    static let paths: [String] = {
        var result: Set<String> = ["/"]
        func add(_ parts: [String]) {
            let body = parts.joined(separator: "/")
            for text in [body, "/" + body, body + "/", "/" + body + "/"] where !text.contains(":") { result.insert(text) }
        }
        for a in pieces {
            add([a])
            for b in pieces {
                add([a, b])
                for c in pieces { add([a, b, c]) }
            }
        }
        return result.sorted()
    }()

    @Test func resolveAgreesWithTheComponentRules() {
        let disagreements = Self.paths.filter { CgroupsPath.resolve($0) != Reference.resolve($0) }
        #expect(disagreements.count == 0, "resolve differs for \(disagreements.prefix(10))")
    }

    @Test func matchingAgreesWithTheComponentRules() {
        // Container paths of up to two pieces (as resolved), process paths of up to three.
        let containers = Set(Self.paths.filter { $0.split(separator: "/").count <= 2 }.compactMap(Reference.resolve)).sorted()
        var disagreements: [String] = []
        var compared = 0
        for containerPath in containers {
            for processPath in Self.paths {
                let process = Model.KernelProcess(
                    pid: 1, command: "sleep", state: .sleeping, ppid: 0, startTime: 0,
                    cgroups: [CgroupMembership(hierarchyID: 0, controllers: [], path: processPath)])
                if CgroupsPath.processIsInContainer(process, cgroupsPath: containerPath)
                    != Reference.matches(processPath, containerPath: containerPath)
                {
                    disagreements.append("process \(processPath) in container \(containerPath)")
                }
                compared += 1
            }
        }
        #expect(compared > 10_000)
        #expect(disagreements.count == 0, "e.g. \(disagreements.prefix(5))")
    }

    @Test(arguments: [
        ("/crisync-lab/pod1/abc", "/crisync-lab/pod1/abc", true),
        ("/crisync-lab/pod1/abc/init", "/crisync-lab/pod1/abc", true),
        ("/crisync-lab/pod1/abcd", "/crisync-lab/pod1/abc", false),
        ("/crisync-lab/pod1", "/crisync-lab/pod1/abc", false),
        ("/", "/", true),
        ("/anything", "/", true),
    ])
    func plainPaths(processPath: String, containerPath: String, expected: Bool) {
        let process = Model.KernelProcess(
            pid: 1, command: "sleep", state: .sleeping, ppid: 0, startTime: 0,
            cgroups: [CgroupMembership(hierarchyID: 4, controllers: ["memory"], path: processPath)])
        #expect(CgroupsPath.processIsInContainer(process, cgroupsPath: containerPath) == expected)
    }
}
