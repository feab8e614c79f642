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
///
/// With `--web.config.file` it speaks TLS and asks for basic auth on every path except
/// `/healthz`: liveness probes then need no credentials in the pod spec, and the answer (`ok`)
/// reveals nothing. TLS client-certificate policy is enforced in the handshake, so it covers
/// `/healthz` too.
public final class HTTPServer: Sendable {
    /// The TCP port actually bound (useful with port 0).
    public let port: UInt16
    /// Whether connections are TLS (fixed for the server's lifetime).
    public let servesTLS: Bool
    private let daemon: DaemonHandle
    private let state: ServingState

    /// Binds, reads the web config (if any), and starts serving. `events` receives web config
    /// (re)loads and rejections, on a server thread.
    public static func start(
        _ configuration: ServerConfiguration, landingPage: String = "",
        events: @escaping @Sendable (ServerEvent) -> Void = { _ in }
    ) throws(ServerError) -> HTTPServer {
        var loaded: LoadedWebConfig?
        if let file = configuration.webConfigFile {
            switch WebConfigLoader.load(file: file).result {
            case .success(let config): loaded = config
            case .failure(let error): throw .webConfig(error)
            }
        }
        var tls: TLSServerState?
        if let credentials = loaded?.credentials {
            guard crisync_mhd_has_tls() == 1, let state = TLSServerState(credentials) else {
                throw .daemonStartFailed(address: configuration.listenAddress.description + " (this libmicrohttpd has no TLS)")
            }
            tls = state
        }
        let reloader = loaded.map {
            WebConfigReloader(
                file: configuration.webConfigFile!, stamps: $0.stamps,
                checkIntervalSeconds: configuration.webConfigCheckIntervalSeconds, servesTLS: tls != nil)
        }
        let state = ServingState(
            configuration: configuration, landingPage: Array(landingPage.utf8), webConfig: loaded?.config ?? WebConfig(), tls: tls,
            reloader: reloader, events: events)
        let fd: Int32
        do {
            fd = try configuration.listenAddress.bindListeningSocket()
        } catch {
            state.releaseAll()
            throw error
        }
        let context = Unmanaged.passRetained(state).toOpaque()
        var config = crisync_mhd_config(
            listen_fd: fd,
            thread_pool_size: UInt32(max(1, configuration.threadPoolSize)),
            connection_limit: UInt32(max(1, configuration.connectionLimit)),
            connection_timeout_s: UInt32(max(0, configuration.connectionTimeoutSeconds)),
            request_header_timeout_s: UInt32(max(0, configuration.requestHeaderTimeoutSeconds)),
            connection_memory_limit: max(4096, configuration.connectionMemoryLimitBytes),
            handler: accessHandler, handler_cls: context,
            completed: requestCompleted, completed_cls: context,
            connection_started: reloader == nil ? nil : connectionStarted, connection_started_cls: context,
            log: libraryLog, log_cls: context,
            tls: tls?.pointer)
        guard let daemon = crisync_mhd_start(&config) else {
            close(fd)
            Unmanaged<ServingState>.fromOpaque(context).release()
            state.releaseAll()
            throw .daemonStartFailed(address: configuration.listenAddress.description)
        }
        if let loaded, let file = configuration.webConfigFile {
            events(.webConfigLoaded(file: file, tls: tls != nil, basicAuthUsers: loaded.config.basicAuthUsers.count, reload: false))
        }
        return HTTPServer(
            port: crisync_mhd_bound_port(daemon), servesTLS: tls != nil, daemon: DaemonHandle(daemon, context: context), state: state)
    }

    private init(port: UInt16, servesTLS: Bool, daemon: DaemonHandle, state: ServingState) {
        self.port = port
        self.servesTLS = servesTLS
        self.daemon = daemon
        self.state = state
    }

    /// Makes a new snapshot the one every following request sees. Compresses each body once.
    public func publish(prometheusText: [UInt8], openMetricsText: [UInt8], landingPage: [UInt8]) {
        state.publish(PublishedInputs(prometheusText: prometheusText, openMetricsText: openMetricsText, landingPage: landingPage))
    }

    /// Scrapes currently being answered on the telemetry path.
    public var scrapesInFlight: Int { state.inFlight.load(ordering: .relaxed) }

    /// Connections libmicrohttpd holds open right now (idle keep-alive and slow clients included).
    public var openConnections: Int { daemon.currentConnections() }

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

    func currentConnections() -> Int {
        running.withLock { $0 ? Int(crisync_mhd_current_connections(daemon)) : 0 }
    }

