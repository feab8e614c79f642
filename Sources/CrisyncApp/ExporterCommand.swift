import ArgumentParser
import Collector
import Foundation
import Logging
import MallocTuning
import ProcessSignals
import Server

/// `crisync-exporter`: serve the metrics. Flags are spelled as Prometheus exporters spell them.
struct ExporterCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crisync-exporter",
        abstract: "Prometheus exporter: where the kubelet, the container runtime and the kernel disagree about a container.",
        usage: """
            crisync-exporter [<flags>]
            crisync-exporter explain (<namespace>/<pod> | <container-id> | --all) [<flags>]
            """,
        discussion:
            "Reads the kubelet (/pods), the container runtime (CRI over its unix socket) and the kernel (procfs, "
            + "cgroups) every --collector.interval, joins them per container, and serves the divergences, abnormal "
            + "terminations and stuck terminating pods it finds on --web.telemetry-path.",
        version: "crisync-exporter, version \(BuildInfo.version) (revision: \(BuildInfo.revision), swift: \(BuildInfo.swiftVersion))",
        subcommands: [ExplainCommand.self])

    @OptionGroup(title: "Web") var serve: ServeOptions
    @OptionGroup(title: "Collector") var collector: CollectorOptions
    @OptionGroup(title: "Sources") var sources: SourceOptions
    @OptionGroup(title: "Logging") var log: LogOptions

    func run() async throws {
        // Before listening: a SIGTERM during start-up (a pod deleted at once) must stop us cleanly.
        let termination = TerminationSignal.install()
        MallocTuning.applyDefaults()
        log.bootstrap()
        let logger = Logger(label: "crisync")
        let server: HTTPServer
        do throws(ServerError) {
            let address = try ListenAddress(parsing: serve.listenAddress)
            server = try HTTPServer.start(
                ServerConfiguration(
                    listenAddress: address, telemetryPath: serve.telemetryPath, maxRequests: serve.maxRequests,
                    webConfigFile: serve.webConfigFile.isEmpty ? nil : serve.webConfigFile),
                events: { [logger] event in logger.log(event) })
        } catch {
            if case .invalidListenAddress = error { throw CommandLineError("--web.listen-address: \(error)") }
            if case .webConfig = error {
                logger.error("could not load --web.config.file", metadata: ["err": "\(error)"])
                throw ExitCode(1)
            }
            logger.error("could not listen", metadata: ["address": "\(serve.listenAddress)", "err": "\(error)"])
            throw ExitCode(1)
        }
        logger.info(
            "listening",
            metadata: [
                "address": "\(serve.listenAddress)", "port": "\(server.port)", "tls": "\(server.servesTLS)", "version": "\(BuildInfo.version)",
            ])

        FileDescriptorLimit.raiseToHard()
        BackgroundPriority.lowerEventLoops()
        let sourceSet = SourceSet(options: sources)
        let events = RuntimeEventWatcher(
            endpoint: sources.runtimeEndpoint, timeout: sources.runtimeTimeout.swiftDuration, logger: logger)
        let exporter = Exporter(
            sources: sourceSet, configuration: sources.collectorConfiguration, server: server,
            telemetryPath: serve.telemetryPath, logger: logger, events: events, nodeName: sources.nodeName)
        await exporter.publishInitial()

        let watching = Task { await events.run() }
        let loop = Task { await exporter.run(every: collector.interval.swiftDuration) }
        let signal = await termination.wait()
        logger.info("shutting down", metadata: ["signal": "\(signal)"])
        watching.cancel()
        loop.cancel()
        await loop.value
        await watching.value
        server.stop()
        await sourceSet.close()
    }
}

extension SourceOptions {
    var collectorConfiguration: CollectorConfiguration {
        CollectorConfiguration(
            divergenceMinAgeSeconds: divergenceMinAge.seconds, stuckAfterSeconds: stuckAfter.seconds, keepsContainerViews: false)
    }
}

/// A flag value that could only be judged after parsing; reported like a parse error (exit 2).
struct CommandLineError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
