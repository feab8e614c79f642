import Collector
import Foundation
import Model

/// `explain --output json`: the document described in `docs/explain-json.md` (and validated against
/// `docs/explain-json.schema.json` by the tests). Keys are snake_case; optional values are omitted
/// when unknown. Additive changes keep `schema` at `crisync.explain/v1`.
struct ExplainDocument: Codable, Sendable, Equatable {
    static let schemaVersion = "crisync.explain/v1"

    var schema: String
    /// `pod`, `container` or `all`.
    var mode: String
    /// The argument as understood (`NAMESPACE/POD` or an ID prefix); absent with `--all`.
    var target: String?
    var node: String?
    var generatedAt: String
    var observation: Observation
    var sources: [SourceStatus]
    var runtime: Runtime?
    var knownIssues: [Issue]
    var containers: [Container]
    var terminatingPods: [TerminatingPod]
    var warnings: [String]
    var summary: Summary

    struct Observation: Codable, Sendable, Equatable {
        /// Always true: explain reads once and reports candidates without waiting for min-age.
        var singleRead: Bool
        var exporterMinAgeSeconds: Double
        var stuckAfterSeconds: Double
    }

    struct SourceStatus: Codable, Sendable, Equatable {
        var name: String
        var up: Bool
        var durationSeconds: Double
        var error: String?
    }

    struct Runtime: Codable, Sendable, Equatable {
        var name: String
        var version: String
        var apiVersion: String
        var conditions: [Condition]
    }

    struct Condition: Codable, Sendable, Equatable {
        var type: String
        var status: Bool
        var reason: String
        var message: String
    }

    struct Issue: Codable, Sendable, Equatable {
        var issue: String
        var fixedIn: String
        var summary: String
        var references: String
    }

    struct Container: Codable, Sendable, Equatable {
        var namespace: String
        var pod: String
        var podUid: String
        /// Empty for a sandbox.
        var container: String
        var containerId: String
        /// True for a pod sandbox (a `runtime_orphaned` finding), which has no views.
        var isSandbox: Bool
        var earlierAttempt: Bool
        var kubelet: KubeletView?
        var runtime: RuntimeView?
        var kernel: KernelView?
        var findings: [Finding]
    }

    struct KubeletView: Codable, Sendable, Equatable {
        /// `running`, `waiting`, `terminated`, `unknown`.
        var state: String
        var reason: String?
        var exitCode: Int32?
        var startedAt: String?
        var ready: Bool
        var restartCount: Int32
        var containerId: String?
        var isInit: Bool
    }

    struct RuntimeView: Codable, Sendable, Equatable {
        /// `created`, `running`, `exited`, `unknown`.
        var state: String
        var attempt: UInt32
        /// False when `ContainerStatus` could not be fetched: only `state` and `attempt` are known.
        var statusKnown: Bool
        var exitCode: Int32?
        var signal: String?
        var reason: String?
        var message: String?
        var pid: Int32?
        var createdAt: String?
        var startedAt: String?
        var finishedAt: String?
        var cgroupsPath: String?
        var sandboxId: String?
    }

    struct KernelView: Codable, Sendable, Equatable {
        /// False when procfs could not be read: nothing else is set.
        var read: Bool
        var process: Process?
        /// True when the runtime's PID was looked up and does not exist.
        var processGone: Bool
        /// `owned`, `foreign` (the PID now belongs to another process) or `undetermined`.
        var ownership: String?
        var ownershipReason: String?
        var parent: Process?
        var cgroup: Cgroup?
    }

    struct Process: Codable, Sendable, Equatable {
        var pid: Int32
        var command: String
        /// The `/proc/<pid>/stat` state letter (`R`, `S`, `D`, `Z`, `T`, `t`, ...).
        var state: String
        var stateName: String
        var ppid: Int32
        var startTime: String
        /// Raw wait status of a zombie (e.g. 9 = killed by SIGKILL).
        var exitStatus: Int32?
    }

    struct Cgroup: Codable, Sendable, Equatable {
        var path: String
        var exists: Bool
        var populated: Bool?
        var oomKills: UInt64?
    }

