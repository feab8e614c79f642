import Collector
import Model

/// The terminal form of an ``ExplainReport``: at most 100 columns, colour only through `style`.
/// A pure function, so golden files pin it down.
enum ExplainText {
    static let width = 100

    static func render(_ report: ExplainReport, style: ExplainStyle) -> String {
        var out = Lines(style: style)
        header(report, into: &out)
        switch report.target {
        case .all: node(report, into: &out)
        case .pod, .container: target(report, into: &out)
        }
        return out.lines.joined(separator: "\n") + "\n"
    }

    /// Accumulates output lines, wrapping prose to the width.
    struct Lines {
        var style: ExplainStyle
        var lines: [String] = []

        mutating func blank() {
            if let last = lines.last, !last.isEmpty { lines.append("") }
        }

        mutating func paragraph(_ text: RichText, indent: Int = 0, hanging: Int? = nil) {
            lines += text.wrapped(width: ExplainText.width, firstIndent: indent, hangingIndent: hanging ?? indent, style: style)
        }

        /// `label` in a fixed-width gutter, `text` wrapped beside it.
        mutating func labelled(_ label: String, _ text: RichText, indent: Int, gutter: Int, labelTone: ExplainTone = .dim) {
            let first = text.wrapped(
                width: ExplainText.width - indent - gutter, firstIndent: 0, hangingIndent: 0, style: style)
            for (index, line) in first.enumerated() {
                let prefix = index == 0 ? TerminalText.padded(label, to: gutter) : String(repeating: " ", count: gutter)
                let styledPrefix = index == 0 ? styleLabel(prefix, labelTone) : prefix
                lines.append(String(repeating: " ", count: indent) + styledPrefix + line)
            }
        }

        private func styleLabel(_ padded: String, _ tone: ExplainTone) -> String {
            let label = String(padded.reversed().drop { $0 == " " }.reversed())
            return style.apply(tone, label) + String(repeating: " ", count: padded.count - label.count)
        }
    }

    // MARK: - Header: what was read, and how

    static func header(_ report: ExplainReport, into out: inout Lines) {
        var title = RichText("crisync-exporter explain \(report.target)", .bold)
        if !report.nodeName.isEmpty { title = title + RichText(" on node \(report.nodeName)") }
        title = title + RichText(" at \(ExplainFormat.timestamp(report.timestamp))")
        out.paragraph(title)

        var sources: [(String, ExplainTone)] = []
        for (index, entry) in report.sources.enumerated() {
            sources.append(("\(entry.source.rawValue) ", .plain))
            sources.append(entry.up ? ("up", .green) : ("DOWN", .boldRed))
            if index < report.sources.count - 1 { sources.append((", ", .plain)) }
        }
        if let version = report.runtimeVersion {
            sources.append(("; \(version.runtimeName) \(version.runtimeVersion) (CRI \(version.runtimeAPIVersion))", .plain))
        }
        out.labelled("sources", RichText(sources), indent: 0, gutter: 9)
        for entry in report.sources where !entry.up {
            out.labelled("", RichText("\(entry.source.rawValue): \(entry.error ?? "no data")", .red), indent: 0, gutter: 9)
        }
        for condition in report.runtimeConditions where !condition.status && condition.type == "RuntimeReady" {
            out.labelled(
                "", RichText("runtime condition \(condition.type) is false: \(condition.reason) \(condition.message)", .red),
                indent: 0, gutter: 9)
        }
        for warning in report.warnings {
            out.labelled("warning", RichText(warning, .yellow), indent: 0, gutter: 9, labelTone: .yellow)
        }
        out.labelled(
            "note",
            RichText(
                "observed in this one read. The exporter reports a divergence only once it has lasted "
                    + "\(ExplainFormat.duration(report.exporterMinAgeSeconds)) (--divergence.min-age); one that clears "
                    + "within that is the normal lag between the views.", .dim),
            indent: 0, gutter: 9)
        for issue in report.knownIssues {
            out.labelled(
                "advisory",
                RichText([
                    ("\(report.runtimeVersion.map { "\($0.runtimeName) \($0.runtimeVersion)" } ?? "the runtime") has known issue ", .yellow),
                    (issue.issue, .bold), (", fixed in \(issue.fixedIn): \(issue.summary) (\(issue.references)).", .yellow),
                ]), indent: 0, gutter: 9, labelTone: .yellow)
        }
    }

    // MARK: - One pod or container

