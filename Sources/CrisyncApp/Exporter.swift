import Collector
import Exposition
import Foundation
import Logging
import Model
import RuntimeReader
import Server

/// The refresh loop: read the three views, evaluate, render once, publish. Scrapes only ever see
/// the latest published snapshot, so parallel scrapers never multiply the load on containerd, and
/// refreshes never overlap (one loop, one refresh at a time).
actor Exporter {
    private let sources: SourceSet
    private let configuration: CollectorConfiguration
    private let server: HTTPServer?
    private let logger: Logger
    private let telemetryPath: String
    private let events: RuntimeEventWatcher?
    private let nodeName: String
    private var memory = CollectorMemory()
    private var lastErrors: [Source: String] = [:]
    private var lastProblems: Set<String> = []
    private(set) var latest: Findings?
    private(set) var refreshes = 0

    init(
        sources: SourceSet, configuration: CollectorConfiguration, server: HTTPServer?, telemetryPath: String, logger: Logger,
        events: RuntimeEventWatcher? = nil, nodeName: String = ""
    ) {
        self.sources = sources
        self.events = events
        self.nodeName = nodeName
        self.configuration = configuration
        self.server = server
        self.telemetryPath = telemetryPath
        self.logger = logger
    }

    /// Before the first refresh completes, `/metrics` answers at once with the exporter's own metrics
    /// and every source marked down, rather than blocking.
    func publishInitial() {
        let empty = SourceReading<RuntimeSnapshot>(value: nil, error: "first read in progress", durationSeconds: 0)
        var findings = Collector.evaluate(
            CollectorInput(
                now: Date().timeIntervalSince1970, runtime: empty,
                kubelet: SourceReading(value: nil, error: "first read in progress", durationSeconds: 0),
                kernel: SourceReading(value: nil, error: "first read in progress", durationSeconds: 0)),
            memory: CollectorMemory(), configuration: configuration
        ).findings
        for source in Source.allCases { findings.sources[source]?.errorsTotal = 0 }
        publish(findings)
    }

    /// One refresh. The runtime and the kubelet are read concurrently; the kernel after the runtime,
    /// since it is asked about the runtime's PIDs.
    @discardableResult
    func refresh() async -> Findings {
        BackgroundPriority.lowerCurrentThread()
        async let kubeletReading = sources.readKubelet()
        let (runtimeReading, problems) = await sources.readRuntime()
        BackgroundPriority.lowerCurrentThread()
        let kernelReading = sources.readKernel(for: runtimeReading.value)
        // Exits the event stream saw, possibly of containers already removed: counted with this refresh,
        // or left with the watcher for the next one while the runtime cannot be read.
        let exits = runtimeReading.value == nil ? [] : events?.takeExits() ?? []
        let input = CollectorInput(
            now: Date().timeIntervalSince1970, runtime: runtimeReading, kubelet: await kubeletReading, kernel: kernelReading,
            exitEvents: exits)
        let (findings, next) = Collector.evaluate(input, memory: memory, configuration: configuration)
        memory = next
        refreshes += 1
        logChanges(findings, problems: problems)
        publish(findings)
        latest = findings
        return findings
    }

    /// Runs refreshes every `interval` until cancelled; missed ticks are skipped, never stacked.
    /// A runtime event brings the next refresh forward, but never closer than `minimumGap` to the
    /// previous one, so a burst of events (a node draining) costs a few refreshes, not one per event.
    func run(every interval: Duration, minimumGap: Duration = .seconds(1)) async {
        let clock = ContinuousClock()
        var next = clock.now
        while !Task.isCancelled {
            let started = clock.now
            await refresh()
            next = next.advanced(by: interval)
            if next < clock.now { next = clock.now.advanced(by: interval) }
            guard let wakeup = events?.wakeup else {
                try? await Task.sleep(until: next, clock: clock)
                continue
            }
            try? await Task.sleep(until: min(next, started.advanced(by: minimumGap)), clock: clock)
            if await wakeup.wait(until: next) { next = clock.now }
        }
    }

    private func publish(_ findings: Findings) {
        guard let server else { return }
        let families = MetricsInventory.families(from: findings) + SelfMetrics.families()
        do {
            let text = try TextWriter.render(families, format: .prometheusText)
            let openMetrics = try TextWriter.render(families, format: .openMetrics)
            server.publish(
                prometheusText: Array(text.utf8), openMetricsText: Array(openMetrics.utf8),
                landingPage: Array(LandingPage.render(findings, telemetryPath: telemetryPath, nodeName: nodeName).utf8))
        } catch {
            // Names are declared in code: this is a bug, and the previous snapshot keeps being served.
            logger.error("could not render metrics; serving the previous snapshot", metadata: ["err": "\(error)"])
        }
    }

    /// Logs each source's error once per change, and its recovery, not once per refresh.
    private func logChanges(_ findings: Findings, problems: [String]) {
        for source in Source.allCases {
            let error = findings.sources[source]?.lastError
            if error != lastErrors[source] {
                if let error {
                    logger.error("source down", metadata: ["source": "\(source.rawValue)", "err": "\(error)"])
                } else {
                    logger.info("source up", metadata: ["source": "\(source.rawValue)"])
                }
                lastErrors[source] = error
            }
        }
        let current = Set(problems)
        for problem in current.subtracting(lastProblems).sorted() {
            logger.warning("runtime read incomplete", metadata: ["err": "\(problem)"])
        }
        lastProblems = current
    }
}
