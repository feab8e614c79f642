import Collector
import Foundation
import Model

/// The HTML page at `/`: what this exporter sees right now, for a person with a browser. Plain,
/// server-rendered HTML and CSS, no JavaScript; rendered once per refresh like `/metrics`.
/// Everything that comes from the cluster (pod names are user input) goes through ``escape(_:)``.
enum LandingPage {
    static func render(_ findings: Findings, telemetryPath: String, nodeName: String = "") -> String {
        var html = head()
        html += header(findings, telemetryPath: telemetryPath, nodeName: nodeName)
        html += verdict(findings)
        html += divergences(findings)
        html += terminatingPods(findings)
        html += sources(findings)
        html += runtime(findings)
        html += containerCounts(findings)
        html += "<footer>crisync compares the kubelet's, the container runtime's and the kernel's view of every container "
        html += "on this node. <a href=\"\(Remediation.runbookBase)\">Runbook</a> · "
        html += "<a href=\"https://github.com/crisync/crisync\">Project</a></footer>\n"
        html += "</body></html>\n"
        return html
    }

    // MARK: - Sections

    private static func head() -> String {
        """
        <!DOCTYPE html>
        <html lang="en"><head><meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <title>crisync exporter</title>
        <style>
        body{font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;padding:1.5em 2em;max-width:80em;color:#1d2330;background:#fff}
        h1{font-size:1.6em;margin:0}h2{font-size:1.15em;margin:1.8em 0 .5em;border-bottom:1px solid #dde2ea;padding-bottom:.2em}
        header p{margin:.3em 0;color:#555e6e}nav a{margin-right:1.2em}a{color:#1a5fb4}
        table{border-collapse:collapse;width:100%;margin:.3em 0}th,td{text-align:left;vertical-align:top;padding:.35em .7em;border-bottom:1px solid #e4e8ee}
        th{background:#f4f6f9;font-weight:600;font-size:.9em;color:#3a4355}tr.stuck td{background:#fff4f2}
        code{font:.92em ui-monospace,"DejaVu Sans Mono",monospace;background:#f2f4f7;padding:.05em .3em;border-radius:3px;white-space:nowrap}
        .id{font:.85em ui-monospace,"DejaVu Sans Mono",monospace;color:#555e6e;word-break:break-all}
        .explain{display:block;color:#555e6e;font-size:.88em;margin-top:.15em}
        .verdict{margin:1.2em 0;padding:.8em 1.1em;border-radius:6px;font-size:1.08em;font-weight:600}
        .verdict.ok{background:#e8f6ec;color:#1b6b34}.verdict.bad{background:#fdecea;color:#a4221a}.verdict.unknown{background:#fff6e0;color:#7a5300}
        .badge{display:inline-block;padding:0 .5em;border-radius:3px;font-size:.85em;font-weight:600}
        .up{background:#e8f6ec;color:#1b6b34}.down{background:#fdecea;color:#a4221a}.warn{background:#fff6e0;color:#7a5300}
        td.since{white-space:nowrap}.muted{color:#6b7385}.hint{color:#3a4355;font-size:.92em}footer{margin-top:2.5em;color:#6b7385;font-size:.88em}
        </style>
        </head><body>

        """
    }

    private static func header(_ findings: Findings, telemetryPath: String, nodeName: String) -> String {
        var html = "<header><h1>crisync exporter</h1>\n<p>Version \(escape(BuildInfo.version)) "
        html += "(revision \(escape(BuildInfo.revision)))"
        if !nodeName.isEmpty { html += " on node <b>\(escape(nodeName))</b>" }
        html += ". Snapshot of <time datetime=\"\(ExplainFormat.timestamp(findings.timestamp))\">"
        html += "\(ExplainFormat.timestamp(findings.timestamp))</time>; reload for the latest.</p>\n"
        html += "<nav><a href=\"\(escape(telemetryPath))\">Metrics</a><a href=\"/healthz\">Health</a>"
        html += "<a href=\"#findings\">Findings</a><a href=\"#terminating\">Terminating pods</a>"
        html += "<a href=\"#sources\">Sources</a><a href=\"#runtime\">Runtime</a></nav></header>\n"
        return html
    }

