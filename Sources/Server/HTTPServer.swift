import CMicroHTTPD
import CMicroHTTPDShim
import Exposition
import Glibc
import Synchronization

/// The exporter's only listener: a thin wrapper around libmicrohttpd that serves pre-rendered bytes.
///
/// Scrapes never compute anything: `publish` renders each snapshot's responses once (both formats,
/// plain and gzip), and the request handler only picks one and queues it. It knows nothing of
/// collectors.
public final class HTTPServer: Sendable {
    /// The TCP port actually bound (useful with port 0).
    public let port: UInt16
    private let daemon: DaemonHandle
    private let state: ServingState

    public static func start(_ configuration: ServerConfiguration, landingPage: String = "") throws(ServerError) -> HTTPServer {
        let fd = try configuration.listenAddress.bindListeningSocket()
        let state = ServingState(configuration: configuration, landingPage: Array(landingPage.utf8))
        let context = Unmanaged.passRetained(state).toOpaque()
        var config = crisync_mhd_config(
            listen_fd: fd,
            thread_pool_size: UInt32(max(1, configuration.threadPoolSize)),
            connection_limit: UInt32(max(1, configuration.connectionLimit)),
            connection_timeout_s: UInt32(max(0, configuration.connectionTimeoutSeconds)),
            connection_memory_limit: max(4096, configuration.connectionMemoryLimitBytes),
            handler: accessHandler, handler_cls: context,
            completed: requestCompleted, completed_cls: context)
        guard let daemon = crisync_mhd_start(&config) else {
            close(fd)
            Unmanaged<ServingState>.fromOpaque(context).release()
            state.releaseAll()
            throw .daemonStartFailed(address: configuration.listenAddress.description)
        }
        return HTTPServer(port: crisync_mhd_bound_port(daemon), daemon: DaemonHandle(daemon, context: context), state: state)
    }

    private init(port: UInt16, daemon: DaemonHandle, state: ServingState) {
        self.port = port
        self.daemon = daemon
        self.state = state
    }

    /// Makes a new snapshot the one every following request sees. Compresses each body once.
    public func publish(prometheusText: [UInt8], openMetricsText: [UInt8], landingPage: [UInt8]) {
        state.publish(prometheusText: prometheusText, openMetricsText: openMetricsText, landingPage: landingPage)
    }

    /// Scrapes currently being answered on the telemetry path.
    public var scrapesInFlight: Int { state.inFlight.load(ordering: .relaxed) }

    /// Stops accepting, lets libmicrohttpd finish its threads, and frees every response. Idempotent.
    public func stop() {
        if daemon.stop() { state.releaseAll() }
    }

    deinit {
        stop()
    }
}

/// Owns the daemon pointer and the retained context so both are released exactly once.
private final class DaemonHandle: Sendable {
    private let running: Mutex<Bool> = Mutex(true)
    private nonisolated(unsafe) let daemon: OpaquePointer
    private nonisolated(unsafe) let context: UnsafeMutableRawPointer

    init(_ daemon: OpaquePointer, context: UnsafeMutableRawPointer) {
        self.daemon = daemon
        self.context = context
    }

    /// Returns true the first time only.
    func stop() -> Bool {
        let wasRunning = running.withLock { running in
            defer { running = false }
            return running
        }
        guard wasRunning else { return false }
        MHD_stop_daemon(daemon)
        Unmanaged<ServingState>.fromOpaque(context).release()
        return true
    }
}

/// What the request handler reads. Everything mutable sits behind a Mutex or an Atomic.
final class ServingState: Sendable {
    let telemetryPath: [CChar]
    let maxRequests: Int
    let inFlight = Atomic<Int>(0)
    private let current: Mutex<PublishedResponses>
    private let healthz = CachedResponse(text: "ok\n")
    private let notFound = CachedResponse(text: "404 page not found\n")
    private let methodNotAllowed = CachedResponse(text: "405 method not allowed\n", extraHeaders: [("Allow", "GET, HEAD")])
    private let tooManyRequests = CachedResponse(
        text: "503 too many concurrent scrapes; raise --web.max-requests or scrape less often\n",
        extraHeaders: [("Retry-After", "1")])

    init(configuration: ServerConfiguration, landingPage: [UInt8]) {
        telemetryPath = Array(configuration.telemetryPath.utf8CString)
        maxRequests = configuration.maxRequests
        current = Mutex(Self.makeResponses(prometheusText: [], openMetricsText: Array("# EOF\n".utf8), landingPage: landingPage))
    }

