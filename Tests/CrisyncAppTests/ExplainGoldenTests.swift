import Foundation
import Testing

@testable import CrisyncApp

/// One golden case: a scenario, what is asked about it, and the file holding the expected output.
struct ExplainCase: Sendable, CustomTestStringConvertible {
    var scenario: String
    var target: ExplainTarget
    var golden: String

    var testDescription: String { "\(scenario) \(target)" }

    var node: ExplainNode { ExplainScenarios.all[scenario]! }
    var report: ExplainReport { node.report(target) }

    static let text: [ExplainCase] = [
        .init(scenario: "healthy", target: .pod(namespace: "default", name: "web"), golden: "healthy-pod.txt"),
        .init(scenario: "healthy", target: .all, golden: "healthy-all.txt"),
        .init(scenario: "ghost", target: .pod(namespace: "shop", name: "ghost"), golden: "ghost-pod.txt"),
        .init(scenario: "ghost", target: .all, golden: "ghost-all.txt"),
        .init(scenario: "missed-exit", target: .pod(namespace: "batch", name: "worker-7d9f"), golden: "missed-exit-pod.txt"),
        .init(scenario: "stuck", target: .pod(namespace: "shop", name: "cart-0"), golden: "stuck-pod.txt"),
        .init(scenario: "stuck", target: .pod(namespace: "shop", name: "cart-1"), golden: "stuck-sandbox-pod.txt"),
        .init(scenario: "stuck", target: .pod(namespace: "shop", name: "cart-2"), golden: "stuck-recent-pod.txt"),
        .init(scenario: "stuck", target: .all, golden: "stuck-all.txt"),
        .init(scenario: "kubelet-divergence", target: .pod(namespace: "prod", name: "api-5c8d"), golden: "kubelet-exited-pod.txt"),
        .init(scenario: "kubelet-divergence", target: .pod(namespace: "prod", name: "cron-1"), golden: "kubelet-terminated-pod.txt"),
        .init(scenario: "kubelet-divergence", target: .pod(namespace: "prod", name: "lost"), golden: "runtime-missing-pod.txt"),
        .init(scenario: "kubelet-divergence", target: .pod(namespace: "prod", name: "old-web"), golden: "orphaned-pod.txt"),
        .init(scenario: "kubelet-divergence", target: .all, golden: "kubelet-divergence-all.txt"),
        .init(scenario: "pid-reused", target: .pod(namespace: "default", name: "reused"), golden: "pid-reused-pod.txt"),
        .init(scenario: "runtime-down", target: .pod(namespace: "default", name: "web"), golden: "runtime-down-pod.txt"),
        .init(scenario: "runtime-down", target: .all, golden: "runtime-down-all.txt"),
        .init(scenario: "healthy", target: .pod(namespace: "default", name: "nope"), golden: "not-found-pod.txt"),
        .init(scenario: "hostile", target: .all, golden: "hostile-all.txt"),
        .init(scenario: "hostile", target: .container(idPrefix: String(ExplainNode.id("evil/<script>alert(\"x\")</script>'pod/c\u{1B}[31mred\u{202E}/0").prefix(12))), golden: "hostile-container.txt"),
    ]

    static let json: [ExplainCase] = [
        .init(scenario: "ghost", target: .pod(namespace: "shop", name: "ghost"), golden: "ghost-pod.json"),
        .init(scenario: "kubelet-divergence", target: .all, golden: "kubelet-divergence-all.json"),
        .init(scenario: "runtime-down", target: .all, golden: "runtime-down-all.json"),
    ]

    /// Every scenario under every target that makes sense for it: for the properties that hold for any output.
    static var everything: [ExplainCase] {
        var cases = text + json
        for (name, node) in ExplainScenarios.all.sorted(by: { $0.key < $1.key }) {
            for view in node.findings.views {
                cases.append(.init(scenario: name, target: .pod(namespace: view.ref.namespace, name: view.ref.pod), golden: ""))
                cases.append(.init(scenario: name, target: .container(idPrefix: view.ref.containerID), golden: ""))
            }
        }
        return cases
    }
}

@Suite("explain: golden outputs")
struct ExplainGoldenTests {
    @Test(arguments: ExplainCase.text)
    func textMatchesGolden(_ testCase: ExplainCase) throws {
        try ExplainGolden.check(ExplainText.render(testCase.report, style: .plain), against: testCase.golden)
    }

    @Test(arguments: ExplainCase.json)
    func jsonMatchesGolden(_ testCase: ExplainCase) throws {
        try ExplainGolden.check(try ExplainJSON.render(testCase.report), against: testCase.golden)
    }

    /// The exit code is the verdict scripts rely on: 0 agree, 1 findings, 2 cannot tell, 3 no such target.
    @Test(arguments: [
        ("healthy", ExplainTarget.all, 0), ("healthy", .pod(namespace: "default", name: "web"), 0),
        ("ghost", .all, 1), ("ghost", .pod(namespace: "shop", name: "ghost"), 1),
        ("ghost", .pod(namespace: "default", name: "web"), 0),
        ("stuck", .all, 1), ("stuck", .pod(namespace: "shop", name: "cart-1"), 1),
        ("stuck", .pod(namespace: "shop", name: "cart-2"), 0),
        ("kubelet-divergence", .pod(namespace: "prod", name: "lost"), 1),
        ("runtime-down", .all, 2), ("runtime-down", .pod(namespace: "default", name: "web"), 2),
        ("runtime-down", .pod(namespace: "default", name: "nope"), 2),
        ("healthy", .pod(namespace: "default", name: "nope"), 3), ("healthy", .container(idPrefix: "ffffffffffff"), 3),
    ])
    func exitCodes(scenario: String, target: ExplainTarget, expected: Int32) {
        let report = ExplainScenarios.all[scenario]!.report(target)
        #expect(report.exitCode == expected, "\(scenario) \(target): \(report.verdict)")
    }
}