    static func target(_ report: ExplainReport, into out: inout Lines) {
        switch report.resolution {
        case .found: break
        case .notFound(let message):
            out.blank()
            let down = report.sourcesDown
            let suffix = down.isEmpty ? "" : " (\(down.map(\.rawValue).joined(separator: ", ")) down: it may exist)"
            out.paragraph(RichText(message + suffix, .yellow))
            return
        case .ambiguous(let prefix, let matches):
            out.blank()
            out.paragraph(RichText("\(prefix) matches \(matches.count) containers; give more of the ID:", .yellow))
            for ref in matches {
                out.paragraph(RichText("\(ref.containerID)  \(ref.namespace)/\(ref.pod) \(ref.container)"), indent: 2, hanging: 4)
            }
            return
        }

        var lastPod: String?
        for pod in report.terminatingPods where !report.containers.contains(where: { $0.ref.podUID == pod.pod.uid }) {
            out.blank()
            podHeader(namespace: pod.pod.namespace, name: pod.pod.pod, uid: pod.pod.uid, into: &out)
            terminating(pod, stuckAfter: report.stuckAfterSeconds, into: &out)
        }
        for container in report.containers {
            let podKey = "\(container.ref.namespace)/\(container.ref.pod)/\(container.ref.podUID)"
            if podKey != lastPod {
                lastPod = podKey
                out.blank()
                podHeader(namespace: container.ref.namespace, name: container.ref.pod, uid: container.ref.podUID, into: &out)
                for pod in report.terminatingPods where pod.pod.uid == container.ref.podUID {
                    terminating(pod, stuckAfter: report.stuckAfterSeconds, into: &out)
                }
            }
            out.blank()
            explain(container, report: report, into: &out)
        }
        out.blank()
        out.paragraph(summary(report))
    }

    static func podHeader(namespace: String, name: String, uid: String, into out: inout Lines) {
        out.paragraph(
            RichText([("pod ", .bold), ("\(namespace)/\(name)", .bold), (uid.isEmpty ? "" : "  uid \(uid)", .dim)]),
            hanging: 4)
    }

    static func terminating(_ explained: ExplainedPod, stuckAfter: Double, into out: inout Lines) {
        let pod = explained.pod
        let state: RichText =
            pod.stuck
            ? RichText("STUCK TERMINATING", .boldRed)
            : RichText("terminating", .yellow)
        out.paragraph(
            state
                + RichText(
                    ": \(ExplainFormat.duration(pod.overdueSeconds)) past its deletion deadline"
                        + (pod.stuck ? "" : " (stuck after \(ExplainFormat.duration(stuckAfter)))") + ", blocked by ")
                + RichText(pod.blockedBy.rawValue, .bold),
            indent: 2, hanging: 4)
        steps(explained.remediation, into: &out)
        out.labelled("runbook", RichText(Remediation.stuckTerminatingAlert), indent: 4, gutter: 9)
    }

    static func explain(_ container: ExplainedContainer, report: ExplainReport, into out: inout Lines) {
        let ref = container.ref
        if container.isSandbox {
            out.paragraph(RichText([("sandbox ", .bold), (ref.containerID, .plain)]), indent: 2, hanging: 4)
        } else {
            var title = RichText([("container ", .bold), (ref.container, .bold), ("  id \(ref.containerID)", .plain)])
            if let attempt = container.view?.runtime?.attempt { title = title + RichText(" attempt \(attempt)", .dim) }
            if container.isEarlierAttempt { title = title + RichText(" (earlier attempt)", .dim) }
            out.paragraph(title, indent: 2, hanging: 4)
            if let view = container.view {
                out.lines += ExplainViews.table(view, container: container, report: report, style: out.style)
            }
        }
        if container.findings.isEmpty {
            let down = report.sourcesDown
            let text =
                !down.isEmpty
                ? RichText("no findings in what could be read (\(ExplainFormat.list(down.map(\.rawValue))) down)", .yellow)
                : container.isEarlierAttempt
                    ? RichText("no findings: an earlier attempt, exited", .green)
                    : RichText("no findings: the three views agree", .green)
            out.paragraph(text, indent: 2)
            return
        }
        out.blank()
        out.paragraph(RichText("\(container.findings.count) finding\(container.findings.count == 1 ? "" : "s"):", .bold), indent: 2)
        for finding in container.findings {
            out.paragraph(
                RichText([("* ", .plain), (finding.kind.rawValue, .boldRed), (": \(finding.kind.explanation)", .plain)]),
                indent: 2, hanging: 4)
            out.labelled("evidence", RichText(finding.divergence.detail), indent: 4, gutter: 9)
            steps(finding.remediation, into: &out)
            out.labelled("runbook", RichText(Remediation.alert(for: finding.kind)), indent: 4, gutter: 9)
        }
    }

    static func steps(_ steps: [RemediationStep], into out: inout Lines) {
        for (index, step) in steps.enumerated() {
            let label = steps.count == 1 ? "fix" : "fix \(index + 1)"
            out.labelled(label, RichText(step.advice), indent: 4, gutter: 9, labelTone: .bold)
            out.labelled(
                "", RichText([("risk \(step.risk.rawValue)", riskTone(step.risk)), (": \(step.riskDetail)", .dim)]),
                indent: 4, gutter: 9)
        }
    }

    static func riskTone(_ risk: RemediationRisk) -> ExplainTone {
        switch risk {
        case .none: .dim
        case .low: .green
        case .medium: .yellow
        case .high: .boldRed
        }
    }

    // MARK: - The node (--all)

