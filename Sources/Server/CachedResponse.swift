import CMicroHTTPD

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

    init(text: String, contentType: String = "text/plain; charset=utf-8", extraHeaders: [(String, String)] = []) {
        self.init(body: Array(text.utf8), headers: [("Content-Type", contentType)] + extraHeaders)
    }

    /// Drops this holder's reference; connections still sending it keep theirs.
    func release() {
        MHD_destroy_response(pointer)
    }
}

/// The responses of one published snapshot: the metrics in both formats, plain and gzipped, and the landing page.
struct PublishedResponses: Sendable {
    var metrics: [MetricsVariant: CachedResponse]
    var landingPage: CachedResponse

    func releaseAll() {
        for response in metrics.values { response.release() }
        landingPage.release()
    }
}

struct MetricsVariant: Hashable, Sendable {
    var openMetrics: Bool
    var gzip: Bool
}
