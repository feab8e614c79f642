import Exposition
import Foundation
import Model
import Testing

@testable import Collector

/// The collector's whole output for fixture nodes, compared byte for byte with files under
/// Fixtures/golden. `CRISYNC_UPDATE_GOLDEN=1 swift test --filter GoldenTests` rewrites them; review
/// the diff before committing.
@Suite("Golden /metrics output of the collector")
struct GoldenTests {
    static let t0 = Scenario.t0

    static func healthy() -> Scenario {
        var s = Scenario()
        s.addPod(name: "web", uid: "u-web")
        s.addContainer(id: "c-web", podUID: "u-web", name: "nginx", pid: 101)
        s.addPod(namespace: "kube-system", name: "dns", uid: "u-dns")
        s.addContainer(id: "c-dns", podUID: "u-dns", name: "coredns", pid: 102)
        s.addContainer(id: "c-init", podUID: "u-dns", name: "setup", state: .exited, reason: "Completed", kubelet: nil)
        return s
    }

    static func incident() -> Scenario {
        var s = healthy()
        s.runtime.version = RuntimeVersion(runtimeName: "containerd", runtimeVersion: "1.7.20", runtimeAPIVersion: "v1")
        s.addPod(namespace: "shop", name: "checkout-7d9f\"quoted\"", uid: "u-ghost")
        s.addContainer(id: "c-ghost", podUID: "u-ghost", name: "app", pid: 103, processState: .zombie)
        s.kernel.processes[Scenario.shimPID]?.state = .stopped
        s.addPod(namespace: "shop", name: "stuck", uid: "u-stuck", deletionTimestamp: t0 - 40)
        s.addContainer(id: "c-stuck", podUID: "u-stuck", name: "worker", pid: 104, processState: .zombie)
        s.addPod(namespace: "batch", name: "oom", uid: "u-oom")
        return s
    }

    /// Two refreshes 30 s apart, with an OOM kill and an abnormal exit between them.
    static func render(_ scenario: Scenario, change: (inout Scenario) -> Void = { _ in }) throws -> String {
        var refresher = Refresher()
        var s = scenario
        _ = refresher.refresh(s, at: t0)
        change(&s)
        let findings = refresher.refresh(s, at: t0 + 30)
        return try TextWriter.render(MetricsInventory.families(from: findings), format: .prometheusText)
    }

    static let cases: [(name: String, text: @Sendable () throws -> String)] = [
        ("healthy", { try render(healthy()) }),
        (
            "incident",
            {
                try render(incident()) { s in
                    s.addContainer(id: "c-oom1", podUID: "u-oom", name: "trainer", state: .exited, exitCode: 137, reason: "OOMKilled", kubelet: nil)
                    s.addContainer(id: "c-err", podUID: "u-web", name: "nginx", state: .exited, exitCode: 1, reason: "Error", kubelet: nil)
                }
            }
        ),
        (
            "runtime-down",
            {
                try render(incident()) { s in s.runtimeUp = false }
            }
        ),
    ]

    @Test(arguments: cases.map(\.name))
    func matchesGolden(name: String) throws {
        let text = try Self.cases.first { $0.name == name }!.text()
        let url = Self.goldenDirectory.appendingPathComponent("\(name).prom")
        if ProcessInfo.processInfo.environment["CRISYNC_UPDATE_GOLDEN"] == "1" {
            try text.write(to: url, atomically: true, encoding: .utf8)
        }
        let golden = try String(contentsOf: url, encoding: .utf8)
        #expect(text == golden, "differs from \(url.path); rerun with CRISYNC_UPDATE_GOLDEN=1 and review the diff")
    }

    @Test(arguments: cases.map(\.name))
    func goldenIsPromtoolClean(name: String) throws {
        let url = Self.goldenDirectory.appendingPathComponent("\(name).prom")
        let promtool = try #require(
            ["/usr/bin/promtool", "/usr/local/bin/promtool"].first { FileManager.default.isExecutableFile(atPath: $0) },
            "promtool not found: install Debian's prometheus package (make test does)")
        let process = Process()
        process.executableURL = URL(fileURLWithPath: promtool)
        process.arguments = ["check", "metrics"]
        process.standardInput = try FileHandle(forReadingFrom: url)
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0 && data.isEmpty, "\(String(decoding: data, as: UTF8.self))")
    }

    @Test func healthyNodeExportsASmallConstantSetOfSeries() throws {
        func seriesCount(pods: Int) throws -> Int {
            var s = Scenario()
            for i in 0..<pods {
                s.addPod(name: "p\(i)", uid: "u\(i)")
                s.addContainer(id: "c\(i)", podUID: "u\(i)", name: "app", pid: Int32(1000 + i))
            }
            let text = try Self.render(s)
            return text.split(separator: "\n").filter { !$0.hasPrefix("#") }.count
        }
        let small = try seriesCount(pods: 2)
        #expect(try seriesCount(pods: 200) == small, "cardinality must follow problems, not pods")
    }

    static var goldenDirectory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/golden")
    }
}
