import Collector
import Foundation
import Model
import Testing

@testable import CrisyncApp

/// Removes ANSI SGR sequences (`ESC [ ... m`), the only escapes `explain` writes.
func strippingSGR(_ text: String) -> String {
    var out = ""
    var scalars = text.unicodeScalars.makeIterator()
    while let scalar = scalars.next() {
        if scalar == "\u{1B}" {
            while let next = scalars.next(), next != "m" {}
            continue
        }
        out.unicodeScalars.append(scalar)
    }
    return out
}

@Suite("explain: terminal text")
struct ExplainTextTests {
    @Test(arguments: ExplainCase.everything)
    func fitsOneHundredColumnsWithAndWithoutColour(_ testCase: ExplainCase) {
        for style in [ExplainStyle.plain, .coloured] {
            let text = ExplainText.render(testCase.report, style: style)
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                #expect(
                    TerminalText.displayWidth(String(line)) <= 100,
                    "line \(number + 1) is \(TerminalText.displayWidth(String(line))) columns: \(strippingSGR(String(line)))")
            }
        }
    }

    @Test(arguments: ExplainCase.everything)
    func plainHasNoEscapesAndColourChangesNothingButColour(_ testCase: ExplainCase) {
        let plain = ExplainText.render(testCase.report, style: .plain)
        let coloured = ExplainText.render(testCase.report, style: .coloured)
        #expect(!plain.unicodeScalars.contains("\u{1B}"), "no ANSI escape without colour")
        #expect(coloured.unicodeScalars.contains("\u{1B}"), "the coloured form has colour")
        #expect(strippingSGR(coloured) == plain, "without its colour the coloured output reads exactly as the plain one")
    }

    @Test func findingsAreRedAndHealthIsGreenOnlyWhenColoured() {
        let ghost = ExplainScenarios.ghost.report(.pod(namespace: "shop", name: "ghost"))
        let coloured = ExplainText.render(ghost, style: .coloured)
        #expect(coloured.contains("\u{1B}[1;31mprocess_zombie\u{1B}[0m"))
        #expect(coloured.contains("\u{1B}[32mup\u{1B}[0m"))
        #expect(coloured.contains("\u{1B}[32mrisk low\u{1B}[0m"))
        #expect(coloured.contains("\u{1B}[2m(--divergence.min-age); one that clears"), "a phrase of one colour is one run")
    }

    @Test func clusterDataCannotWriteEscapeSequencesOrReorderText() {
        let report = ExplainScenarios.hostile.report(.all)
        for style in [ExplainStyle.plain, .coloured] {
            let text = strippingSGR(ExplainText.render(report, style: style))
            #expect(!text.unicodeScalars.contains("\u{1B}"), "the pod's escape sequence is shown, not sent")
            #expect(!text.unicodeScalars.contains("\u{202E}"), "no right-to-left override reaches the terminal")
            #expect(text.contains("c\\x1b[31mred\\u{202e}"))
        }
    }

    @Test func theGhostIsExplainedWithTheShimAndItsFix() throws {
        let text = ExplainText.render(ExplainScenarios.ghost.report(.pod(namespace: "shop", name: "ghost")), style: .plain)
        #expect(text.contains("process_zombie: the runtime says RUNNING but the container's process has exited"))
        #expect(text.contains("ready_but_dead"))
        #expect(text.contains("kill -CONT 902"), "the ghost is the third pod: its shim is 902")
        #expect(text.contains("risk low"))
        #expect(text.contains("Z zombie"))
        #expect(text.contains("T stopped"))
        #expect(text.contains("observed in this one read"))
        #expect(text.contains("lost-exit-event"), "containerd 1.6.20 has the lost-exit-event advisory")
        #expect(!text.contains("missed-init-exit"), "1.6.20 predates the missed-init-exit range")
    }

    @Test func aRecycledPIDsParentIsNeverOfferedAsTheShim() {
        let report = ExplainScenarios.pidReused.report(.pod(namespace: "default", name: "reused"))
        let steps = report.containers.flatMap(\.findings).flatMap(\.remediation)
        #expect(!steps.isEmpty)
        for step in steps {
            #expect(!(step.command ?? "").contains("kill -KILL 1"), "\(step.command ?? "")")
            #expect(!(step.command ?? "").contains("kill -CONT 1"), "\(step.command ?? "")")
        }
        #expect(report.containers.first?.findings.map(\.kind) == [.processMissing, .readyButDead])
        #expect(steps.first?.command?.contains("grep '[c]ontainerd-shim") == true)
    }

    @Test func aShimThatMissedTheExitIsRestartedAndContainerdUpgraded() {
        let report = ExplainScenarios.missedExit.report(.pod(namespace: "batch", name: "worker-7d9f"))
        let worker = report.containers.first { $0.ref.container == "worker" }
        let steps = worker?.findings.first { $0.kind == .processZombie }?.remediation ?? []
        #expect(steps.map(\.command) == ["kill -KILL 900", "kubectl drain NODE --ignore-daemonsets --delete-emptydir-data"])
        #expect(steps.map(\.risk) == [.medium, .medium])
        #expect(steps.last?.advice.contains("1.7.34 or later (it fixes missed-init-exit and lost-exit-event)") == true)
        #expect(report.knownIssues.map(\.issue) == ["missed-init-exit", "lost-exit-event"])
    }

    @Test func stuckPodsNameWhatBlocksThem() {
        let report = ExplainScenarios.stuck.report(.all)
        #expect(report.terminatingPods.map(\.pod.pod) == ["cart-0", "cart-1"], "cart-2 is only 5s overdue: not stuck")
        #expect(report.terminatingPods.map(\.pod.blockedBy) == [.processZombie, .sandboxRunning])
        let text = ExplainText.render(report, style: .plain)
        #expect(text.contains("shop/cart-0"))
        #expect(text.contains("sandbox_running"))
    }

    @Test(arguments: [
        ("shop/ghost", ExplainTarget.pod(namespace: "shop", name: "ghost")),
        (" shop/ghost ", .pod(namespace: "shop", name: "ghost")),
        ("containerd://0123abcd", .container(idPrefix: "0123abcd")),
        ("0123abcd", .container(idPrefix: "0123abcd")),
    ])
    func targetsParse(argument: String, expected: ExplainTarget) throws {
        #expect(try ExplainTarget(argument: argument) == expected)
    }

    @Test(arguments: ["", "  ", "/pod", "ns/", "a/b/c", "two words", "containerd://"])
    func badTargetsAreRejected(argument: String) {
        #expect(throws: ExplainTargetError.self) { try ExplainTarget(argument: argument) }
    }

    @Test func aPrefixOfSeveralContainersIsAmbiguous() {
        var node = ExplainNode()
        let pod = node.addPod(name: "twins")
        node.addContainer("a", podUID: pod, pid: 11, id: "abcdef01" + String(repeating: "0", count: 56))
        node.addContainer("b", podUID: pod, pid: 12, id: "abcdef02" + String(repeating: "0", count: 56))
        let report = node.report(.container(idPrefix: "abcdef0"))
        #expect(report.resolution == .ambiguous(prefix: "abcdef0", matches: node.findings.views.map(\.ref).sorted()))
        #expect(report.containers.isEmpty)
        #expect(report.exitCode == 3)
        #expect(ExplainText.render(report, style: .plain).contains("abcdef0 matches 2 containers"))
        let exact = node.report(.container(idPrefix: "abcdef02"))
        #expect(exact.containers.map(\.ref.container) == ["b"])
    }

    @Test(arguments: [
        (ExplainColorMode.auto, true, [String: String](), true), (.auto, false, [:], false),
        (.auto, true, ["NO_COLOR": "1"], false), (.auto, true, ["NO_COLOR": ""], true),
        (.always, false, ["NO_COLOR": "1"], true), (.never, true, [:], false),
    ])
    func colourOnlyOnATerminalWithoutNoColor(mode: ExplainColorMode, terminal: Bool, environment: [String: String], colour: Bool) {
        #expect(ExplainStyle.decide(mode, outputIsTerminal: terminal, environment: environment).colour == colour)
    }

    /// Any width where a wide character fits after the hanging indent (4).
    @Test(arguments: [6, 7, 13, 40, 100])
    func wrappingNeverExceedsTheWidth(width: Int) {
        let text = RichText([
            ("a-very-long-identifier-without-any-spaces-0123456789abcdef0123456789abcdef ", .red),
            ("short words, ", .plain), ("全角の文字も二列を取る ", .yellow), ("(", .plain), ("DOWN", .boldRed), (")", .plain),
        ])
        for style in [ExplainStyle.plain, .coloured] {
            let lines = text.wrapped(width: width, firstIndent: 2, hangingIndent: 4, style: style)
            for line in lines {
                #expect(TerminalText.displayWidth(line) <= width, "\(width): \(strippingSGR(line))")
            }
            if width >= 10 {
                #expect(lines.contains { strippingSGR($0).contains("(DOWN)") }, "a word made of spans stays together")
            }
            let rejoined = strippingSGR(lines.joined(separator: " ")).split(separator: " ").joined()
            #expect(rejoined.contains("0123456789abcdef0123456789abcdef"), "nothing is lost when a word is split")
        }
    }

    @Test func displayWidthCountsWideCharactersTwiceAndEscapesNever() {
        #expect(TerminalText.displayWidth("abc") == 3)
        #expect(TerminalText.displayWidth("全角") == 4)
        #expect(TerminalText.displayWidth("\u{1B}[1;31mred\u{1B}[0m") == 3)
        #expect(TerminalText.displayWidth("e\u{301}") == 1)
    }
}
