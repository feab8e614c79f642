import Collector
import Foundation
import Model

/// The HTML page at `/`: plain, server-rendered, no JavaScript. Everything that comes from the
/// cluster (pod names are user input) is escaped.
enum LandingPage {
    static func render(_ findings: Findings, telemetryPath: String) -> String {
        var html = """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8"><title>crisync exporter</title>
            <style>body{font-family:sans-serif;margin:2em;max-width:70em}table{border-collapse:collapse}
            td,th{border:1px solid #ccc;padding:.2em .6em;text-align:left}.down{color:#b00}.up{color:#070}</style>
            </head><body>
            <h1>crisync exporter</h1>
            <p>Version \(escape(BuildInfo.version)) (revision \(escape(BuildInfo.revision))).
            <a href="\(escape(telemetryPath))">Metrics</a> · <a href="/healthz">Health</a></p>

            """
        html += "<h2>Sources</h2><table><tr><th>source</th><th>status</th><th>last read</th><th>error</th></tr>\n"
        for source in Source.allCases {
            let health = findings.sources[source]
            let up = health?.up == true
            html += "<tr><td>\(source.rawValue)</td><td class=\"\(up ? "up" : "down")\">\(up ? "up" : "down")</td>"
            html += "<td>\(String(format: "%.3f", health?.durationSeconds ?? 0)) s</td><td>\(escape(health?.lastError ?? ""))</td></tr>\n"
        }
        html += "</table>\n"
        if let version = findings.runtimeVersion {
            html += "<p>Runtime: \(escape(version.runtimeName)) \(escape(version.runtimeVersion)) (CRI \(escape(version.runtimeAPIVersion)))</p>\n"
        }
        if !findings.knownIssues.isEmpty {
            html += "<h2>Runtime known issues</h2><ul>\n"
            for issue in findings.knownIssues {
                html += "<li><b>\(escape(issue.issue))</b>: \(escape(issue.summary)). Fixed in \(escape(issue.fixedIn)) (\(escape(issue.references))).</li>\n"
            }
            html += "</ul>\n"
        }
        html += "<h2>Divergent containers</h2>\n"
        if findings.divergences.isEmpty {
            html += "<p>None.</p>\n"
        } else {
            html += "<table><tr><th>namespace</th><th>pod</th><th>container</th><th>kind</th><th>since</th><th>detail</th></tr>\n"
            for divergence in findings.divergences {
                let since = ISO8601DateFormatter().string(from: Date(timeIntervalSince1970: divergence.since))
                html += "<tr><td>\(escape(divergence.ref.namespace))</td><td>\(escape(divergence.ref.pod))</td>"
                html += "<td>\(escape(divergence.ref.container))</td><td>\(divergence.kind.rawValue)\(divergence.stale ? " (last known)" : "")</td>"
                html += "<td>\(since) (\(Int(divergence.ageSeconds)) s)</td><td>\(escape(divergence.detail))</td></tr>\n"
            }
            html += "</table>\n"
        }
        html += "<h2>Pods past their deletion deadline</h2>\n"
        if findings.overduePods.isEmpty {
            html += "<p>None.</p>\n"
        } else {
            html += "<table><tr><th>namespace</th><th>pod</th><th>overdue</th><th>blocked by</th><th>stuck</th></tr>\n"
            for pod in findings.overduePods {
                html += "<tr><td>\(escape(pod.namespace))</td><td>\(escape(pod.pod))</td><td>\(Int(pod.overdueSeconds)) s</td>"
                html += "<td>\(pod.blockedBy.rawValue)</td><td>\(pod.stuck ? "yes" : "no")</td></tr>\n"
            }
            html += "</table>\n"
        }
        html += "</body></html>\n"
        return html
    }

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
