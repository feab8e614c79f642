import Exposition
import Model

/// Every metric family crisync exports from its findings, declared once. The README's metrics table
/// lists the same names (a test keeps them in step).
///
/// Cardinality follows problems: on a healthy node the output is a small constant set of series;
/// per-container and per-pod series exist only for containers and pods with a finding.
public enum MetricsInventory {
    public struct Definition: Sendable, Hashable {
        public var name: String
        public var type: MetricType
        public var labels: [String]
        public var help: String
    }

    public static let sourceUp = Definition(
        name: "crisync_source_up", type: .gauge, labels: ["source"],
        help: "1 if the last read of that source (runtime, kubelet, procfs) succeeded, else 0.")
    public static let sourceDuration = Definition(
        name: "crisync_source_duration_seconds", type: .gauge, labels: ["source"],
        help: "How long the last read of that source took, in seconds.")
    public static let sourceErrors = Definition(
        name: "crisync_source_errors_total", type: .counter, labels: ["source"],
        help: "Reads of that source that failed.")
    public static let refreshTimestamp = Definition(
        name: "crisync_refresh_timestamp_seconds", type: .gauge, labels: [],
        help: "When the served snapshot was computed, as Unix time in seconds.")
    public static let runtimeInfo = Definition(
        name: "crisync_runtime_info", type: .gauge, labels: ["runtime_name", "runtime_version", "runtime_api_version"],
        help: "The container runtime as CRI Version reports it; always 1.")
    public static let runtimeCondition = Definition(
        name: "crisync_runtime_condition", type: .gauge, labels: ["condition"],
        help: "CRI Status conditions (RuntimeReady, NetworkReady): 1 if true, 0 if false.")
    public static let runtimeKnownIssue = Definition(
        name: "crisync_runtime_known_issue", type: .gauge, labels: ["issue", "fixed_in"],
        help: "1 for each known state-sync bug of the running runtime version, with the first fixed release.")
    public static let containers = Definition(
        name: "crisync_containers", type: .gauge, labels: ["source", "state"],
        help: "Containers by state in each view (kubelet, runtime); absent for a source that is down.")
    public static let divergentContainers = Definition(
        name: "crisync_divergent_containers", type: .gauge, labels: ["kind"],
        help: "Containers with that divergence between kubelet, runtime and kernel, lasting at least --divergence.min-age.")
    public static let containerDivergence = Definition(
        name: "crisync_container_divergence_seconds", type: .gauge,
        labels: ["namespace", "pod", "container", "container_id", "kind"],
        help: "How long this container has been divergent, in seconds; only divergent containers have series.")
    public static let terminations = Definition(
        name: "crisync_container_terminations_total", type: .counter, labels: ["namespace", "reason", "signal"],
        help: "Abnormal container terminations observed, by runtime reason and signal (when the exit code is 128+N).")
    public static let abnormallyTerminated = Definition(
        name: "crisync_abnormally_terminated_containers", type: .gauge, labels: ["reason"],
        help: "Containers present in the runtime that exited abnormally, by reason.")
    public static let oomKills = Definition(
        name: "crisync_container_oom_kills_total", type: .counter, labels: ["namespace", "pod", "container"],
        help: "OOM kills inside the container's cgroup, including children that did not end the container.")
    public static let terminatingPods = Definition(
        name: "crisync_terminating_pods", type: .gauge, labels: [],
        help: "Pods the kubelet is terminating (deletionTimestamp set).")
    public static let terminationOverdue = Definition(
        name: "crisync_pod_termination_overdue_seconds", type: .gauge, labels: ["namespace", "pod", "uid", "blocked_by"],
        help: "For pods past their deletion deadline (deletionTimestamp): how far past, in seconds.")
    public static let stuckTerminatingPods = Definition(
        name: "crisync_stuck_terminating_pods", type: .gauge, labels: ["blocked_by"],
        help: "Pods overdue by more than --terminating.stuck-after, by what blocks them.")

