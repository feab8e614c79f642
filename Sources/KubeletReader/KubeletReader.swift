import AsyncHTTPClient
import Foundation
import Model
import NIOCore
import NIOSSL

/// Reads `GET {url}/pods` from the kubelet and decodes it into a ``Model/KubeletSnapshot``.
///
/// Holds one long-lived `HTTPClient` (its connections are reused between refreshes); call
/// ``shutdown()`` once when done: async-http-client traps in debug builds when a client is
/// released without it. Safe to share between tasks. Every request reads the token
/// file and the CA file again, so a rotated token or a replaced CA is used at the next read.
public final class KubeletReader: Sendable {
    public let configuration: KubeletReaderConfiguration
    private let client: HTTPClient
    private let podsURL: String
    private let usesTLS: Bool
    private let tokenFile: TokenFile?
    private let caFile: CAFile?

    /// Checks the URL (the files are only read by ``readPods()``, where a failure is an error of
    /// that read, not of the exporter's start).
    public init(configuration: KubeletReaderConfiguration) throws(KubeletReaderError) {
        let podsURL = configuration.podsURL
        let scheme = try Self.checkedScheme(of: configuration.url)
        guard configuration.timeoutSeconds > 0, configuration.timeoutSeconds.isFinite else {
            throw .invalidURL(url: configuration.url, reason: "timeout must be positive")
        }
        guard configuration.maxBodyBytes > 0 else {
            throw .invalidURL(url: configuration.url, reason: "max body bytes must be positive")
        }
        self.configuration = configuration
        self.podsURL = podsURL
        self.usesTLS = scheme == "https"
        self.tokenFile = configuration.tokenFile.map(TokenFile.init(path:))
        self.caFile = configuration.caFile.map(CAFile.init(path:))

        let timeout = TimeAmount.nanoseconds(Int64(configuration.timeoutSeconds * 1e9))
        var clientConfiguration = HTTPClient.Configuration(
            redirectConfiguration: .disallow,  // a redirect would carry the bearer token elsewhere
            timeout: .init(connect: timeout, read: timeout),
            decompression: .disabled)
        // One local kubelet, read periodically: fail this refresh at once with the real cause
        // (refused, TLS) instead of retrying until the deadline and reporting only "timed out".
        clientConfiguration.connectionPool.retryConnectionEstablishment = false
        clientConfiguration.connectionPool.concurrentHTTP1ConnectionsPerHostSoftLimit = 2
        clientConfiguration.httpVersion = .http1Only
        self.client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: clientConfiguration)
    }

    /// The URL's scheme (https or http), once it is known to name a host. Read by hand: Foundation's
    /// URL parsing runs host names through ICU's IDNA tables, which kept megabytes of ICU's data
    /// resident for a check made once.
    public static func checkedScheme(of url: String) throws(KubeletReaderError) -> String {
        guard let separator = url.range(of: "://"), !url.contains(where: \.isWhitespace) else {
            throw .invalidURL(url: url, reason: "not a URL")
        }
        let scheme = url[..<separator.lowerBound].lowercased()
        guard scheme == "https" || scheme == "http" else {
            throw .invalidURL(url: url, reason: "scheme must be https or http, not \(scheme)")
        }
        let authority = url[separator.upperBound...].prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let hostAndPort = authority.split(separator: "@", omittingEmptySubsequences: false).last ?? ""
        let host: Substring
        let afterHost: Substring
        if hostAndPort.hasPrefix("[") {
            // An IPv6 literal: up to its closing bracket, which must be there.
            guard let close = hostAndPort.firstIndex(of: "]") else { throw .invalidURL(url: url, reason: "no host") }
            host = hostAndPort[hostAndPort.index(after: hostAndPort.startIndex)..<close]
            afterHost = hostAndPort[hostAndPort.index(after: close)...]
        } else {
            host = hostAndPort.prefix { $0 != ":" }
            afterHost = hostAndPort[host.endIndex...]
        }
        guard !host.isEmpty else { throw .invalidURL(url: url, reason: "no host") }
        guard afterHost.isEmpty || (afterHost.first == ":" && afterHost.dropFirst().allSatisfy(\.isASCII) && afterHost.dropFirst().allSatisfy(\.isNumber))
        else { throw .invalidURL(url: url, reason: "the port must be a number") }
        return scheme
    }

    /// Fetches and decodes the pods the kubelet runs. Completes (with a value or an error)
    /// within ``KubeletReaderConfiguration/timeoutSeconds`` plus scheduling slack.
    public func readPods() async throws(KubeletReaderError) -> KubeletSnapshot {
        // Decoded every time: the real kubelet lists pods from a Go map, so the same pods come in
        // another order on each request and an "unchanged body" shortcut (tried) almost never
        // applied, while it kept a copy of the last body (megabytes on a large node).
        let body = try await fetchPodsBody()
        do {
            return try PodListDecoder.decode(body)
        } catch {
            throw .malformedJSON(url: podsURL, reason: error.description)
        }
    }

    /// The raw `/pods` body (200 only, at most ``KubeletReaderConfiguration/maxBodyBytes``).
    public func fetchPodsBody() async throws(KubeletReaderError) -> Data {
        let request = try makeRequest()
        let seconds = configuration.timeoutSeconds
        let url = podsURL
        do {
            return try await withThrowingTaskGroup(of: Data?.self) { group in
                group.addTask { try await self.exchange(request) }
                group.addTask {
                    try await Task.sleep(for: .seconds(seconds))
                    return nil
                }
                defer { group.cancelAll() }
                // The HTTPClient deadline stops at the response head; this one also covers a body
                // that trickles in more slowly than the read timeout.
                guard let first = try await group.next(), let body = first else {
                    throw KubeletReaderError.timeout(url: url, seconds: seconds)
                }
                return body
            }
        } catch {
            throw HTTPErrorClassifier(url: url, timeoutSeconds: seconds).classify(error)
        }
    }

    /// Closes the connections and releases the client. Call once; the reader is unusable after.
    public func shutdown() async throws {
        try await client.shutdown()
    }

    private func makeRequest() throws(KubeletReaderError) -> HTTPClientRequest {
        var request = HTTPClientRequest(url: podsURL)
        request.method = .GET
        request.headers.add(name: "Accept", value: "application/json")
        if let tokenFile {
            request.headers.add(name: "Authorization", value: "Bearer \(try tokenFile.read())")
        }
        if usesTLS {
            var tls = TLSConfiguration.makeClientConfiguration()
            tls.minimumTLSVersion = .tlsv12
            switch configuration.certificateVerification {
            case .full: tls.certificateVerification = .fullVerification
            case .noHostnameVerification: tls.certificateVerification = .noHostnameVerification
            case .insecureSkipVerify: tls.certificateVerification = .none
            }
            if let caFile {
                tls.trustRoots = .certificates(try caFile.certificates())
            }
            request.tlsConfiguration = tls
        }
        return request
    }

    /// One request: the body when the status is 200, else the matching error.
    private func exchange(_ request: HTTPClientRequest) async throws -> Data {
        let timeout = TimeAmount.nanoseconds(Int64(configuration.timeoutSeconds * 1e9))
        let response = try await client.execute(request, timeout: timeout)
        guard response.status.code == 200 else {
            let message = await StatusMessage.read(from: response.body)
            throw statusError(Int(response.status.code), message: message)
        }
        return try await BoundedBody.collect(
            response.body, declaredLength: response.headers.first(name: "content-length").flatMap { Int($0) },
            limitBytes: configuration.maxBodyBytes, url: podsURL)
    }

    private func statusError(_ status: Int, message: String?) -> KubeletReaderError {
        switch status {
        case 401: .unauthorized(url: podsURL, message: message)
        case 403: .forbidden(url: podsURL, message: message)
        case 500...599: .serverError(url: podsURL, status: status, message: message)
        default: .unexpectedStatus(url: podsURL, status: status, message: message)
        }
    }
}