    func publish(prometheusText: [UInt8], openMetricsText: [UInt8], landingPage: [UInt8]) {
        let fresh = Self.makeResponses(prometheusText: prometheusText, openMetricsText: openMetricsText, landingPage: landingPage)
        let old = current.withLock { current in
            defer { current = fresh }
            return current
        }
        old.releaseAll()
    }

    func releaseAll() {
        current.withLock { $0.releaseAll() }
        for response in [healthz, notFound, methodNotAllowed, tooManyRequests] { response.release() }
    }

    private static func makeResponses(prometheusText: [UInt8], openMetricsText: [UInt8], landingPage: [UInt8]) -> PublishedResponses {
        var metrics: [MetricsVariant: CachedResponse] = [:]
        for format in [ExpositionFormat.prometheusText, .openMetrics] {
            let body = format == .openMetrics ? openMetricsText : prometheusText
            let headers = [("Content-Type", format.contentType), ("Vary", "Accept, Accept-Encoding")]
            metrics[MetricsVariant(openMetrics: format == .openMetrics, gzip: false)] = CachedResponse(body: body, headers: headers)
            metrics[MetricsVariant(openMetrics: format == .openMetrics, gzip: true)] = CachedResponse(
                body: Gzip.compress(body), headers: headers + [("Content-Encoding", "gzip")])
        }
        return PublishedResponses(
            metrics: metrics,
            landingPage: CachedResponse(body: landingPage, headers: [("Content-Type", "text/html; charset=utf-8")]))
    }

    /// Routes one request. Called on libmicrohttpd's threads; never blocks beyond a short lock.
    func handle(
        connection: OpaquePointer, url: UnsafePointer<CChar>, method: UnsafePointer<CChar>,
        requestContext: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    ) -> MHD_Result {
        let isGetOrHead = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0
        if strcmp(url, telemetryPath) == 0 {
            guard isGetOrHead else { return methodNotAllowed.queue(on: connection, status: 405) }
            let inFlightNow = inFlight.wrappingAdd(1, ordering: .relaxed).newValue
            if maxRequests > 0 && inFlightNow > maxRequests {
                inFlight.wrappingSubtract(1, ordering: .relaxed)
                return tooManyRequests.queue(on: connection, status: 503)
            }
            requestContext.pointee = scrapeMarker
            let variant = MetricsVariant(
                openMetrics: ExpositionFormat.negotiate(accept: header(connection, "Accept")) == .openMetrics,
                gzip: Gzip.isAccepted(by: header(connection, "Accept-Encoding")))
            return current.withLock { $0.metrics[variant]!.queue(on: connection, status: 200) }
        }
        if strcmp(url, "/") == 0 {
            guard isGetOrHead else { return methodNotAllowed.queue(on: connection, status: 405) }
            return current.withLock { $0.landingPage.queue(on: connection, status: 200) }
        }
        if strcmp(url, "/healthz") == 0 {
            guard isGetOrHead else { return methodNotAllowed.queue(on: connection, status: 405) }
            return healthz.queue(on: connection, status: 200)
        }
        return notFound.queue(on: connection, status: 404)
    }

    func completed(requestContext: UnsafeMutablePointer<UnsafeMutableRawPointer?>) {
        if requestContext.pointee == scrapeMarker {
            inFlight.wrappingSubtract(1, ordering: .relaxed)
            requestContext.pointee = nil
        }
    }
}

/// Marks a request that counts against `--web.max-requests` until libmicrohttpd reports it complete.
private nonisolated(unsafe) let scrapeMarker = UnsafeMutableRawPointer(bitPattern: 0x5C)!

private func header(_ connection: OpaquePointer, _ name: String) -> String? {
    guard let value = MHD_lookup_connection_value(connection, .HEADER_KIND, name) else { return nil }
    return String(cString: value)
}

extension CachedResponse {
    func queue(on connection: OpaquePointer, status: UInt32) -> MHD_Result {
        MHD_queue_response(connection, status, pointer)
    }
}

// C callbacks live here, outside main.swift, so they are not inferred to be main-actor isolated.
private let accessHandler: MHD_AccessHandlerCallback = {
    context, connection, url, method, _, _, _, requestContext in
    guard let context, let connection, let url, let method, let requestContext else { return .NO }
    let state = Unmanaged<ServingState>.fromOpaque(context).takeUnretainedValue()
    return state.handle(connection: connection, url: url, method: method, requestContext: requestContext)
}

private let requestCompleted: crisync_mhd_completed_cb = { context, _, requestContext, _ in
    guard let context, let requestContext else { return }
    Unmanaged<ServingState>.fromOpaque(context).takeUnretainedValue().completed(requestContext: requestContext)
}
