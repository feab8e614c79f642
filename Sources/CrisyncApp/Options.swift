import ArgumentParser
import Foundation
import KubeletReader

/// Where and how the three sources are read. Shared by the exporter and `explain`.
public struct SourceOptions: ParsableArguments, Sendable {
    @Option(name: .customLong("path.procfs"), help: "procfs mount point (the host's /proc when containerised).")
    public var procfs = "/proc"

    @Option(name: .customLong("path.cgroupfs"), help: "cgroup fs mount point (v1, v2 or hybrid).")
    public var cgroupfs = "/sys/fs/cgroup"

    @Option(name: .customLong("runtime.endpoint"), help: "CRI endpoint of the container runtime (unix:///path).")
    public var runtimeEndpoint = "unix:///run/containerd/containerd.sock"

    @Option(

        name: .customLong("runtime.timeout"),

        help: .text("Deadline of each CRI call.", default: Self.defaultRuntimeTimeout),

        transform: PrometheusDuration.parseFlag)
    public var runtimeTimeout = Self.defaultRuntimeTimeout
    static let defaultRuntimeTimeout = PrometheusDuration(seconds: 2)

    @Option(name: .customLong("kubelet.url"), help: "Kubelet base URL; /pods is read from it (https, or http for the read-only port).")
    public var kubeletURL = "https://127.0.0.1:10250"

    @Option(
        name: .customLong("kubelet.token-file"),
        help: "Bearer token file for the kubelet, re-read on every request; empty for none.")
    public var kubeletTokenFile = "/var/run/secrets/kubernetes.io/serviceaccount/token"

    @Option(name: .customLong("kubelet.ca-file"), help: "CA bundle that signs the kubelet's serving certificate; empty for the system roots.")
    public var kubeletCAFile = "/var/run/secrets/kubernetes.io/serviceaccount/ca.crt"

    @Flag(
        name: .customLong("kubelet.insecure-skip-tls-verify"),
        help: "Do not verify the kubelet's certificate (anyone on the path can impersonate it).")
    public var kubeletInsecureSkipTLSVerify = false

    @Option(

        name: .customLong("kubelet.timeout"),

        help: .text("Deadline of one kubelet request, body included.", default: Self.defaultKubeletTimeout),

        transform: PrometheusDuration.parseFlag)
    public var kubeletTimeout = Self.defaultKubeletTimeout
    static let defaultKubeletTimeout = PrometheusDuration(seconds: 5)

    @Option(

        name: .customLong("kubelet.max-bytes"),

        help: .text("Largest /pods body accepted (e.g. 64MiB).", default: Self.defaultKubeletMaxBytes),

        transform: ByteSize.parseFlag)
    public var kubeletMaxBytes = Self.defaultKubeletMaxBytes
    static let defaultKubeletMaxBytes = ByteSize(bytes: 64 << 20)

    // Optional rather than defaulting to $NODE_NAME's value: ArgumentParser would print that value
    // as a second "(default: ...)" after the help's own, and --help would vary with the environment.
    @Option(name: .customLong("node.name"), help: "This node's name (default: $NODE_NAME).")
    var nodeNameFlag: String?

    /// --node.name, else $NODE_NAME (in a pod, from the downward API's spec.nodeName), else empty.
    public var nodeName: String { nodeName(environment: ProcessInfo.processInfo.environment) }

    func nodeName(environment: [String: String]) -> String {
        nodeNameFlag ?? environment["NODE_NAME"] ?? ""
    }

    @Option(

        name: .customLong("divergence.min-age"),

        help: .text("A divergence counts once it has lasted this long.", default: Self.defaultDivergenceMinAge),

        transform: PrometheusDuration.parseFlag)
    public var divergenceMinAge = Self.defaultDivergenceMinAge
    static let defaultDivergenceMinAge = PrometheusDuration(seconds: 15)

