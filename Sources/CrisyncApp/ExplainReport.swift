import Collector
import Model

/// Everything `explain` prints, decided before any formatting: the text and JSON renderers are
/// pure functions of this value, and this value is a pure function of one refresh's findings.
struct ExplainReport: Sendable {
    var target: ExplainTarget
    /// Unix seconds of the read.
    var timestamp: Double
    /// `--node.name`; empty when unknown.
    var nodeName: String
    /// In the order kubelet, runtime, procfs.
    var sources: [ExplainSource]
    var runtimeVersion: RuntimeVersion?
    var runtimeConditions: [RuntimeCondition]
    var knownIssues: [KnownIssue]
    /// The exporter's `--divergence.min-age`, in seconds: explain reports candidates at once.
    var exporterMinAgeSeconds: Double
    /// `--terminating.stuck-after`, in seconds.
    var stuckAfterSeconds: Double
    /// The containers (and orphaned sandboxes) in scope: every container of the target pod, the one
    /// container asked for, or, with `--all`, every one with a finding.
    var containers: [ExplainedContainer]
    /// Pods past their deletion deadline, in scope (with `--all`: only the stuck ones).
    var terminatingPods: [ExplainedPod]
    /// Problems of this read that did not fail it (a container whose status could not be fetched).
    var warnings: [String]
    var resolution: Resolution
    /// Containers in all three views together (for "all N containers agree").
    var totalContainers: Int

    enum Resolution: Sendable, Equatable {
        case found
        /// Nothing matches the target; the message says what was looked for.
        case notFound(String)
        /// A container ID prefix matches several containers.
        case ambiguous(prefix: String, matches: [ContainerRef])
    }

    /// The exit code of the command: 1 when there is a finding; otherwise 2 when a source is down
    /// (cannot tell), 3 when the target does not exist, 0 when everything agrees.
    var exitCode: Int32 {
        if findingCount > 0 || stuckPodCount > 0 { return 1 }
        if !sourcesDown.isEmpty { return 2 }
        switch resolution {
        case .found: return 0
        case .notFound, .ambiguous: return 3
        }
    }

    var findingCount: Int { containers.reduce(0) { $0 + $1.findings.count } }
    var containersWithFindings: Int { containers.filter { !$0.findings.isEmpty }.count }
    var stuckPodCount: Int { terminatingPods.filter(\.pod.stuck).count }
    var sourcesDown: [Source] { sources.filter { !$0.up }.map(\.source) }

    /// `ok`, `findings`, `unknown` (a source is down), `not_found`: the verdict behind the exit code.
    var verdict: String {
        switch exitCode {
        case 0: "ok"
        case 1: "findings"
        case 2: "unknown"
        default: "not_found"
        }
    }
}

/// How one source's read went.
struct ExplainSource: Sendable, Hashable {
    var source: Source
    var up: Bool
    /// Wall time of the read, in seconds.
    var durationSeconds: Double
    /// One line naming what failed; nil when up.
    var error: String?
}

/// One container (or, for `runtime_orphaned` sandboxes, one sandbox) and its findings.
struct ExplainedContainer: Sendable {
    var ref: ContainerRef
    /// Nil for a sandbox-level finding (an orphaned sandbox has no container view).
    var view: ContainerView?
    var findings: [ExplainedFinding]
    /// True when the kubelet reports another container of the same name: this one is an earlier attempt.
    var isEarlierAttempt: Bool

    var isSandbox: Bool { view == nil }
}

struct ExplainedFinding: Sendable {
    var divergence: Divergence
    var remediation: [RemediationStep]

    var kind: DivergenceKind { divergence.kind }
}

struct ExplainedPod: Sendable {
    var pod: OverduePod
    var remediation: [RemediationStep]
}

extension ExplainReport {
    /// Builds the report of `target` from one refresh's findings. `findings` must come from an
    /// evaluation with min-age 0 (see ``ExplainEvaluation``) for candidates to show at once.
    init(
        findings: Findings, target: ExplainTarget, nodeName: String, exporterMinAgeSeconds: Double,
        stuckAfterSeconds: Double, warnings: [String]
    ) {
        self.target = target
        timestamp = findings.timestamp
        self.nodeName = nodeName
        sources = [Source.kubelet, .runtime, .procfs].map { source in
            let health = findings.sources[source]
            return ExplainSource(
                source: source, up: health?.up ?? false, durationSeconds: health?.durationSeconds ?? 0,
                error: health.map { $0.up ? nil : $0.lastError ?? "no data" } ?? "not read")
        }
        runtimeVersion = findings.runtimeVersion
        runtimeConditions = findings.runtimeConditions
        knownIssues = findings.knownIssues
        self.exporterMinAgeSeconds = exporterMinAgeSeconds
        self.stuckAfterSeconds = stuckAfterSeconds
        self.warnings = warnings
        totalContainers = findings.views.count

        let everything = Self.explainAll(findings)
        let selection = Self.select(target, from: everything, overduePods: findings.overduePods)
        containers = selection.containers
        resolution = selection.resolution
        let inScopePods: [OverduePod]
        switch target {
        case .all: inScopePods = findings.overduePods.filter(\.stuck)
        case .pod, .container:
            let podUIDs = Set(containers.map(\.ref.podUID))
            let names = Set(containers.map { PodName(namespace: $0.ref.namespace, name: $0.ref.pod) })
            inScopePods = findings.overduePods.filter { pod in
                podUIDs.contains(pod.uid) || names.contains(PodName(namespace: pod.namespace, name: pod.pod))
                    || target == .pod(namespace: pod.namespace, name: pod.pod)
            }
        }
        let views = findings.views
        terminatingPods = inScopePods.map { pod in
            let podViews = views.filter { $0.ref.podUID == pod.uid }
            return ExplainedPod(pod: pod, remediation: Remediation.steps(for: pod, views: podViews, knownIssues: findings.knownIssues))
        }
        if case .notFound = resolution, !terminatingPods.isEmpty { resolution = .found }
    }

