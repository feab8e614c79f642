import ArgumentParser
import Collector
import Foundation
import Glibc
import Model

/// `explain --output`.
enum ExplainOutputFormat: String, ExpressibleByArgument, CaseIterable, Sendable {
    case text, json
}

/// `crisync-exporter explain`: the three views of a pod's containers side by side, the findings in
/// plain words and the fix, read once on the node. `--all` lists every container with a finding.
struct ExplainCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "explain",
        abstract: "Explain what the kubelet, the runtime and the kernel say about a pod, and how to fix a divergence.",
        discussion: """
            Reads the three views once, with the exporter's source flags. A divergence is shown as soon \
            as it is observed; the exporter reports it only once it has lasted --divergence.min-age, so \
            one seen here during normal churn (a container just starting or stopping) may clear by itself.

            Exit status: 0 no finding; 1 at least one finding (a divergent container, or a pod stuck \
            terminating); 2 no finding but a source is down (cannot tell) or a usage error; 3 the pod or \
            container does not exist. --output json prints the document described in docs/explain-json.md.
            """)

    @Argument(help: "NAMESPACE/POD, or a container ID (or a unique prefix of it, as crictl shows it).")
    var target: String?

    @Flag(name: .customLong("all"), help: "List every container with a finding on this node, one per line.")
    var all = false

    @Option(name: [.customShort("o"), .customLong("output")], help: "Output format: text or json.")
    var output = ExplainOutputFormat.text

    @Option(name: .customLong("color"), help: "Colour the text output: auto (on a terminal, unless NO_COLOR is set), always, never.")
    var color = ExplainColorMode.auto

    @OptionGroup(title: "Sources") var sources: SourceOptions

    func validate() throws {
        switch (target, all) {
        case (nil, false): throw ValidationError("give NAMESPACE/POD, CONTAINER_ID or --all")
        case (.some, true): throw ValidationError("give either a target or --all, not both")
        case (.some(let text), false):
            do { _ = try ExplainTarget(argument: text) } catch { throw ValidationError(error.description) }
        case (nil, true): break
        }
    }

    func run() async throws {
        let explainTarget = try all ? ExplainTarget.all : ExplainTarget(argument: target ?? "")
        let sourceSet = SourceSet(options: sources)
        let (input, warnings) = await sourceSet.readOnce()
        await sourceSet.close()
        let findings = ExplainEvaluation.findings(of: input, stuckAfterSeconds: sources.stuckAfter.seconds)
        let report = ExplainReport(
            findings: findings, target: explainTarget, nodeName: sources.nodeName,
            exporterMinAgeSeconds: sources.divergenceMinAge.seconds, stuckAfterSeconds: sources.stuckAfter.seconds,
            warnings: warnings)
        let text: String
        switch output {
        case .json:
            text = try ExplainJSON.render(report)
        case .text:
            let style = ExplainStyle.decide(
                color, outputIsTerminal: isatty(STDOUT_FILENO) == 1, environment: Foundation.ProcessInfo.processInfo.environment)
            text = ExplainText.render(report, style: style)
        }
        FileHandle.standardOutput.write(Data(text.utf8))
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}

extension SourceSet {
    /// Reads the three views once, as one exporter refresh does: the runtime and the kubelet
    /// concurrently, then the kernel about the runtime's PIDs. Returns the runtime's partial problems
    /// (a container whose status could not be fetched) as warnings.
    func readOnce() async -> (input: CollectorInput, warnings: [String]) {
        async let kubeletReading = readKubelet()
        let (runtimeReading, problems) = await readRuntime()
        let kernelReading = readKernel(for: runtimeReading.value)
        let input = CollectorInput(
            now: Date().timeIntervalSince1970, runtime: runtimeReading, kubelet: await kubeletReading, kernel: kernelReading)
        return (input, problems)
    }
}
