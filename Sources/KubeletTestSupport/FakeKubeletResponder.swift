import Foundation
import NIOCore
import NIOHTTP1

/// Answers the requests of one connection according to the current scenario.
struct FakeKubeletResponder {
    typealias Outbound = NIOAsyncChannelOutboundWriter<HTTPServerResponsePart>

    let state: FakeKubeletState
    let tally: ConnectionByteTally
    let channel: any Channel

    /// Size of each write of a streamed body.
    static let chunkBytes = 64 << 10
    /// Bytes a streamed body may run ahead of what the socket took. The async writer learns of
    /// backpressure late, so without this a huge body would pile up in the fake's memory.
    static let maxQueuedBytes = 1 << 20

    /// The API server's answer to a missing or bad token.
    static let unauthorizedBody = Array(
        #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"Unauthorized","reason":"Unauthorized","code":401}"#
            .utf8)
    /// The kubelet's own answer when the token's user lacks `nodes/proxy`.
    static let forbiddenBody = Array(
        "Forbidden (user=system:serviceaccount:monitoring:crisync, verb=get, resource=nodes, subresource(s)=[proxy])\n"
            .utf8)
    static let serverErrorBody = Array(
        #"{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure","message":"fake-kubelet: injected internal error","reason":"InternalError","code":500}"#
            .utf8)
    static let garbageBody = Array("<html><body>502 Bad Gateway</body></html>\u{0}\u{7}not json at all {[".utf8)

    init(state: FakeKubeletState, connection: FakeKubelet.CountedConnection) {
        self.state = state
        self.tally = connection.tally
        self.channel = connection.channel.channel
    }

    func serve(_ connection: FakeKubelet.Connection) async {
        try? await connection.executeThenClose { inbound, outbound in
            var head: HTTPRequestHead?
            for try await part in inbound {
                switch part {
                case .head(let requestHead):
                    head = requestHead
                case .body:
                    continue
                case .end:
                    guard let requestHead = head else { continue }
                    head = nil
                    let keepOpen = try await respond(to: requestHead, outbound)
                    guard keepOpen, requestHead.isKeepAlive else { return }
                }
            }
        }
    }

    /// Writes one answer; false when the connection must be closed after it.
    private func respond(to head: HTTPRequestHead, _ outbound: Outbound) async throws -> Bool {
        state.record(
            FakeKubeletRequest(method: head.method.rawValue, uri: head.uri, authorization: head.headers.first(name: "authorization")))
        let scenario: FakeKubeletScenario
        do {
            scenario = try state.scenario()
        } catch {
            try await send(
                status: .internalServerError, body: Array("fake-kubelet: \(error)\n".utf8), contentType: "text/plain", outbound)
            return true
        }
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        guard head.method == .GET, path == "/pods" || path == "/pods/" else {
            try await send(status: .notFound, body: Array("404 page not found\n".utf8), contentType: "text/plain", outbound)
            return true
        }
        if let token = scenario.requiredToken, head.headers.first(name: "authorization") != "Bearer \(token)" {
            try await send(status: .unauthorized, body: Self.unauthorizedBody, outbound)
            return true
        }
        let body = scenario.podListBody
        switch scenario.mode {
        case .ok:
            try await send(status: .ok, body: body, outbound)
        case .unauthorized:
            try await send(status: .unauthorized, body: Self.unauthorizedBody, outbound)
        case .forbidden:
            try await send(status: .forbidden, body: Self.forbiddenBody, contentType: "text/plain; charset=utf-8", outbound)
        case .serverError:
            try await send(status: .internalServerError, body: Self.serverErrorBody, outbound)
        case .slowHead(let delay):
            try await Task.sleep(for: delay)
            try await send(status: .ok, body: body, outbound)
        case .slowBody(let delay):
            try await outbound.write(.head(responseHead(.ok, contentLength: body.count)))
            try await writeBody(body.prefix(body.count / 2), outbound)
            try await Task.sleep(for: delay)
            try await writeBody(body.dropFirst(body.count / 2), outbound)
            try await outbound.write(.end(nil))
        case .trickle(let pause):
            try await outbound.write(.head(responseHead(.ok, contentLength: body.count)))
            for start in stride(from: 0, to: body.count, by: 16) {
                try await writeBody(body[start..<min(start + 16, body.count)], outbound)
                try await Task.sleep(for: pause)
            }
            try await outbound.write(.end(nil))
        case .garbage:
            try await send(status: .ok, body: Self.garbageBody, outbound)
        case .truncated:
            try await send(status: .ok, body: Array(body.prefix(body.count / 2)), outbound)
        case .droppedMidBody:
            try await outbound.write(.head(responseHead(.ok, contentLength: body.count)))
            try await writeBody(body.prefix(body.count / 2), outbound)
            return false
        case .huge(let bytes, let declaresLength):
            try await sendHuge(bytes: bytes, declaresLength: declaresLength, outbound)
        }
        return true
    }

    private func responseHead(_ status: HTTPResponseStatus, contentLength: Int?, contentType: String = "application/json")
        -> HTTPResponseHead
    {
        var headers = HTTPHeaders([("Content-Type", contentType)])
        if let contentLength {
            headers.add(name: "Content-Length", value: String(contentLength))
        } else {
            headers.add(name: "Transfer-Encoding", value: "chunked")
        }
        return HTTPResponseHead(version: .http1_1, status: status, headers: headers)
    }

    private func send(
        status: HTTPResponseStatus, body: [UInt8], contentType: String = "application/json", _ outbound: Outbound
    ) async throws {
        try await outbound.write(.head(responseHead(status, contentLength: body.count, contentType: contentType)))
        try await writeBody(body[...], outbound)
        try await outbound.write(.end(nil))
    }

    private func writeBody(_ bytes: ArraySlice<UInt8>, _ outbound: Outbound) async throws {
        var offset = bytes.startIndex
        while offset < bytes.endIndex {
            let end = min(offset + Self.chunkBytes, bytes.endIndex)
            try await outbound.write(.body(.byteBuffer(ByteBuffer(bytes: bytes[offset..<end]))))
            offset = end
        }
    }

    /// A valid empty PodList of exactly `bytes` bytes (when `bytes` is at least its minimal
    /// size): a reader with a big enough limit decodes it, so a refusal proves the limit works.
    private func sendHuge(bytes: Int, declaresLength: Bool, _ outbound: Outbound) async throws {
        let prefix = Array(#"{"apiVersion":"v1","kind":"PodList","metadata":{},"items":["#.utf8)
        let suffix = Array("]}".utf8)
        try await outbound.write(.head(responseHead(.ok, contentLength: declaresLength ? bytes : nil)))
        try await writeBody(prefix[...], outbound)
        let padding = ByteBuffer(repeating: UInt8(ascii: " "), count: Self.chunkBytes)
        var remaining = bytes - prefix.count - suffix.count
        var queued = tally.bytesWritten
        while remaining > 0 {
            try Task.checkCancellation()
            let count = min(remaining, Self.chunkBytes)
            try await outbound.write(.body(.byteBuffer(padding.getSlice(at: 0, length: count) ?? padding)))
            queued += count
            remaining -= count
            while queued - tally.bytesWritten > Self.maxQueuedBytes {
                guard channel.isActive else { throw FakeKubeletError("client hung up") }
                try await Task.sleep(for: .milliseconds(1))
            }
        }
        try await writeBody(suffix[...], outbound)
        try await outbound.write(.end(nil))
    }
}