    private struct PodName: Hashable {
        var namespace: String
        var name: String
    }

    /// Every container view with its findings, plus sandboxes that have findings, in a stable order:
    /// by namespace, pod, container name; running before exited; newest first.
    private static func explainAll(_ findings: Findings) -> [ExplainedContainer] {
        let byContainerID = Dictionary(grouping: findings.divergences, by: \.ref.containerID)
        let currentKubeletIDs = Set(findings.views.compactMap { $0.kubelet == nil ? nil : $0.ref.containerID })
        var namesWithKubeletStatus: Set<String> = []
        for view in findings.views where view.kubelet != nil {
            namesWithKubeletStatus.insert(view.ref.podUID + "/" + view.ref.container)
        }
        var explained: [ExplainedContainer] = findings.views.map { view in
            let divergences = (byContainerID[view.ref.containerID] ?? []).sorted { $0.kind < $1.kind }
            let kinds = divergences.map(\.kind)
            return ExplainedContainer(
                ref: view.ref, view: view,
                findings: divergences.map { divergence in
                    ExplainedFinding(
                        divergence: divergence,
                        remediation: Remediation.steps(
                            for: divergence.kind, ref: divergence.ref, view: view, allKinds: kinds,
                            knownIssues: findings.knownIssues))
                },
                isEarlierAttempt: view.kubelet == nil && !currentKubeletIDs.contains(view.ref.containerID)
                    && namesWithKubeletStatus.contains(view.ref.podUID + "/" + view.ref.container))
        }
        let viewIDs = Set(findings.views.map(\.ref.containerID))
        for (id, divergences) in byContainerID where !viewIDs.contains(id) {
            let sorted = divergences.sorted { $0.kind < $1.kind }
            explained.append(
                ExplainedContainer(
                    ref: sorted[0].ref, view: nil,
                    findings: sorted.map { divergence in
                        ExplainedFinding(
                            divergence: divergence,
                            remediation: Remediation.steps(
                                for: divergence.kind, ref: divergence.ref, view: nil, allKinds: sorted.map(\.kind),
                                knownIssues: findings.knownIssues))
                    },
                    isEarlierAttempt: false))
        }
        return explained.sorted(by: displayOrder)
    }

    static func displayOrder(_ a: ExplainedContainer, _ b: ExplainedContainer) -> Bool {
        if (a.ref.namespace, a.ref.pod) != (b.ref.namespace, b.ref.pod) {
            return (a.ref.namespace, a.ref.pod) < (b.ref.namespace, b.ref.pod)
        }
        if a.isSandbox != b.isSandbox { return a.isSandbox }
        if a.ref.container != b.ref.container { return a.ref.container < b.ref.container }
        let rankA = stateRank(a.view), rankB = stateRank(b.view)
        if rankA != rankB { return rankA < rankB }
        let attemptA = a.view?.runtime?.attempt ?? 0, attemptB = b.view?.runtime?.attempt ?? 0
        if attemptA != attemptB { return attemptA > attemptB }
        let createdA = a.view?.runtime?.createdAtNanos ?? 0, createdB = b.view?.runtime?.createdAtNanos ?? 0
        if createdA != createdB { return createdA > createdB }
        return a.ref.containerID < b.ref.containerID
    }

    private static func stateRank(_ view: ContainerView?) -> Int {
        switch view?.runtime?.state {
        case .running: 0
        case .created: 1
        case .none: 2
        case .exited: 3
        case .unknown: 4
        }
    }

    private static func select(
        _ target: ExplainTarget, from all: [ExplainedContainer], overduePods: [OverduePod]
    ) -> (containers: [ExplainedContainer], resolution: Resolution) {
        switch target {
        case .all:
            return (all.filter { !$0.findings.isEmpty }, .found)
        case .pod(let namespace, let name):
            let matches = all.filter { $0.ref.namespace == namespace && $0.ref.pod == name }
            return (matches, matches.isEmpty ? .notFound("no container of pod \(namespace)/\(name) is known to the runtime or the kubelet") : .found)
        case .container(let prefix):
            if let exact = all.first(where: { $0.ref.containerID == prefix }) { return ([exact], .found) }
            let matches = all.filter { $0.ref.containerID.hasPrefix(prefix) }
            if matches.count > 1 { return ([], .ambiguous(prefix: prefix, matches: matches.map(\.ref))) }
            return (matches, matches.isEmpty ? .notFound("no container or sandbox ID starts with \(prefix)") : .found)
        }
    }
}

/// How `explain` evaluates: one read, and every candidate divergence reported at once (min-age 0).
/// The exporter reports the same candidates only once they have lasted `--divergence.min-age`;
/// reading twice that far apart would make every `explain` wait 15 s.
enum ExplainEvaluation {
    static func findings(of input: CollectorInput, stuckAfterSeconds: Double) -> Findings {
        let configuration = CollectorConfiguration(divergenceMinAgeSeconds: 0, stuckAfterSeconds: stuckAfterSeconds)
        return Collector.evaluate(input, memory: CollectorMemory(), configuration: configuration).findings
    }
}
