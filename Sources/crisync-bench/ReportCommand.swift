import ArgumentParser
import Foundation

/// `crisync-bench report`: the run's records turned into the tables of BENCHMARKS.md, each target
/// with its measured value and whether it is met.
struct ReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "Print the benchmark tables and the targets from a results file.",
        discussion: "Exits 1 when a target is missed or could not be measured, after printing everything.")

    @Argument(help: "The JSON-lines results file of one run.") var results: String

    func run() throws {
        let records = try Records(path: results)
        var report = Report()
        report.realNode(records)
        report.synthetic(records)
        report.exporter(records)
        report.serving(records)
        report.targets(records)
        print(report.text, terminator: "")
        if report.missed > 0 { throw ExitCode(1) }
    }
}

/// The records of one run, by kind.
struct Records {
    var refresh: [RefreshRecord] = []
    var churn: [ChurnRecord] = []
    var synthetic: [SyntheticRecord] = []
    var serve: [ServeRecord] = []
    var startup: [StartupRecord] = []
    var watch: [WatchRecord] = []

    private struct Kind: Decodable { var kind: String }

    init(path: String) throws {
        let decoder = JSONDecoder()
        let text = try String(contentsOfFile: path, encoding: .utf8)
        for line in text.split(separator: "\n") where !line.isEmpty {
            let data = Data(line.utf8)
            switch try decoder.decode(Kind.self, from: data).kind {
            case "refresh": refresh.append(try decoder.decode(RefreshRecord.self, from: data))
            case "churn": churn.append(try decoder.decode(ChurnRecord.self, from: data))
            case "synthetic": synthetic.append(try decoder.decode(SyntheticRecord.self, from: data))
            case "serve": serve.append(try decoder.decode(ServeRecord.self, from: data))
            case "startup": startup.append(try decoder.decode(StartupRecord.self, from: data))
            case "watch": watch.append(try decoder.decode(WatchRecord.self, from: data))
            default: continue
            }
        }
    }

    func refresh(_ label: String, _ nominal: Int) -> RefreshRecord? {
        refresh.last { $0.label == label && $0.nominal == nominal }
    }

    /// The serving windows of one server at one encoding and connection count, against the
    /// 1,000-container node; nil when it has none.
    func serve(_ server: String, _ encoding: String, _ connections: Int) -> ServingFigure? {
        ServingFigure(serving.filter { $0.server == server && $0.encoding == encoding && $0.connections == connections })
    }

    var serving: [ServeRecord] {
        serve.filter { ($0.nodeContainers ?? 1000) == 1000 && !$0.perNodeSize }
    }

    /// node_exporter scraped on one connection while the node held `containers` containers.
    func nodeExporterScrape(atNodeSize containers: Int) -> ServeRecord? {
        serve.last { $0.server == "node_exporter" && $0.perNodeSize && $0.nodeContainers == containers }
    }

    func synthetic(_ containers: Int) -> SyntheticRecord? {
        synthetic.last { $0.containers == containers }
    }
}

/// Markdown tables, built line by line.
struct Report {
    var text = ""
    var missed = 0

    private mutating func line(_ cells: [String]) {
        text += "| " + cells.joined(separator: " | ") + " |\n"
    }

    private mutating func header(_ title: String, _ cells: [String]) {
        text += "\n### \(title)\n\n"
        line(cells)
        line(cells.map { _ in "---" })
    }

    mutating func realNode(_ records: Records) {
        guard !records.refresh.isEmpty else { return }
        header(
            "Real node: real containerd, kubelet-sized /pods (per refresh)",
            [
                "run", "containers", "pods", "CPU median (p90)", "wall median (p90)", "CRI calls median (max)",
                "ContainerStatus", "Version+Status", "RSS", "/pods body", "decode /pods", "all CPU / refresh",
            ])
        for record in records.refresh.sorted(by: { ($0.nominal, $0.label) > ($1.nominal, $1.label) }).reversed() {
            let versionStatus = (record.callsByMethod["Version"] ?? 0) + (record.callsByMethod["Status"] ?? 0)
            line([
                "\(record.label) \(record.nominal)", "\(Int(record.containers))", "\(Int(record.pods))",
                "\(f(record.cpuMs.median)) ms (\(f(record.cpuMs.p90)))", "\(f(record.wallMs.median)) ms (\(f(record.wallMs.p90)))",
                "\(Int(record.criCalls.median)) (\(Int(record.criCalls.max)))", "\(record.callsByMethod["ContainerStatus"] ?? 0)",
                "\(versionStatus)", "\(f(record.rssMiB, 1)) MiB",
                "\(record.podListBytes / 1024) KiB (\(record.podListBytesPerPod) B/pod)", "\(f(record.podListDecodeMs)) ms",
                "\(f(record.processCPUMsPerRefresh)) ms",
            ])
        }
        text += "\nPhases (median ms; runtime and kubelet are wall time and overlap, the rest thread CPU):\n\n"
        line(["run"] + RefreshPipeline.Sample.phaseNames)
        line(["---"] + RefreshPipeline.Sample.phaseNames.map { _ in "---" })
        for record in records.refresh.sorted(by: { ($0.nominal, $0.label) < ($1.nominal, $1.label) }) {
            line(["\(record.label) \(record.nominal)"] + RefreshPipeline.Sample.phaseNames.map { f(record.phaseMs[$0] ?? 0) })
        }
        if !records.churn.isEmpty {
            text += "\nChurn: "
            text += records.churn.map {
                "\($0.containers) containers: \($0.podsReplaced) pods (\($0.containersRemoved) containers) replaced in \(Int($0.seconds)) s"
            }.joined(separator: "; ")
            text += "\n"
        }
    }

