import ArgumentParser
import Foundation
import KubeletReader
import MallocTuning
import RuntimeReader

/// `crisync-bench refresh`: crisync's refresh against the real containerd and a kubelet, measured
/// refresh by refresh: CPU, wall time, CRI calls, memory.
struct RefreshCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "refresh",
        abstract: "Measure crisync's refresh against a real runtime and kubelet.",
        discussion: """
            Runs one cold refresh (every container's ContainerStatus is fetched once), waits for the \
            kubelet to agree with the runtime, then refreshes every --interval for --refreshes refreshes \
            (or for --duration seconds). Run it alone on the node's CPUs: the kubelet and any churn must \
            be other processes, since the CPU measured is this whole process's. Appends one "refresh" \
            record to --results.
            """)

    @Option(name: .customLong("runtime-endpoint"), help: "CRI endpoint (unix:///path).") var runtimeEndpoint: String
    @Option(name: .customLong("kubelet-url"), help: "Kubelet base URL (http://HOST:PORT).") var kubeletURL: String
    @Option(name: .customLong("proc-root")) var procRoot = "/proc"
    @Option(name: .customLong("cgroup-root")) var cgroupRoot = "/sys/fs/cgroup"
    @Option(help: "Refreshes to measure (ignored with --duration).") var refreshes = 30
    @Option(help: "Measure for this many seconds instead of a number of refreshes.") var duration: Double?
    @Option(help: "Seconds between refresh starts.") var interval = 0.5
    @Option(help: "Name of this run in the results (steady, churn).") var label: String
    @Option(help: "Containers the runtime should hold (the run fails if it holds another number, ±10%).")
    var expectContainers: Int?
    @Option(help: "JSON-lines file the record is appended to.") var results: String

    func run() async throws {
        MallocTuning.applyDefaults()  // as the exporter runs
        let pipeline = try RefreshPipeline(
            runtimeEndpoint: runtimeEndpoint, kubeletURL: kubeletURL, procRoot: procRoot, cgroupRoot: cgroupRoot)
        do {
            try await measure(pipeline)
        } catch {
            await pipeline.close()
            throw error
        }
        await pipeline.close()
    }

    private func measure(_ pipeline: RefreshPipeline) async throws {
        let cold = try await pipeline.refresh()
        note("\(label): cold refresh \(ms(cold.wallSeconds)) wall, \(ms(cold.cpuSeconds)) CPU, calls: \(cold.calls), ContainerStatus errors: \(cold.statusErrors)")
        if let expectContainers, abs(cold.containers - expectContainers) > max(2, expectContainers / 10) {
            throw BenchError("the runtime holds \(cold.containers) containers, expected about \(expectContainers)")
        }
        // The kubelet mirrors the runtime once a second: wait until both agree before measuring.
        var settled = cold
        for _ in 0..<20 where settled.pods == 0 || !settled.sourceErrors.isEmpty {
            try await Task.sleep(for: .milliseconds(500))
            settled = try await pipeline.refresh()
        }
        guard settled.sourceErrors.isEmpty, settled.pods > 0 else {
            throw BenchError("sources not healthy before measuring: \(settled.sourceErrors), \(settled.pods) pods")
        }

        var samples: [RefreshPipeline.Sample] = []
        let clock = ContinuousClock()
        var next = clock.now
        let cpuStart = ProcessMeter.processCPU()
        let wallStart = ProcessMeter.now()
        let count = duration.map { Int(($0 / interval).rounded()) } ?? refreshes
        for _ in 0..<count {
            next = next.advanced(by: .seconds(interval))
            try await Task.sleep(until: next, clock: clock)
            samples.append(try await pipeline.refresh())
        }
        let cpuTotal = ProcessMeter.processCPU() - cpuStart
        let wallTotal = ProcessMeter.now() - wallStart

        // Where the kubelet's share goes: the same body fetched once and decoded on its own.
        let body = try await pipeline.kubelet.fetchPodsBody()
        var decodeSeconds: [Double] = []
        var podCount = 0
        for _ in 0..<10 {
            let start = ProcessMeter.threadCPU()
            podCount = try PodListDecoder.decode(body).pods.count
            decodeSeconds.append(ProcessMeter.threadCPU() - start)
        }

        var byMethod: [String: Int] = [:]
        for sample in samples {
            for method in CRIMethod.allCases where sample.calls[method] > 0 {
                byMethod[method.rawValue, default: 0] += sample.calls[method]
            }
        }
        let record = RefreshRecord(
            label: label, nominal: expectContainers ?? cold.containers, containers: Summary(samples.map { Double($0.containers) }).median,
            runningContainers: Summary(samples.map { Double($0.runningContainers) }).median,
            pods: Summary(samples.map { Double($0.pods) }).median, refreshes: samples.count, intervalSeconds: interval,
            cpuMs: Summary(samples.map { $0.cpuSeconds * 1000 }), wallMs: Summary(samples.map { $0.wallSeconds * 1000 }),
            processCPUMsPerRefresh: cpuTotal * 1000 / Double(max(1, samples.count)), seconds: wallTotal,
            criCalls: Summary(samples.map { Double($0.calls.total) }),
            listCallsPerRefresh: Summary(samples.map { Double($0.calls[.listContainers] + $0.calls[.listPodSandbox]) }),
            callsByMethod: byMethod,
            refreshesWithOnlyListCalls: samples.count { $0.calls.total == 2 && $0.calls[.listContainers] == 1 && $0.calls[.listPodSandbox] == 1 },
            phaseMs: RefreshPipeline.Sample.phaseNames.reduce(into: [:]) { phases, name in
                phases[name] = Summary(samples.map { ($0.phases[name] ?? 0) * 1000 }).median
            },
            rssMiB: mib(ProcessMeter.residentBytes()), peakRSSMiB: mib(ProcessMeter.peakResidentBytes()),
            coldStatusErrors: cold.statusErrors, statusErrors: samples.reduce(0) { $0 + $1.statusErrors },
            coldCPUMs: cold.cpuSeconds * 1000, coldWallMs: cold.wallSeconds * 1000,
            coldCalls: CRIMethod.allCases.reduce(into: [:]) { calls, method in
                if cold.calls[method] > 0 { calls[method.rawValue] = cold.calls[method] }
            },
            podListBytes: body.count, podListBytesPerPod: podCount > 0 ? body.count / podCount : 0,
            podListDecodeMs: Summary(decodeSeconds.map { $0 * 1000 }).median,
            outputBytes: samples.last?.outputBytes ?? 0, divergencesMax: samples.map(\.divergences).max() ?? 0,
            sourceErrors: Array(Set(samples.flatMap(\.sourceErrors))).sorted())
        try ResultLog(path: results).append(record)
        note(
            "\(label) \(Int(record.containers)) containers / \(Int(record.pods)) pods: CPU median \(String(format: "%.2f", record.cpuMs.median)) ms, "
                + "wall median \(String(format: "%.2f", record.wallMs.median)) ms, CRI calls median \(Int(record.criCalls.median)) "
                + "(\(byMethod)), RSS \(String(format: "%.1f", record.rssMiB)) MiB, /pods \(body.count / 1024) KiB "
                + "(\(record.podListBytesPerPod) B/pod, decode \(String(format: "%.2f", record.podListDecodeMs)) ms)")
    }
}