    @Option(

        name: .customLong("terminating.stuck-after"),

        help: .text("A terminating pod this far past its deadline is stuck.", default: Self.defaultStuckAfter),

        transform: PrometheusDuration.parseFlag)
    public var stuckAfter = Self.defaultStuckAfter
    static let defaultStuckAfter = PrometheusDuration(seconds: 60)

    public init() {}

    public func validate() throws {
        guard runtimeTimeout.seconds > 0 else { throw ValidationError("--runtime.timeout must be greater than 0") }
        guard kubeletTimeout.seconds > 0 else { throw ValidationError("--kubelet.timeout must be greater than 0") }
        // The reader's own check (not Foundation's URL: that loads ICU's IDNA tables to find the host).
        guard kubeletURL.hasPrefix("https://") || kubeletURL.hasPrefix("http://"),
            (try? KubeletReader.checkedScheme(of: kubeletURL)) != nil
        else { throw ValidationError("--kubelet.url must be an http:// or https:// URL, got \"\(kubeletURL)\"") }
        guard runtimeEndpoint.hasPrefix("unix://") || runtimeEndpoint.hasPrefix("/") else {
            throw ValidationError("--runtime.endpoint must be unix:///path/to/socket, got \"\(runtimeEndpoint)\"")
        }
    }
}

/// How the exporter serves and logs.
public struct ServeOptions: ParsableArguments, Sendable {
    @Option(name: .customLong("web.listen-address"), help: "Address to listen on: :9731, 127.0.0.1:9731, [::1]:9731.")
    public var listenAddress = ":9731"

    @Option(name: .customLong("web.telemetry-path"), help: "Path under which to expose metrics.")
    public var telemetryPath = "/metrics"

    @Option(name: .customLong("web.max-requests"), help: "Maximum number of parallel scrape requests; 0 disables the limit.")
    public var maxRequests = 40

    @Option(
        name: .customLong("web.config.file"),
        help: "Exporter-toolkit web config (TLS, basic auth, headers), re-read on change; /healthz stays open.")
    public var webConfigFile = ""

    public init() {}

    public func validate() throws {
        guard telemetryPath.hasPrefix("/"), telemetryPath != "/", telemetryPath != "/healthz" else {
            throw ValidationError("--web.telemetry-path must start with / and not be / or /healthz, got \"\(telemetryPath)\"")
        }
        guard maxRequests >= 0 else { throw ValidationError("--web.max-requests must be 0 or more") }
    }
}

/// How often the exporter reads its sources (explain reads them once).
public struct CollectorOptions: ParsableArguments, Sendable {
    @Option(
        name: .customLong("collector.interval"),
        help: .text("How often the three views are read (scrapes serve the latest).", default: Self.defaultInterval),
        transform: PrometheusDuration.parseFlag)
    public var interval = Self.defaultInterval
    static let defaultInterval = PrometheusDuration(seconds: 5)

    public init() {}

    public func validate() throws {
        guard interval.seconds >= 0.1 else { throw ValidationError("--collector.interval must be at least 100ms") }
    }
}

public enum LogLevelOption: String, ExpressibleByArgument, CaseIterable, Sendable {
    case debug, info, warn, error
}

public enum LogFormatOption: String, ExpressibleByArgument, CaseIterable, Sendable {
    case logfmt, json
}

public struct LogOptions: ParsableArguments, Sendable {
    @Option(name: .customLong("log.level"), help: "Only log messages with the given severity or above.")
    public var level = LogLevelOption.info

    @Option(name: .customLong("log.format"), help: "Output format of log messages on stderr.")
    public var format = LogFormatOption.logfmt

    public init() {}
}

extension ArgumentHelp {
    /// Help that shows its default: ArgumentParser shows one only for values parsed by
    /// `ExpressibleByArgument`, not through `transform:` (used for errors that say what a value looks like).
    static func text(_ text: String, default value: some CustomStringConvertible) -> ArgumentHelp {
        ArgumentHelp("\(text) (default: \(value))")
    }
}
