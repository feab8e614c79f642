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
    /// Per-connection memory: bounds the request line plus headers (larger requests get 413/431).
    public var connectionMemoryLimitBytes: Int

    public init(
        listenAddress: ListenAddress, telemetryPath: String = "/metrics", maxRequests: Int = 40,
        threadPoolSize: Int = 2, connectionLimit: Int = 256, connectionTimeoutSeconds: Int = 10,
        connectionMemoryLimitBytes: Int = 32 * 1024
    ) {
        self.listenAddress = listenAddress
        self.telemetryPath = telemetryPath
        self.maxRequests = maxRequests
        self.threadPoolSize = threadPoolSize
        self.connectionLimit = connectionLimit
        self.connectionTimeoutSeconds = connectionTimeoutSeconds
        self.connectionMemoryLimitBytes = connectionMemoryLimitBytes
    }
}