    private static func verdict(_ findings: Findings) -> String {
        let containers = Set(findings.divergences.map(\.ref.containerID)).count
        let stuck = findings.overduePods.filter(\.stuck).count
        let down = Source.allCases.filter { findings.sources[$0]?.up != true }.map(\.rawValue)
        var parts: [String] = []
        if containers > 0 { parts.append("\(containers) container\(containers == 1 ? "" : "s") with divergent views") }
        if stuck > 0 { parts.append("\(stuck) pod\(stuck == 1 ? "" : "s") stuck terminating") }
        let downText = down.isEmpty ? "" : "\(ExplainFormat.list(down)) \(down.count == 1 ? "is" : "are") down"
        if !parts.isEmpty {
            let suffix = down.isEmpty ? "" : " (\(downText): there may be more)"
            return "<p class=\"verdict bad\">\(escape(parts.joined(separator: ", ")))\(escape(suffix)).</p>\n"
        }
        if !down.isEmpty {
            return "<p class=\"verdict unknown\">Cannot tell: \(escape(downText)), so the findings that need "
                + "\(down.count == 1 ? "it" : "them") are not evaluated.</p>\n"
        }
        return "<p class=\"verdict ok\">No findings: the kubelet, the runtime and the kernel agree on all "
            + "\(findings.containersJoined) container\(findings.containersJoined == 1 ? "" : "s").</p>\n"
    }

    private static func divergences(_ findings: Findings) -> String {
        var html = "<h2 id=\"findings\">Divergent containers</h2>\n"
        guard !findings.divergences.isEmpty else { return html + "<p class=\"muted\">None.</p>\n" }
        html += "<table><thead><tr><th>namespace</th><th>pod</th><th>container</th><th>kind</th><th>since</th>"
        html += "<th>evidence</th></tr></thead><tbody>\n"
        for divergence in findings.divergences {
            let since = ExplainFormat.timestamp(divergence.since)
            let container = divergence.ref.container.isEmpty ? "<span class=\"muted\">(sandbox)</span>" : escape(divergence.ref.container)
            html += "<tr><td>\(escape(divergence.ref.namespace))</td><td>\(escape(divergence.ref.pod))</td><td>\(container)"
            html += "<span class=\"explain id\">\(escape(Remediation.shortID(divergence.ref.containerID)))</span></td>"
            html += "<td><code>\(divergence.kind.rawValue)</code>"
            if divergence.stale { html += " <span class=\"badge warn\">last known</span>" }
            html += "<span class=\"explain\">\(escape(divergence.kind.explanation))</span></td>"
            html += "<td class=\"since\"><time datetime=\"\(since)\">\(since)</time><span class=\"explain\">for "
            html += "\(ExplainFormat.duration(divergence.ageSeconds))</span></td>"
            html += "<td>\(escape(divergence.detail))</td></tr>\n"
        }
        html += "</tbody></table>\n"
        html += "<p class=\"hint\">On the node, <code>crisync-exporter explain NAMESPACE/POD</code> shows the three views "
        html += "side by side and the fix with its risk; <code>crisync-exporter explain --all</code> lists them all.</p>\n"
        return html
    }

