import Collector
import Foundation
import Model
import Testing

@testable import CrisyncApp

extension ExplainNode {
    /// The findings as the exporter serves them 20 s after it first saw this node: two refreshes
    /// with the default min-age (15 s), so every divergence has lasted long enough to count.
    var exporterFindings: Findings {
        var input = self.input
        input.now = Self.t0 - 20
        let first = Collector.evaluate(input, memory: CollectorMemory())
        input.now = Self.t0
        return Collector.evaluate(input, memory: first.memory).findings
    }
}

enum LandingPageScenarios {
    /// A node with something in every section: a ghost, a stuck pod, a hostile pod name, a
    /// runtime release with known issues.
    static var busy: ExplainNode {
        var node = ExplainNode(runtimeVersion: "1.7.14")
        let web = node.addPod(name: "web")
        node.addContainer("nginx", podUID: web, pid: 4101)
        let ghost = node.addPod(namespace: "shop", name: "ghost")
        node.addContainer("app", podUID: ghost, pid: 4103, process: .zombie(shim: .stopped))
        let cart = node.addPod(namespace: "shop", name: "cart-0", deletedSecondsAgo: 95)
        node.addContainer("cart", podUID: cart, pid: 6101, process: .zombie(shim: .stopped))
        let evil = node.addPod(namespace: "evil", name: hostileName)
        node.addContainer("c\"><img src=x onerror=alert(1)>", podUID: evil, pid: 9101, process: .gone, ready: false)
        return node
    }

    static let hostileName = "<script>alert(\"x\")</script>'pod"

    static func page(_ node: ExplainNode) -> String {
        LandingPage.render(node.exporterFindings, telemetryPath: "/metrics", nodeName: "node-1")
    }
}

/// Rows of the tables in an HTML text: the text of each `<tr>`, tags removed, entities kept.
func tableRows(_ html: String) -> [String] {
    html.components(separatedBy: "<tr").dropFirst().map { chunk in
        let row = chunk.components(separatedBy: "</tr>").first ?? chunk
        return row.replacingOccurrences(of: "<[^>]*>", with: " ", options: .regularExpression)
            .replacingOccurrences(of: "\\s+", with: " ", options: .regularExpression)
    }
}

@Suite("landing page: rendering")
struct LandingPageTests {
    @Test func everyFindingIsARowWithNamespacePodContainerKindAndSince() {
        let html = LandingPageScenarios.page(LandingPageScenarios.busy)
        let rows = tableRows(html)
        #expect(rows.contains { $0.contains("shop") && $0.contains("ghost") && $0.contains("app") && $0.contains("process_zombie") && $0.contains("2027-01-15T07:59:40Z") })
        #expect(rows.contains { $0.contains("ghost") && $0.contains("ready_but_dead") })
        #expect(rows.contains { $0.contains("cart-0") && $0.contains("process_zombie") && $0.contains("stuck") && $0.contains("1m35s") })
        #expect(rows.contains { $0.contains("missed-init-exit") && $0.contains("1.7.22") })
        #expect(rows.contains { $0.contains("runtime") && $0.contains("up") })
        #expect(html.contains("3 containers with divergent views, 1 pod stuck terminating"))
        #expect(html.contains("Version \(BuildInfo.version)"))
        #expect(html.contains("href=\"/metrics\""))
    }

    @Test func podNamesAreEscapedEverywhere() {
        let html = LandingPageScenarios.page(LandingPageScenarios.busy)
        #expect(!html.contains("<script"), "no script element, injected or ours")
        #expect(!html.contains("<img"))
        #expect(html.contains("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&#39;pod"))
        #expect(html.contains("c&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"))
    }

    @Test func noJavaScriptAtAll() {
        for node in [LandingPageScenarios.busy, ExplainScenarios.healthy, ExplainScenarios.runtimeDown] {
            let html = LandingPageScenarios.page(node)
            #expect(html.range(of: #"<[^>]*\son[a-z]+\s*="#, options: .regularExpression) == nil, "no event handler attribute")
            #expect(!html.lowercased().contains("javascript:"))
            #expect(!html.contains("<script"))
        }
    }

    @Test func tagsAreBalanced() {
        for node in [LandingPageScenarios.busy, ExplainScenarios.healthy, ExplainScenarios.runtimeDown, ExplainScenarios.stuck] {
            let html = LandingPageScenarios.page(node)
            for tag in ["table", "tr", "td", "th", "p", "h2", "code", "span", "time", "thead", "tbody"] {
                let opened = html.components(separatedBy: "<\(tag)>").count + html.components(separatedBy: "<\(tag) ").count - 2
                let closed = html.components(separatedBy: "</\(tag)>").count - 1
                #expect(opened == closed, "<\(tag)>: \(opened) opened, \(closed) closed")
            }
        }
    }

    @Test func aHealthyNodeSaysSo() {
        let html = LandingPageScenarios.page(ExplainScenarios.healthy)
        #expect(html.contains("No findings: the kubelet, the runtime and the kernel agree on all 2 containers."))
        #expect(html.contains("No known state-sync issue") == false, "1.6.20 has lost-exit-event")
        #expect(tableRows(html).contains { $0.contains("lost-exit-event") && $0.contains("1.7.34") })
    }

    @Test func aDownSourceIsShownWithItsError() {
        let html = LandingPageScenarios.page(ExplainScenarios.runtimeDown)
        #expect(html.contains("Cannot tell: runtime is down"))
        #expect(tableRows(html).contains { $0.contains("runtime") && $0.contains("down") && $0.contains("the socket does not exist") })
    }
}
