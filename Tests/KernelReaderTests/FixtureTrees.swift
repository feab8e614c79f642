import Foundation
import KernelReader

/// Paths of the fixture trees shipped with the tests, and scratch trees made by a test.
enum FixtureTrees {
    /// `Fixtures/<relative>` inside the test bundle's resources.
    static func path(_ relative: String) -> String {
        guard let base = Bundle.module.resourcePath else { fatalError("test bundle has no resource path") }
        return base + "/Fixtures/" + relative
    }

    static let hybridProc = path("hybrid/proc")
    static let hybridCgroup = path("hybrid/cgroup")
    static let v2Proc = path("v2/proc")
    static let v2Cgroup = path("v2/cgroup")
    static let v1Proc = path("v1/proc")
    static let v1Cgroup = path("v1/cgroup")

    /// `btime` in every fixture `proc/stat`.
    static let bootTime: Int64 = 1_795_920_000

    static func hybridReader() throws -> KernelReader {
        try KernelReader(procRoot: hybridProc, cgroupRoot: hybridCgroup)
    }

    static func v2Reader() throws -> KernelReader {
        try KernelReader(procRoot: v2Proc, cgroupRoot: v2Cgroup)
    }
}

/// A temporary directory removed when the value is dropped by `withScratchTree`.
struct ScratchTree {
    let root: String

    func write(_ relative: String, _ contents: some DataProtocol) throws {
        let url = URL(fileURLWithPath: root + "/" + relative)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(contents).write(to: url)
    }

    func write(_ relative: String, _ text: String) throws {
        try write(relative, Array(text.utf8))
    }
}

func withScratchTree<T>(_ body: (ScratchTree) throws -> T) throws -> T {
    let root = FileManager.default.temporaryDirectory.appendingPathComponent("kernelreader-\(UUID().uuidString)").path
    try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(atPath: root) }
    return try body(ScratchTree(root: root))
}

/// Polls `condition` every 10 ms until it holds or `seconds` pass; returns its last result.
func waitUntil(seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = Date().addingTimeInterval(seconds)
    while true {
        if try condition() { return true }
        if Date() >= deadline { return false }
        usleep(10_000)
    }
}