    struct Finding: Codable, Sendable, Equatable {
        /// A `crisync_divergent_containers` kind, e.g. `process_zombie`.
        var kind: String
        var explanation: String
        /// Evidence for people (PIDs, states).
        var detail: String
        /// The alert whose runbook section covers it, and that section's URL.
        var alert: String
        var runbook: String
        var remediation: [Step]
    }

    struct Step: Codable, Sendable, Equatable {
        var advice: String
        var command: String?
        /// `none`, `low`, `medium`, `high`.
        var risk: String
        var riskDetail: String
    }

    struct TerminatingPod: Codable, Sendable, Equatable {
        var namespace: String
        var pod: String
        var uid: String
        var overdueSeconds: Double
        var stuck: Bool
        var blockedBy: String
        var alert: String
        var runbook: String
        var remediation: [Step]
    }

    struct Summary: Codable, Sendable, Equatable {
        /// `ok`, `findings`, `unknown` (a source is down), `not_found`.
        var verdict: String
        var exitCode: Int32
        var containersWithFindings: Int
        var findings: Int
        var stuckPods: Int
        var sourcesDown: [String]
        /// Why the target was not found (or which containers an ambiguous prefix matches).
        var message: String?
    }
}

enum ExplainJSON {
    static func encoder() -> JSONEncoder {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return encoder
    }

    static func decoder() -> JSONDecoder {
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        return decoder
    }

    static func render(_ report: ExplainReport) throws -> String {
        String(decoding: try encoder().encode(document(report)), as: UTF8.self) + "\n"
    }

    static func document(_ report: ExplainReport) -> ExplainDocument {
        var message: String?
        switch report.resolution {
        case .found: break
        case .notFound(let text): message = text
        case .ambiguous(let prefix, let matches):
            message = "\(prefix) matches \(matches.count) containers: " + matches.map(\.containerID).joined(separator: ", ")
        }
        let target: String? = if case .all = report.target { nil } else { report.target.description }
        return ExplainDocument(
            schema: ExplainDocument.schemaVersion, mode: report.target.mode, target: target,
            node: report.nodeName.isEmpty ? nil : report.nodeName, generatedAt: ExplainFormat.timestamp(report.timestamp),
            observation: .init(
                singleRead: true, exporterMinAgeSeconds: report.exporterMinAgeSeconds,
                stuckAfterSeconds: report.stuckAfterSeconds),
            sources: report.sources.map {
                .init(name: $0.source.rawValue, up: $0.up, durationSeconds: $0.durationSeconds, error: $0.error)
            },
            runtime: report.runtimeVersion.map { version in
                .init(
                    name: version.runtimeName, version: version.runtimeVersion, apiVersion: version.runtimeAPIVersion,
                    conditions: report.runtimeConditions.map {
                        .init(type: $0.type, status: $0.status, reason: $0.reason, message: $0.message)
                    })
            },
            knownIssues: report.knownIssues.map {
                .init(issue: $0.issue, fixedIn: $0.fixedIn, summary: $0.summary, references: $0.references)
            },
            containers: report.containers.map { container(_: $0, report: report) },
            terminatingPods: report.terminatingPods.map { explained in
                .init(
                    namespace: explained.pod.namespace, pod: explained.pod.pod, uid: explained.pod.uid,
                    overdueSeconds: explained.pod.overdueSeconds.rounded(), stuck: explained.pod.stuck,
                    blockedBy: explained.pod.blockedBy.rawValue, alert: Remediation.stuckTerminatingAlert,
                    runbook: Remediation.runbookURL(alert: Remediation.stuckTerminatingAlert),
                    remediation: explained.remediation.map(step))
            },
            warnings: report.warnings,
            summary: .init(
                verdict: report.verdict, exitCode: report.exitCode, containersWithFindings: report.containersWithFindings,
                findings: report.findingCount, stuckPods: report.stuckPodCount, sourcesDown: report.sourcesDown.map(\.rawValue),
                message: message))
    }

