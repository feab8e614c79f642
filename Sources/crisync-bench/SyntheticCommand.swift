import ArgumentParser
import Collector
import Exposition
import Foundation
import KernelReader
import MallocTuning
import Model

/// `crisync-bench synthetic`: the per-refresh cost of everything crisync does after the network
/// reads (kernel read, join and rules, metric families, both text formats) on a generated node.
struct SyntheticCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synthetic",
        abstract: "Kernel read + Collector.evaluate + MetricsInventory.families + TextWriter on a generated node.",
        discussion: """
            Generates a procfs and cgroup tree for --containers containers under --root (mount a tmpfs \
            there; the directory must be empty), holds the runtime and kubelet views in memory, and runs \
            --refreshes refreshes back to back. The first --warmup are not counted. Appends one \
            "synthetic" record to --results.
            """)

    @Option(help: "Containers on the generated node.") var containers: Int
    @Option(help: "Refreshes to run (after the warm-up).") var refreshes: Int
    @Option(help: "Refreshes run first and not counted.") var warmup = 20
    @Option(help: "Empty directory (a tmpfs) for the generated tree.") var root: String
    @Option(help: "JSON-lines file the record is appended to.") var results: String

    func validate() throws {
        guard containers > 0, refreshes > 0, warmup >= 0 else { throw ValidationError("counts must be positive") }
    }

    func run() async throws {
        MallocTuning.applyDefaults()  // as the exporter runs
        let setupStart = ProcessMeter.now()
        let node = try SyntheticNode(containerCount: containers, root: root)
        let setupSeconds = ProcessMeter.now() - setupStart
        let kernel = try KernelReader(procRoot: node.procRoot, cgroupRoot: node.cgroupRoot)
        note("synthetic: \(containers) containers, tree written in \(ms(setupSeconds)); \(warmup) + \(refreshes) refreshes")

        // Every array the measurement fills is allocated before the warm-up, so the memory measured
        // after it is crisync's alone and does not grow with the samples kept.
        var cpuMs: [Double] = []
        var wallMs: [Double] = []
        var phaseMs: [[Double]] = SyntheticPipeline.Sample.phaseNames.map { _ in [] }
        cpuMs.reserveCapacity(refreshes)
        wallMs.reserveCapacity(refreshes)
        for index in phaseMs.indices { phaseMs[index].reserveCapacity(refreshes) }
        var rssSeries: [Double] = []
        rssSeries.reserveCapacity(64)

        var pipeline = SyntheticPipeline(node: node, kernel: kernel)
        for _ in 0..<warmup { _ = try pipeline.refresh() }
        let rssAfterWarmup = ProcessMeter.residentBytes()
        let anonymousAfterWarmup = ProcessMeter.residentAnonymousBytes()

        let sampleEvery = max(1, refreshes / 50)
        var last: SyntheticPipeline.Sample?
        for index in 0..<refreshes {
            let sample = try pipeline.refresh()
            cpuMs.append(sample.cpuSeconds * 1000)
            wallMs.append(sample.wallSeconds * 1000)
            for phase in phaseMs.indices { phaseMs[phase].append(sample.phaseSeconds[phase] * 1000) }
            last = sample
            if (index + 1) % sampleEvery == 0 { rssSeries.append(mib(ProcessMeter.residentBytes())) }
        }
        let rssEnd = ProcessMeter.residentBytes()
        let anonymousEnd = ProcessMeter.residentAnonymousBytes()

        guard let last else { throw BenchError("no refresh ran") }
        let expectedDivergences = node.zombieCount * 2  // process_zombie and ready_but_dead for each
        guard last.divergences == expectedDivergences, last.allSourcesUp else {
            throw BenchError(
                "synthetic node misread: \(last.divergences) divergences (expected \(expectedDivergences)), sources up: \(last.allSourcesUp)")
        }

        let cpu = Summary(cpuMs)
        let record = SyntheticRecord(
            containers: containers, pods: node.runtime.sandboxes.count, refreshes: refreshes, warmup: warmup,
            cpuMs: cpu, wallMs: Summary(wallMs),
            cpuUsPerContainer: cpu.median * 1000 / Double(containers),
            phaseCPUMs: Dictionary(
                uniqueKeysWithValues: zip(SyntheticPipeline.Sample.phaseNames, phaseMs.map { Summary($0).median })),
            rssAfterWarmupMiB: mib(rssAfterWarmup), rssEndMiB: mib(rssEnd), anonymousAfterWarmupMiB: mib(anonymousAfterWarmup),
            anonymousEndMiB: mib(anonymousEnd), rssMaxMiB: rssSeries.max() ?? mib(rssEnd),
            peakRSSMiB: mib(ProcessMeter.peakResidentBytes()), rssSeriesMiB: rssSeries,
            outputBytes: last.outputBytes, divergences: last.divergences, setupSeconds: setupSeconds)
        try ResultLog(path: results).append(record)
        note(
            "synthetic \(containers): cpu median \(ms(cpu.median / 1000)) (\(String(format: "%.2f", record.cpuUsPerContainer)) µs/container), "
                + "RSS \(String(format: "%.1f", record.rssAfterWarmupMiB)) → \(String(format: "%.1f", record.rssEndMiB)) MiB "
                + "(anonymous \(String(format: "%.1f", record.anonymousAfterWarmupMiB)) → \(String(format: "%.1f", record.anonymousEndMiB))), "
                + "output \(last.outputBytes) B")
    }
}