    public static let all: [Definition] = [
        sourceUp, sourceDuration, sourceErrors, refreshTimestamp, runtimeInfo, runtimeCondition, runtimeKnownIssue,
        containers, divergentContainers, containerDivergence, terminations, abnormallyTerminated, oomKills,
        terminatingPods, terminationOverdue, stuckTerminatingPods,
    ]

    /// Reasons always present in `crisync_abnormally_terminated_containers`, so `== 0` works.
    static let standardReasons = ["Error", "OOMKilled", "StartError", "Unknown"]

    /// The families of one refresh's findings.
    public static func families(from findings: Findings) -> [MetricFamily] {
        func family(_ definition: Definition, _ samples: [Sample]) -> MetricFamily {
            MetricFamily(name: definition.name, help: definition.help, type: definition.type, samples: samples)
        }
        func sample(_ definition: Definition, _ values: [String], _ value: Double) -> Sample {
            Sample(labels: zip(definition.labels, values).map { Label($0, $1) }, value: value)
        }
        let sources = Source.allCases
        var families: [MetricFamily] = [
            family(sourceUp, sources.map { sample(sourceUp, [$0.rawValue], findings.sources[$0]?.up == true ? 1 : 0) }),
            family(sourceDuration, sources.map { sample(sourceDuration, [$0.rawValue], findings.sources[$0]?.durationSeconds ?? 0) }),
            family(sourceErrors, sources.map { sample(sourceErrors, [$0.rawValue], Double(findings.sources[$0]?.errorsTotal ?? 0)) }),
            family(refreshTimestamp, [sample(refreshTimestamp, [], findings.timestamp)]),
            family(
                runtimeInfo,
                findings.runtimeVersion.map {
                    [sample(runtimeInfo, [$0.runtimeName, $0.runtimeVersion, $0.runtimeAPIVersion], 1)]
                } ?? []),
            family(runtimeCondition, findings.runtimeConditions.map { sample(runtimeCondition, [$0.type], $0.status ? 1 : 0) }),
            family(runtimeKnownIssue, findings.knownIssues.map { sample(runtimeKnownIssue, [$0.issue, $0.fixedIn], 1) }),
            family(
                containers,
                findings.containerCounts.flatMap { source, states in
                    states.map { sample(containers, [source.rawValue, $0.key], Double($0.value)) }
                }),
            family(
                divergentContainers,
                DivergenceKind.allCases.map { sample(divergentContainers, [$0.rawValue], Double(findings.divergentCount($0))) }),
            family(
                containerDivergence,
                findings.divergences.map {
                    sample(
                        containerDivergence, [$0.ref.namespace, $0.ref.pod, $0.ref.container, $0.ref.containerID, $0.kind.rawValue],
                        $0.ageSeconds.rounded())
                }),
            family(terminations, findings.terminations.map { sample(terminations, [$0.key.namespace, $0.key.reason, $0.key.signal], Double($0.value)) }),
            family(oomKills, findings.oomKills.map { sample(oomKills, [$0.key.namespace, $0.key.pod, $0.key.container], Double($0.value)) }),
            family(terminatingPods, [sample(terminatingPods, [], Double(findings.terminatingPods))]),
            family(
                terminationOverdue,
                findings.overduePods.map {
                    sample(terminationOverdue, [$0.namespace, $0.pod, $0.uid, $0.blockedBy.rawValue], $0.overdueSeconds.rounded())
                }),
        ]
        var abnormal = Dictionary(uniqueKeysWithValues: standardReasons.map { ($0, 0) })
        abnormal.merge(findings.abnormallyTerminated) { _, new in new }
        families.append(family(abnormallyTerminated, abnormal.map { sample(abnormallyTerminated, [$0.key], Double($0.value)) }))
        var stuck = Dictionary(uniqueKeysWithValues: TerminationBlocker.allCases.map { ($0, 0) })
        for pod in findings.overduePods where pod.stuck { stuck[pod.blockedBy, default: 0] += 1 }
        families.append(family(stuckTerminatingPods, stuck.map { sample(stuckTerminatingPods, [$0.key.rawValue], Double($0.value)) }))
        return families
    }
}