    mutating func exporter(_ records: Records) {
        guard !records.watch.isEmpty else { return }
        header(
            "The real crisync-exporter left running (CPU from /proc ticks, all of its threads)",
            ["node", "containers", "CPU per refresh", "RSS", "anonymous", "file-backed (binary)"])
        for watch in records.watch {
            line([
                watch.node, "\(watch.containers)", "\(f(watch.cpuMsPerPeriod)) ms (\(f(watch.periodSeconds, 1)) s interval, \(Int(watch.seconds)) s)",
                "\(f(watch.rssMiB.max, 1)) MiB", "\(f(watch.rssAnonymousMiB, 1)) MiB", "\(f(watch.rssFileMiB, 1)) MiB",
            ])
        }
    }

    mutating func synthetic(_ records: Records) {
        guard !records.synthetic.isEmpty else { return }
        header(
            "Synthetic node: kernel read (tmpfs tree) + evaluate + families + both text formats",
            [
                "containers", "refreshes", "CPU median (p90)", "µs / container", "kernel", "evaluate", "families", "render",
                "output", "RSS after warm-up → end (max)", "anonymous after warm-up → end",
            ])
        for record in records.synthetic.sorted(by: { $0.containers < $1.containers }) {
            line([
                "\(record.containers)", "\(record.refreshes)", "\(f(record.cpuMs.median)) ms (\(f(record.cpuMs.p90)))",
                f(record.cpuUsPerContainer), f(record.phaseCPUMs["kernel"] ?? 0), f(record.phaseCPUMs["evaluate"] ?? 0),
                f(record.phaseCPUMs["families"] ?? 0), f(record.phaseCPUMs["render"] ?? 0), "\(record.outputBytes / 1024) KiB",
                "\(f(record.rssAfterWarmupMiB, 1)) → \(f(record.rssEndMiB, 1)) (\(f(record.rssMaxMiB, 1))) MiB",
                "\(f(record.anonymousAfterWarmupMiB, 1)) → \(f(record.anonymousEndMiB, 1)) MiB",
            ])
        }
    }

    mutating func serving(_ records: Records) {
        let nodeSizes = records.serve.filter(\.perNodeSize).sorted { ($0.nodeContainers ?? 0) < ($1.nodeContainers ?? 0) }
        if !nodeSizes.isEmpty {
            header(
                "node_exporter (default collectors) on the same node, one connection, at each node size",
                ["containers on the node", "scrapes/s", "CPU per scrape", "p50", "bytes/response", "RSS"])
            for record in nodeSizes {
                line([
                    "\(record.nodeContainers ?? 0)", "\(f(record.requestsPerSecond, 1))", "\(f(record.serverCPUMsPerRequest)) ms",
                    "\(f(record.p50Ms)) ms", "\(record.bytesPerResponse)", "\(f(record.serverRSSMiB, 1)) MiB",
                ])
            }
        }
        guard !records.serving.isEmpty else { return }
        header(
            "Serving /metrics (wrk, loopback), every window in the order run",
            ["server", "encoding", "connections", "requests/s", "p50", "p99", "bytes/response", "server CPU/request", "server RSS"])
        for record in records.serving {
            line([
                record.server, record.encoding, "\(record.connections)", "\(Int(record.requestsPerSecond))", "\(f(record.p50Ms, 3)) ms",
                "\(f(record.p99Ms, 3)) ms", "\(record.bytesPerResponse)", "\(f(record.serverCPUMsPerRequest, 3)) ms",
                "\(f(record.serverRSSMiB, 1)) MiB",
            ])
        }
        header(
            "Serving /metrics: median of each server's windows (min–max)",
            ["server", "encoding", "connections", "windows", "requests/s", "p99"])
        for encoding in ["plain", "gzip"] {
            for connections in [1, 4] {
                for server in ["crisync", "reference", "node_exporter"] {
                    guard let figure = records.serve(server, encoding, connections) else { continue }
                    let rate = figure.requestsPerSecond
                    line([
                        server, encoding, "\(connections)", "\(figure.windows.count)",
                        "\(Int(rate.median)) (\(Int(rate.min))–\(Int(rate.max)))",
                        "\(f(figure.p99Ms.median, 3)) ms (\(f(figure.p99Ms.min, 3))–\(f(figure.p99Ms.max, 3)))",
                    ])
                }
            }
        }
        if let startup = records.startup.last {
            text += "\nStart to first `/metrics`: median \(f(startup.firstScrapeMs.median, 1)) ms, max \(f(startup.firstScrapeMs.max, 1)) ms "
            text += "over \(startup.firstScrapeMs.count) starts (sources up in that first answer: \(startup.sourcesUpAtFirstScrape)); "
            text += "first 200 of any body after \(f(startup.firstAnswerMs.median, 1)) ms, \(startup.emptyAnswers) answers 200 with an empty body before the first publish"
            if let ignored = startup.ignoredTerminations, ignored > 0 {
                text += "; \(ignored) of \(startup.firstScrapeMs.count) starts ignored the SIGTERM sent right after that first answer (SIGKILLed after 5 s)"
            }
            text += "\n"
        }
    }