    private static func terminatingPods(_ findings: Findings) -> String {
        var html = "<h2 id=\"terminating\">Terminating pods past their deadline</h2>\n"
        guard !findings.overduePods.isEmpty else {
            let terminating = findings.terminatingPods
            return html + "<p class=\"muted\">None (\(terminating) pod\(terminating == 1 ? "" : "s") terminating in time).</p>\n"
        }
        html += "<table><thead><tr><th>namespace</th><th>pod</th><th>uid</th><th>past deadline</th><th>blocked by</th>"
        html += "<th>state</th></tr></thead><tbody>\n"
        for pod in findings.overduePods {
            html += "<tr\(pod.stuck ? " class=\"stuck\"" : "")><td>\(escape(pod.namespace))</td><td>\(escape(pod.pod))</td>"
            html += "<td class=\"id\">\(escape(pod.uid))</td><td>\(ExplainFormat.duration(pod.overdueSeconds))</td>"
            html += "<td><code>\(pod.blockedBy.rawValue)</code><span class=\"explain\">\(escape(blockerExplanation(pod.blockedBy)))</span></td>"
            html += "<td>\(pod.stuck ? "<span class=\"badge down\">stuck</span>" : "<span class=\"badge warn\">overdue</span>")</td></tr>\n"
        }
        html += "</tbody></table>\n"
        return html
    }

    private static func sources(_ findings: Findings) -> String {
        var html = "<h2 id=\"sources\">Sources</h2>\n<table><thead><tr><th>source</th><th>status</th><th>last read</th>"
        html += "<th>failed reads</th><th>error</th></tr></thead><tbody>\n"
        for source in [Source.kubelet, .runtime, .procfs] {
            let health = findings.sources[source]
            let up = health?.up == true
            html += "<tr><td>\(source.rawValue)</td><td><span class=\"badge \(up ? "up" : "down")\">\(up ? "up" : "down")</span></td>"
            html += "<td>\(String(format: "%.3f", health?.durationSeconds ?? 0)) s</td><td>\(health?.errorsTotal ?? 0)</td>"
            html += "<td>\(escape(health?.lastError ?? ""))</td></tr>\n"
        }
        return html + "</tbody></table>\n"
    }

    private static func runtime(_ findings: Findings) -> String {
        var html = "<h2 id=\"runtime\">Runtime</h2>\n"
        guard let version = findings.runtimeVersion else {
            return html + "<p class=\"muted\">Not known: the runtime has not answered yet.</p>\n"
        }
        html += "<p>\(escape(version.runtimeName)) <b>\(escape(version.runtimeVersion))</b> "
        html += "(CRI \(escape(version.runtimeAPIVersion)))"
        for condition in findings.runtimeConditions {
            html += " · \(escape(condition.type)) <span class=\"badge \(condition.status ? "up" : "warn")\">"
            html += "\(condition.status ? "true" : "false")</span>"
            if !condition.status, !condition.reason.isEmpty { html += " <span class=\"muted\">\(escape(condition.reason))</span>" }
        }
        html += "</p>\n"
        guard !findings.knownIssues.isEmpty else {
            return html + "<p class=\"muted\">No known state-sync issue affects this version.</p>\n"
        }
        html += "<h2 id=\"known-issues\">Known issues of this runtime version</h2>\n"
        html += "<table><thead><tr><th>issue</th><th>fixed in</th><th>what happens</th><th>references</th></tr></thead><tbody>\n"
        for issue in findings.knownIssues {
            html += "<tr><td><code>\(escape(issue.issue))</code></td><td>\(escape(issue.fixedIn))</td>"
            html += "<td>\(escape(issue.summary))</td><td>\(escape(issue.references))</td></tr>\n"
        }
        return html + "</tbody></table>\n"
    }

    private static func containerCounts(_ findings: Findings) -> String {
        var html = "<h2 id=\"containers\">Containers by state</h2>\n"
        let sources = [Source.kubelet, .runtime].filter { findings.containerCounts[$0] != nil }
        guard !sources.isEmpty else { return html + "<p class=\"muted\">No source could be read.</p>\n" }
        html += "<table><thead><tr><th>view</th><th>states</th></tr></thead><tbody>\n"
        for source in sources {
            let counts = findings.containerCounts[source] ?? [:]
            let text = counts.keys.sorted().map { "\($0) \(counts[$0] ?? 0)" }.joined(separator: " · ")
            html += "<tr><td>\(source.rawValue)</td><td>\(escape(text))</td></tr>\n"
        }
        return html + "</tbody></table>\n"
    }

    static func blockerExplanation(_ blocker: TerminationBlocker) -> String {
        switch blocker {
        case .processZombie, .processMissing:
            "a container's process is dead but the runtime still says RUNNING: the stop hangs on the shim"
        case .containerRunning: "a container really still runs: the stop failed or is retried"
        case .sandboxRunning: "the containers are gone, the sandbox is not"
        case .runtimeUnreachable: "the runtime does not answer, so nothing can be stopped"
        case .unknown: "nothing runs: a finalizer, a volume unmount, or a status not yet reported"
        }
    }

    /// Escapes text for HTML element content and quoted attribute values.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(character)
            }
        }
        return out
    }
}