struct SyntheticRecord: Codable {
    var kind = "synthetic"
    var containers: Int
    var pods: Int
    var refreshes: Int
    var warmup: Int
    /// CPU time per refresh, in milliseconds.
    var cpuMs: Summary
    var wallMs: Summary
    /// Median CPU per refresh divided by the containers, in microseconds.
    var cpuUsPerContainer: Double
    /// Median CPU per phase, in milliseconds.
    var phaseCPUMs: [String: Double]
    var rssAfterWarmupMiB: Double
    var rssEndMiB: Double
    /// Anonymous memory (heap): what grows if refreshes leak.
    var anonymousAfterWarmupMiB: Double
    var anonymousEndMiB: Double
    var rssMaxMiB: Double
    var peakRSSMiB: Double
    var rssSeriesMiB: [Double]
    /// Size of the Prometheus text output, in bytes.
    var outputBytes: Int
    var divergences: Int
    var setupSeconds: Double
}

/// One exporter refresh minus the network: the runtime and kubelet views are fixed values.
struct SyntheticPipeline {
    struct Sample {
        static let phaseNames = ["kernel", "evaluate", "families", "render"]
        var cpuSeconds: Double
        var wallSeconds: Double
        /// Thread CPU per phase, in seconds, in the order of `phaseNames`.
        var phaseSeconds: [Double]
        var outputBytes: Int
        var divergences: Int
        var allSourcesUp: Bool
    }

    let node: SyntheticNode
    let kernel: KernelSnapshots
    let configuration = CollectorConfiguration(divergenceMinAgeSeconds: 0, keepsContainerViews: false)
    var memory = CollectorMemory()
    /// Virtual time: each refresh is five seconds after the previous one, as with the default interval.
    var now = Double(SyntheticNode.bootTime) + 7200

    init(node: SyntheticNode, kernel: KernelReader) {
        self.node = node
        self.kernel = KernelSnapshots(reader: kernel)
    }

    mutating func refresh() throws -> Sample {
        now += 5
        let wallStart = ProcessMeter.now()
        let cpuStart = ProcessMeter.processCPU()
        var phaseStart = ProcessMeter.threadCPU()
        var phases = [0.0, 0.0, 0.0, 0.0]
        func lap(_ phase: Int) {
            let time = ProcessMeter.threadCPU()
            phases[phase] = time - phaseStart
            phaseStart = time
        }

        let kernelSnapshot = kernel.next(ofRunningContainersIn: node.runtime)
        lap(0)
        let input = CollectorInput(
            now: now, runtime: SourceReading(value: node.runtime, durationSeconds: 0.001),
            kubelet: SourceReading(value: node.kubelet, durationSeconds: 0.001),
            kernel: SourceReading(value: kernelSnapshot, durationSeconds: 0.001))
        let (findings, next) = Collector.evaluate(input, memory: memory, configuration: configuration)
        memory = next
        lap(1)
        let families = MetricsInventory.families(from: findings)
        lap(2)
        let text = try TextWriter.render(families, format: .prometheusText)
        let openMetrics = try TextWriter.render(families, format: .openMetrics)
        lap(3)
        let cpu = ProcessMeter.processCPU() - cpuStart
        let wall = ProcessMeter.now() - wallStart
        withExtendedLifetime(openMetrics) {}
        return Sample(
            cpuSeconds: cpu, wallSeconds: wall, phaseSeconds: phases, outputBytes: text.utf8.count,
            divergences: findings.divergences.count, allSourcesUp: findings.sources.values.allSatisfy(\.up))
    }
}