    /// Returns true the first time only.
    func stop() -> Bool {
        let wasRunning = running.withLock { running in
            defer { running = false }
            return running
        }
        guard wasRunning else { return false }
        crisync_mhd_stop(daemon)
        Unmanaged<ServingState>.fromOpaque(context).release()
        return true
    }
}

/// What the request handler reads. Everything mutable sits behind a Mutex or an Atomic.
final class ServingState: Sendable {
    let telemetryPath: [CChar]
    let maxRequests: Int
    let inFlight = Atomic<Int>(0)
    let authenticator = BasicAuthenticator()
    private let published: Mutex<Published>
    /// Serialises publishing and reloads, which render (gzip) without holding `published`.
    private let writer = Mutex(())
    private let tls: TLSServerState?
    private let reloader: WebConfigReloader?
    private let events: @Sendable (ServerEvent) -> Void

    private struct Published {
        var inputs: PublishedInputs
        var headers: [HTTPHeaderField]
        var responses: ResponseSet
    }

    init(
        configuration: ServerConfiguration, landingPage: [UInt8], webConfig: WebConfig, tls: TLSServerState?,
        reloader: WebConfigReloader?, events: @escaping @Sendable (ServerEvent) -> Void
    ) {
        telemetryPath = Array(configuration.telemetryPath.utf8CString)
        maxRequests = configuration.maxRequests
        self.tls = tls
        self.reloader = reloader
        self.events = events
        let inputs = PublishedInputs(
            prometheusText: [], openMetricsText: Array("# EOF\n".utf8), landingPage: landingPage, isSnapshot: false)
        published = Mutex(Published(inputs: inputs, headers: webConfig.headers, responses: ResponseSet(inputs, extraHeaders: webConfig.headers)))
        authenticator.replaceUsers(webConfig.basicAuthUsers)
    }

    func publish(_ inputs: PublishedInputs) {
        writer.withLock { _ in
            let headers = published.withLock { $0.headers }
            swap(inputs: inputs, headers: headers, responses: ResponseSet(inputs, extraHeaders: headers))
        }
    }

    /// A reload: new users, headers and TLS credentials, effective from the next request / handshake.
    func apply(_ loaded: LoadedWebConfig) {
        if let credentials = loaded.credentials { tls?.replace(with: credentials) }
        authenticator.replaceUsers(loaded.config.basicAuthUsers)
        writer.withLock { _ in
            let (inputs, headers) = published.withLock { ($0.inputs, $0.headers) }
            guard headers != loaded.config.headers else { return }
            let newHeaders = loaded.config.headers
            swap(inputs: inputs, headers: newHeaders, responses: ResponseSet(inputs, extraHeaders: newHeaders))
        }
    }

    /// Makes `responses` current; rendering happened before, outside the lock requests take.
    private func swap(inputs: PublishedInputs, headers: [HTTPHeaderField], responses: ResponseSet) {
        let old = published.withLock { published in
            defer { published = Published(inputs: inputs, headers: headers, responses: responses) }
            return published.responses
        }
        old.releaseAll()
    }

    func releaseAll() {
        published.withLock { $0.responses.releaseAll() }
        tls?.destroy()
    }

    func connectionStarted() {
        reloader?.checkForChanges(apply: apply, report: events)
    }

    func libraryMessage(_ message: UnsafePointer<CChar>) {
        events(.libraryMessage(String(cString: message)))
    }