    static func container(_ explained: ExplainedContainer, report: ExplainReport) -> ExplainDocument.Container {
        let view = explained.view
        let procfsUp = report.sources.first { $0.source == .procfs }?.up ?? false
        return .init(
            namespace: explained.ref.namespace, pod: explained.ref.pod, podUid: explained.ref.podUID,
            container: explained.ref.container, containerId: explained.ref.containerID, isSandbox: explained.isSandbox,
            earlierAttempt: explained.isEarlierAttempt,
            kubelet: view?.kubelet.map(kubelet), runtime: view?.runtime.map(runtime),
            kernel: view.flatMap { kernel($0, procfsUp: procfsUp) },
            findings: explained.findings.map { finding in
                let alert = Remediation.alert(for: finding.kind)
                return .init(
                    kind: finding.kind.rawValue, explanation: finding.kind.explanation, detail: finding.divergence.detail,
                    alert: alert, runbook: Remediation.runbookURL(alert: alert), remediation: finding.remediation.map(step))
            })
    }

    static func kubelet(_ status: KubeletContainerStatus) -> ExplainDocument.KubeletView {
        var reason: String?
        var exitCode: Int32?
        var startedAt: String?
        switch status.state {
        case .running(let started): startedAt = started.map { ExplainFormat.timestamp($0.timeIntervalSince1970) }
        case .waiting(let waitingReason, _): reason = waitingReason
        case .terminated(let termination):
            reason = termination.reason
            exitCode = termination.exitCode
        case .unknown: break
        }
        return .init(
            state: status.state.name, reason: reason, exitCode: exitCode, startedAt: startedAt, ready: status.ready,
            restartCount: status.restartCount, containerId: status.runtimeContainerID, isInit: status.isInit)
    }

    static func runtime(_ container: RuntimeContainer) -> ExplainDocument.RuntimeView {
        guard let status = container.status else {
            return .init(state: container.state.rawValue, attempt: container.attempt, statusKnown: false)
        }
        let exited = container.state == .exited
        return .init(
            state: container.state.rawValue, attempt: container.attempt, statusKnown: true,
            exitCode: exited ? status.exitCode : nil,
            signal: exited && status.exitCode > 128 ? ExplainFormat.signalName(status.exitCode - 128) : nil,
            reason: status.reason.isEmpty ? nil : status.reason, message: status.message.isEmpty ? nil : status.message,
            pid: status.pid.flatMap { $0 > 0 ? $0 : nil }, createdAt: ExplainFormat.timestamp(nanos: status.createdAtNanos),
            startedAt: ExplainFormat.timestamp(nanos: status.startedAtNanos),
            finishedAt: ExplainFormat.timestamp(nanos: status.finishedAtNanos), cgroupsPath: status.cgroupsPath,
            sandboxId: status.sandboxID ?? (container.sandboxID.isEmpty ? nil : container.sandboxID))
    }

    static func kernel(_ view: ContainerView, procfsUp: Bool) -> ExplainDocument.KernelView? {
        guard procfsUp else { return .init(read: false, processGone: false) }
        var ownership: String?
        var ownershipReason: String?
        switch view.ownership {
        case .owned: ownership = "owned"
        case .foreign(let reason):
            ownership = "foreign"
            ownershipReason = reason
        case .undetermined: ownership = "undetermined"
        case nil: break
        }
        return .init(
            read: true, process: view.process.map(process),
            processGone: view.process == nil && view.divergences.contains(.processMissing),
            ownership: ownership, ownershipReason: ownershipReason, parent: view.parent.map(process),
            cgroup: view.cgroup.map { .init(path: $0.path, exists: $0.exists, populated: $0.populated, oomKills: $0.oomKills) })
    }

    static func process(_ info: Model.KernelProcess) -> ExplainDocument.Process {
        .init(
            pid: info.pid, command: info.command, state: info.state.rawValue,
            stateName: String(ExplainFormat.processState(info.state).dropFirst(2)), ppid: info.ppid,
            startTime: ExplainFormat.timestamp(info.startTime), exitStatus: info.exitStatus)
    }

    static func step(_ step: RemediationStep) -> ExplainDocument.Step {
        .init(advice: step.advice, command: step.command, risk: step.risk.rawValue, riskDetail: step.riskDetail)
    }
}
