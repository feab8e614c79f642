import CMicroHTTPD
import Exposition

/// A libmicrohttpd response built once and queued for many requests.
///
/// libmicrohttpd reference-counts responses under its own mutex (`MHD_queue_response` retains,
/// `MHD_destroy_response` releases), so one response may be queued from any worker thread; that is
/// what makes this wrapper safe to share although it holds a C pointer.
struct CachedResponse: @unchecked Sendable {
    let pointer: OpaquePointer

    init(body: [UInt8], headers: [(String, String)]) {
        let response = body.withUnsafeBytes { bytes in
            MHD_create_response_from_buffer(
                bytes.count, UnsafeMutableRawPointer(mutating: bytes.baseAddress), .RESPMEM_MUST_COPY)
        }
        guard let response else { fatalError("libmicrohttpd could not allocate a response of \(body.count) bytes") }
        for (name, value) in headers {
            MHD_add_response_header(response, name, value)
        }
        pointer = response
    }

    init(text: String, headers: [(String, String)]) {
        self.init(body: Array(text.utf8), headers: [("Content-Type", "text/plain; charset=utf-8")] + headers)
    }

    /// Drops this holder's reference; connections still sending it keep theirs.
    func release() {
        MHD_destroy_response(pointer)
    }

    func queue(on connection: OpaquePointer, status: UInt32) -> MHD_Result {
        MHD_queue_response(connection, status, pointer)
    }
}

/// What one published snapshot is rendered from, kept so a changed set of configured headers can
/// re-render every response.
struct PublishedInputs: Sendable {
    var prometheusText: [UInt8]
    var openMetricsText: [UInt8]
    var landingPage: [UInt8]
    /// False until the first `publish`: `/metrics` then answers 503, so a scrape that lands before the
    /// exporter has anything to say records `up 0`, not `up 1` with no series.
    var isSnapshot = true
}

/// Every response the server can give, rendered with the configured extra headers: the metrics in
/// both formats, plain and gzipped (compressed here, once per snapshot), and the fixed answers.
struct ResponseSet: Sendable {
    var metrics: [MetricsVariant: CachedResponse]
    var landingPage: CachedResponse
    var healthz: CachedResponse
    var notFound: CachedResponse
    var methodNotAllowed: CachedResponse
    var tooManyRequests: CachedResponse
    var notReady: CachedResponse
    /// exporter-toolkit's answer: `WWW-Authenticate: Basic` and no detail of what was wrong.
    var unauthorized: CachedResponse

    init(_ inputs: PublishedInputs, extraHeaders: [HTTPHeaderField]) {
        let extra = extraHeaders.map { ($0.name, $0.value) }
        var metrics: [MetricsVariant: CachedResponse] = [:]
        for format in [ExpositionFormat.prometheusText, .openMetrics] {
            let body = format == .openMetrics ? inputs.openMetricsText : inputs.prometheusText
            let headers = [("Content-Type", format.contentType), ("Vary", "Accept, Accept-Encoding")] + extra
            metrics[MetricsVariant(openMetrics: format == .openMetrics, gzip: false)] = CachedResponse(body: body, headers: headers)
            metrics[MetricsVariant(openMetrics: format == .openMetrics, gzip: true)] = CachedResponse(
                body: Gzip.compress(body), headers: headers + [("Content-Encoding", "gzip")])
        }
        self.metrics = metrics
        landingPage = CachedResponse(body: inputs.landingPage, headers: [("Content-Type", "text/html; charset=utf-8")] + extra)
        healthz = CachedResponse(text: "ok\n", headers: extra)
        notFound = CachedResponse(text: "404 page not found\n", headers: extra)
        methodNotAllowed = CachedResponse(text: "405 method not allowed\n", headers: [("Allow", "GET, HEAD")] + extra)
        tooManyRequests = CachedResponse(
            text: "503 too many concurrent scrapes; raise --web.max-requests or scrape less often\n",
            headers: [("Retry-After", "1")] + extra)
        notReady = CachedResponse(
            text: "503 no metrics yet: the exporter is starting\n", headers: [("Retry-After", "1")] + extra)
        unauthorized = CachedResponse(text: "Unauthorized\n", headers: [("WWW-Authenticate", "Basic")] + extra)
    }

    func releaseAll() {
        for response in metrics.values { response.release() }
        for response in [landingPage, healthz, notFound, methodNotAllowed, tooManyRequests, notReady, unauthorized] { response.release() }
    }
}

struct MetricsVariant: Hashable, Sendable {
    var openMetrics: Bool
    var gzip: Bool
}