    /// Routes one request. Called on libmicrohttpd's threads; never blocks beyond a short lock
    /// (and one bcrypt check for credentials not seen before).
    func handle(
        connection: OpaquePointer, url: UnsafePointer<CChar>, method: UnsafePointer<CChar>,
        uploadDataSize: UnsafeMutablePointer<Int>, requestContext: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    ) -> MHD_Result {
        let isGetOrHead = strcmp(method, "GET") == 0 || strcmp(method, "HEAD") == 0
        switch requestContext.pointee {
        case nil:
            // libmicrohttpd 0.9.7x closes the connection after a response queued on this first call
            // (headers in, body unknown). GET and HEAD are answered on the next call, once the
            // request is complete, so HTTP/1.1 connections stay alive and a scraper does not pay a
            // TCP and TLS handshake per scrape. Other methods are answered now: their bodies are
            // never read, and closing those connections is what we want.
            if isGetOrHead {
                requestContext.pointee = requestSeenMarker
                return .YES
            }
        case requestSeenMarker?:
            break
        default:
            // Already answered; a body that still arrives is dropped unread.
            uploadDataSize.pointee = 0
            return .YES
        }
        uploadDataSize.pointee = 0
        requestContext.pointee = answeredMarker
        let isHealthz = strcmp(url, "/healthz") == 0
        if !isHealthz && authenticator.isEnabled
            && !authenticator.authorize(MHD_lookup_connection_value(connection, .HEADER_KIND, "Authorization"))
        {
            return published.withLock { $0.responses.unauthorized.queue(on: connection, status: 401) }
        }
        if strcmp(url, telemetryPath) == 0 {
            guard isGetOrHead else { return queue(\.methodNotAllowed, on: connection, status: 405) }
            let inFlightNow = inFlight.wrappingAdd(1, ordering: .relaxed).newValue
            if maxRequests > 0 && inFlightNow > maxRequests {
                inFlight.wrappingSubtract(1, ordering: .relaxed)
                return queue(\.tooManyRequests, on: connection, status: 503)
            }
            requestContext.pointee = scrapeMarker
            let variant = MetricsVariant(
                openMetrics: ExpositionFormat.negotiate(accept: header(connection, "Accept")) == .openMetrics,
                gzip: Gzip.isAccepted(by: header(connection, "Accept-Encoding")))
            return published.withLock { published in
                guard published.inputs.isSnapshot else { return published.responses.notReady.queue(on: connection, status: 503) }
                return published.responses.metrics[variant]!.queue(on: connection, status: 200)
            }
        }
        if strcmp(url, "/") == 0 {
            guard isGetOrHead else { return queue(\.methodNotAllowed, on: connection, status: 405) }
            return queue(\.landingPage, on: connection, status: 200)
        }
        if isHealthz {
            guard isGetOrHead else { return queue(\.methodNotAllowed, on: connection, status: 405) }
            return queue(\.healthz, on: connection, status: 200)
        }
        return queue(\.notFound, on: connection, status: 404)
    }

    private func queue(_ response: KeyPath<ResponseSet, CachedResponse>, on connection: OpaquePointer, status: UInt32) -> MHD_Result {
        published.withLock { $0.responses[keyPath: response].queue(on: connection, status: status) }
    }

    func completed(requestContext: UnsafeMutablePointer<UnsafeMutableRawPointer?>) {
        if requestContext.pointee == scrapeMarker {
            inFlight.wrappingSubtract(1, ordering: .relaxed)
        }
        requestContext.pointee = nil
    }
}

/// Marks a request that counts against `--web.max-requests` until libmicrohttpd reports it complete.
private nonisolated(unsafe) let scrapeMarker = UnsafeMutableRawPointer(bitPattern: 0x5C)!
/// Marks a request whose first handler call (headers received) has happened.
private nonisolated(unsafe) let requestSeenMarker = UnsafeMutableRawPointer(bitPattern: 0x5E)!
/// Marks a request that has its (non-scrape) answer queued.
private nonisolated(unsafe) let answeredMarker = UnsafeMutableRawPointer(bitPattern: 0x60)!

private func header(_ connection: OpaquePointer, _ name: String) -> String? {
    guard let value = MHD_lookup_connection_value(connection, .HEADER_KIND, name) else { return nil }
    return String(cString: value)
}

// C callbacks live here, outside main.swift, so they are not inferred to be main-actor isolated.
private let accessHandler: MHD_AccessHandlerCallback = {
    context, connection, url, method, _, _, uploadDataSize, requestContext in
    guard let context, let connection, let url, let method, let uploadDataSize, let requestContext else { return .NO }
    let state = Unmanaged<ServingState>.fromOpaque(context).takeUnretainedValue()
    return state.handle(
        connection: connection, url: url, method: method, uploadDataSize: uploadDataSize, requestContext: requestContext)
}

private let requestCompleted: crisync_mhd_completed_cb = { context, _, requestContext, _ in
    guard let context, let requestContext else { return }
    Unmanaged<ServingState>.fromOpaque(context).takeUnretainedValue().completed(requestContext: requestContext)
}

private let connectionStarted: crisync_mhd_connection_started_cb = { context in
    guard let context else { return }
    Unmanaged<ServingState>.fromOpaque(context).takeUnretainedValue().connectionStarted()
}

private let libraryLog: crisync_mhd_log_cb = { context, message in
    guard let context, let message else { return }
    Unmanaged<ServingState>.fromOpaque(context).takeUnretainedValue().libraryMessage(message)
}
