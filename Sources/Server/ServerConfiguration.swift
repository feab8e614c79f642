/// How the HTTP server listens and protects itself. Defaults follow Prometheus exporters.
public struct ServerConfiguration: Sendable {
    public var listenAddress: ListenAddress
    /// Path that serves the metrics (`--web.telemetry-path`).
    public var telemetryPath: String
    /// Concurrent scrapes allowed on the telemetry path before answering 503 (`--web.max-requests`); 0 = no limit.
    public var maxRequests: Int
    /// libmicrohttpd worker threads; the handler never blocks, so two threads saturate two cores.
    public var threadPoolSize: Int
    /// Open connections allowed in total; beyond it new connections are refused at accept time.
    public var connectionLimit: Int
    /// Idle connections (e.g. slowloris clients that send nothing) are closed after this many seconds.
    public var connectionTimeoutSeconds: Int
    /// A request line and its headers (and the TLS handshake) must arrive within this many seconds
    /// of the connection opening or of the previous response, or the connection is cut: the idle
    /// timeout alone never stops a client that sends a byte now and then. 0 disables it.
    public var requestHeaderTimeoutSeconds: Int
    /// Per-connection memory: bounds the request line plus headers (larger requests get 413/431).
    public var connectionMemoryLimitBytes: Int
    /// `--web.config.file`: TLS, basic auth and response headers in the Prometheus exporter-toolkit
    /// format; nil serves plain HTTP to everyone. `/healthz` never asks for credentials (see `HTTPServer`).
    public var webConfigFile: String?
    /// How often, at most, the web config and the files it names are checked for changes (on new connections).
    public var webConfigCheckIntervalSeconds: Double

    public init(
        listenAddress: ListenAddress, telemetryPath: String = "/metrics", maxRequests: Int = 40,
        threadPoolSize: Int = 2, connectionLimit: Int = 256, connectionTimeoutSeconds: Int = 10, requestHeaderTimeoutSeconds: Int = 10,
        connectionMemoryLimitBytes: Int = 32 * 1024, webConfigFile: String? = nil, webConfigCheckIntervalSeconds: Double = 5
    ) {
        self.listenAddress = listenAddress
        self.telemetryPath = telemetryPath
        self.maxRequests = maxRequests
        self.threadPoolSize = threadPoolSize
        self.connectionLimit = connectionLimit
        self.connectionTimeoutSeconds = connectionTimeoutSeconds
        self.requestHeaderTimeoutSeconds = requestHeaderTimeoutSeconds
        self.connectionMemoryLimitBytes = connectionMemoryLimitBytes
        self.webConfigFile = webConfigFile
        self.webConfigCheckIntervalSeconds = webConfigCheckIntervalSeconds
    }
}