    static func node(_ report: ExplainReport, into out: inout Lines) {
        if !report.containers.isEmpty {
            out.blank()
            let rows = report.containers.map { container in
                [
                    "\(container.ref.namespace)/\(container.ref.pod)",
                    container.isSandbox ? "(sandbox)" : container.ref.container,
                    Remediation.shortID(container.ref.containerID),
                    container.findings.map(\.kind.rawValue).joined(separator: ", "),
                ]
            }
            table(
                headers: ["NAMESPACE/POD", "CONTAINER", "ID", "FINDINGS"], rows: rows, tones: [.plain, .plain, .plain, .red],
                caps: [40, 24, 13], into: &out)
        }
        if !report.terminatingPods.isEmpty {
            out.blank()
            let rows = report.terminatingPods.map { explained in
                [
                    "\(explained.pod.namespace)/\(explained.pod.pod)", ExplainFormat.duration(explained.pod.overdueSeconds),
                    explained.pod.blockedBy.rawValue,
                ]
            }
            table(
                headers: ["STUCK TERMINATING POD", "OVERDUE", "BLOCKED BY"], rows: rows, tones: [.plain, .plain, .red],
                caps: [60, 10], into: &out)
        }
        out.blank()
        out.paragraph(summary(report))
        if !report.containers.isEmpty || !report.terminatingPods.isEmpty {
            out.paragraph(RichText("For the views and the fix: `crisync-exporter explain NAMESPACE/POD`"))
        }
    }

    /// Aligned columns, each at most `caps[i]` wide; a row with a longer cell (a pod name can be
    /// 253 characters) is written on its own, wrapped, so long names are never cut.
    static func table(headers: [String], rows: [[String]], tones: [ExplainTone], caps: [Int], into out: inout Lines) {
        let safeRows = rows.map { $0.map(TerminalText.sanitized) }
        func fits(_ row: [String]) -> Bool {
            zip(row.dropLast(), caps).allSatisfy { TerminalText.displayWidth($0) <= $1 }
        }
        var widths = headers.map(TerminalText.displayWidth)
        for row in safeRows where fits(row) {
            for (index, cell) in row.enumerated() { widths[index] = max(widths[index], TerminalText.displayWidth(cell)) }
        }
        let fixed = widths.dropLast().reduce(0) { $0 + $1 + 2 }
        func line(_ cells: [String], tones: [ExplainTone]) -> [String] {
            guard fits(cells) else {
                var spans: [(String, ExplainTone)] = []
                for (index, cell) in cells.enumerated() {
                    spans.append((cell, tones[index]))
                    if index < cells.count - 1 { spans.append(("  ", .plain)) }
                }
                return RichText(spans).wrapped(width: width, firstIndent: 0, hangingIndent: 4, style: out.style)
            }
            let prefix = cells.dropLast().enumerated().map { index, cell in
                out.style.apply(tones[index], cell)
                    + String(repeating: " ", count: widths[index] - TerminalText.displayWidth(cell) + 2)
            }.joined()
            let last = RichText(cells[cells.count - 1], tones[cells.count - 1])
                .wrapped(width: max(20, width - fixed), firstIndent: 0, hangingIndent: 0, style: out.style)
            let indent = String(repeating: " ", count: fixed)
            return last.enumerated().map { index, text in (index == 0 ? prefix : indent) + text }
        }
        out.lines += line(headers, tones: headers.map { _ in .bold })
        for row in safeRows { out.lines += line(row, tones: tones) }
    }

    // MARK: - Summary: the verdict behind the exit code

    static func summary(_ report: ExplainReport) -> RichText {
        let down = report.sourcesDown.map(\.rawValue)
        var parts: [String] = []
        if report.containersWithFindings > 0 {
            let containers = report.containersWithFindings
            let findings = report.findingCount
            parts.append(
                "\(containers) container\(containers == 1 ? "" : "s") with \(findings) finding\(findings == 1 ? "" : "s")")
        }
        if report.stuckPodCount > 0 {
            parts.append("\(report.stuckPodCount) stuck terminating pod\(report.stuckPodCount == 1 ? "" : "s")")
        }
        if !parts.isEmpty {
            var text = RichText(parts.joined(separator: ", ") + ".", .boldRed)
            if !down.isEmpty { text = text + RichText(" (\(ExplainFormat.list(down)) down: there may be more.)", .yellow) }
            return text
        }
        if !down.isEmpty {
            return RichText(
                "Cannot tell: \(ExplainFormat.list(down)) \(down.count == 1 ? "is" : "are") down, so the findings that "
                    + "need \(down.count == 1 ? "it" : "them") are not evaluated.", .yellow)
        }
        switch report.resolution {
        case .notFound, .ambiguous: return RichText("Nothing to explain.", .yellow)
        case .found: break
        }
        if case .all = report.target {
            return RichText(
                "No findings: the kubelet, the runtime and the kernel agree on all \(report.totalContainers) "
                    + "container\(report.totalContainers == 1 ? "" : "s").", .green)
        }
        return RichText("No findings: the kubelet, the runtime and the kernel agree.", .green)
    }
}