struct RefreshRecord: Codable {
    var kind = "refresh"
    var label: String
    /// The node size this run stands for (--expect-containers).
    var nominal: Int
    var containers: Double
    var runningContainers: Double
    var pods: Double
    var refreshes: Int
    var intervalSeconds: Double
    /// CPU of the process during each refresh, in milliseconds.
    var cpuMs: Summary
    var wallMs: Summary
    /// All CPU of the process over the run (idle time between refreshes included) per refresh, in ms.
    var processCPUMsPerRefresh: Double
    var seconds: Double
    var criCalls: Summary
    var listCallsPerRefresh: Summary
    var callsByMethod: [String: Int]
    var refreshesWithOnlyListCalls: Int
    /// Medians, in milliseconds (wall for runtime and kubelet, thread CPU for the others).
    var phaseMs: [String: Double]
    var rssMiB: Double
    var peakRSSMiB: Double
    /// ContainerStatus calls that failed in the cold refresh, and in the measured ones.
    var coldStatusErrors: Int
    var statusErrors: Int
    var coldCPUMs: Double
    var coldWallMs: Double
    var coldCalls: [String: Int]
    var podListBytes: Int
    var podListBytesPerPod: Int
    var podListDecodeMs: Double
    var outputBytes: Int
    var divergencesMax: Int
    var sourceErrors: [String]
}