    mutating func targets(_ records: Records) {
        header("Targets", ["target", "measured", "met"])
        func target(_ name: String, _ measured: String?, _ met: Bool?) {
            guard let measured, let met else {
                line([name, "not measured", "**NO**"])
                missed += 1
                return
            }
            line([name, measured, met ? "yes" : "**NO**"])
            if !met { missed += 1 }
        }

        // CRI calls.
        for nominal in Set(records.refresh.map(\.nominal)).sorted() {
            if let steady = records.refresh("steady", nominal) {
                let status = steady.callsByMethod["ContainerStatus"] ?? 0
                let info = (steady.callsByMethod["Version"] ?? 0) + (steady.callsByMethod["Status"] ?? 0)
                let infoAllowed = 2 * Int((steady.seconds / 60).rounded(.up))
                target(
                    "steady state at \(nominal): 2 CRI calls per refresh (ListContainers, ListPodSandbox); Version+Status ≤ once a minute; no ContainerStatus",
                    "\(steady.refreshesWithOnlyListCalls)/\(steady.refreshes) refreshes with exactly 2; ContainerStatus \(status); Version+Status \(info) in \(Int(steady.seconds)) s",
                    steady.listCallsPerRefresh.min == 2 && steady.listCallsPerRefresh.max == 2 && status == 0 && info <= infoAllowed
                        && steady.refreshesWithOnlyListCalls >= steady.refreshes - info / 2)
            }
            if let churning = records.refresh("churn", nominal), let churn = records.churn.last(where: { abs($0.containers - nominal) <= nominal / 10 }) {
                let status = churning.callsByMethod["ContainerStatus"] ?? 0
                // Each new container can be seen created and then running; each removed one exited.
                let bound = 2 * churn.containersCreated + churn.containersRemoved
                target(
                    "churn at \(nominal) (10%/min): ContainerStatus only for new or changed containers",
                    "\(status) ContainerStatus for \(churn.containersCreated) new + \(churn.containersRemoved) removed containers (bound \(bound)); list calls \(Int(churning.listCallsPerRefresh.median))/refresh",
                    status <= bound && churning.listCallsPerRefresh.max == 2)
            }
        }

        // CPU.
        let steady1000 = records.refresh("steady", 1000)
        target("refresh CPU at 1,000 real containers ≤ 15 ms (median)", steady1000.map { "\(f($0.cpuMs.median)) ms (p90 \(f($0.cpuMs.p90)))" }, steady1000.map { $0.cpuMs.median <= 15 })
        let churn1000 = records.refresh("churn", 1000)
        target("refresh CPU at 1,000 real containers with 10%/min churn ≤ 15 ms (median)", churn1000.map { "\(f($0.cpuMs.median)) ms (p90 \(f($0.cpuMs.p90)))" }, churn1000.map { $0.cpuMs.median <= 15 })
        let steady250 = records.refresh("steady", 250)
        // node_exporter's cost grows with the node (a filesystem series per container mount), so it
        // is compared on the same node: while it held the 250 containers.
        let nodeExporter = records.nodeExporterScrape(atNodeSize: 250)
        target(
            "refresh CPU at 250 real containers ≤ node_exporter's CPU per scrape (same run, same node)",
            steady250.flatMap { s in nodeExporter.map { "\(f(s.cpuMs.median)) ms vs \(f($0.serverCPUMsPerRequest)) ms" } },
            steady250.flatMap { s in nodeExporter.map { s.cpuMs.median <= $0.serverCPUMsPerRequest } })

        // Synthetic scale.
        if let small = records.synthetic(250), let large = records.synthetic(20_000) {
            let ratio = large.cpuUsPerContainer / small.cpuUsPerContainer
            target(
                "synthetic cost per container flat: 20,000 vs 250 ≤ 1.5×",
                "\(f(small.cpuUsPerContainer)) → \(f(large.cpuUsPerContainer)) µs/container (\(f(ratio))×)", ratio <= 1.5)
        } else {
            target("synthetic cost per container flat: 20,000 vs 250 ≤ 1.5×", nil, nil)
        }
        func exporterRSS(_ containers: Int) -> WatchRecord? {
            records.watch.last { $0.node == "synthetic" && $0.containers == containers }
        }
        for (containers, limit) in [(250, 20.0), (5000, 40.0)] {
            let watch = exporterRSS(containers)
            target(
                "crisync-exporter RSS ≤ \(Int(limit)) MiB at \(containers) containers (synthetic node)",
                watch.map { "\(f($0.rssMiB.max, 1)) MiB (anonymous \(f($0.rssAnonymousMiB, 1)), binary pages \(f($0.rssFileMiB, 1)))" },
                watch.map { $0.rssMiB.max <= limit })
        }
        let long = records.synthetic.filter { $0.refreshes >= 10_000 }.min { $0.containers < $1.containers }
        target(
            "memory flat over 10,000 refreshes after warm-up (anonymous growth ≤ 1 MiB)",
            long.map {
                "\($0.containers) containers: anonymous \(f($0.anonymousAfterWarmupMiB, 1)) → \(f($0.anonymousEndMiB, 1)) MiB "
                    + "(RSS \(f($0.rssAfterWarmupMiB, 1)) → \(f($0.rssEndMiB, 1)))"
            },
            long.map { $0.anonymousEndMiB - $0.anonymousAfterWarmupMiB <= 1 })

        // Serving.
        var worstReference: (ratio: Double, at: String)?
        var worstNodeExporter: (ratio: Double, at: String)?
        var p99AtFour: [(encoding: String, figure: ServingFigure)] = []
        for encoding in ["plain", "gzip"] {
            for connections in [1, 4] {
                guard let crisync = records.serve("crisync", encoding, connections) else { continue }
                if connections == 4 { p99AtFour.append((encoding, crisync)) }
                let at = "\(encoding), \(connections) conn"
                if let reference = records.serve("reference", encoding, connections) {
                    let ratio = crisync.requestsPerSecond.median / reference.requestsPerSecond.median
                    let detail = "\(at); medians of \(crisync.windows.count) and \(reference.windows.count) windows"
                    if worstReference == nil || ratio < worstReference!.ratio { worstReference = (ratio, detail) }
                }
                if let node = records.serve("node_exporter", encoding, connections) {
                    let ratio = crisync.requestsPerSecond.median / node.requestsPerSecond.median
                    if worstNodeExporter == nil || ratio < worstNodeExporter!.ratio { worstNodeExporter = (ratio, at) }
                }
            }
        }
        target(
            "/metrics throughput ≥ 0.8× a plain libmicrohttpd server, same bytes (worst case)",
            worstReference.map { "\(f($0.ratio))× (\($0.at))" }, worstReference.map { $0.ratio >= 0.8 })
        target(
            "/metrics throughput ≥ 40× node_exporter's scrapes/s (worst case)",
            worstNodeExporter.map { "\(f($0.ratio, 1))× (\($0.at))" }, worstNodeExporter.map { $0.ratio >= 40 })
        target(
            "p99 latency < 1 ms at 4 connections (median of the windows)",
            p99AtFour.isEmpty
                ? nil
                : p99AtFour.map {
                    "\($0.encoding) \(f($0.figure.p99Ms.median, 3)) ms (\(f($0.figure.p99Ms.min, 3))–\(f($0.figure.p99Ms.max, 3)))"
                }.joined(separator: ", "),
            p99AtFour.isEmpty ? nil : p99AtFour.allSatisfy { $0.figure.p99Ms.median < 1 })
        let startup = records.startup.last
        target(
            "start to first served /metrics < 100 ms",
            startup.map { "median \(f($0.firstScrapeMs.median, 1)) ms, max \(f($0.firstScrapeMs.max, 1)) ms" },
            startup.map { $0.firstScrapeMs.median < 100 })
        text += "\n\(missed == 0 ? "All targets met." : "\(missed) target(s) missed.")\n"
    }
}

private func f(_ value: Double, _ decimals: Int = 2) -> String {
    String(format: "%.\(decimals)f", value)
}
