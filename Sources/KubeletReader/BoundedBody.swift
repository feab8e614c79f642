import AsyncHTTPClient
import Foundation
import NIOCore

/// Collects a response body up to a limit, refusing a bigger one as soon as it is known to be
/// bigger: from `Content-Length` before reading anything, or, for a chunked body, at the first
/// chunk past the limit. Leaving the loop early drops the stream, which makes the client close
/// the connection, so the rest is never read.
enum BoundedBody {
    static func collect(
        _ body: HTTPClientResponse.Body, declaredLength: Int?, limitBytes: Int, url: String
    ) async throws -> Data {
        if let declaredLength, declaredLength > limitBytes {
            throw KubeletReaderError.bodyTooLarge(url: url, limitBytes: limitBytes)
        }
        var data = Data()
        data.reserveCapacity(min(declaredLength ?? 0, limitBytes))
        for try await chunk in body {
            guard data.count + chunk.readableBytes <= limitBytes else {
                throw KubeletReaderError.bodyTooLarge(url: url, limitBytes: limitBytes)
            }
            data.append(contentsOf: chunk.readableBytesView)
        }
        // A cancelled stream can end like a complete one; never hand a partial body on.
        try Task.checkCancellation()
        return data
    }
}

/// The human part of an error answer: `Status.message` when the body is a Kubernetes `Status`
/// (the API server's shape), else the body as text (the kubelet's own 401/403 are plain text,
/// e.g. `Forbidden (user=..., verb=get, resource=nodes, subresource(s)=[proxy])`).
enum StatusMessage {
    /// Bytes read from an error body at most; the rest is dropped with the connection.
    static let readLimitBytes = 64 << 10
    /// Characters kept in the error message.
    static let messageLimit = 300

    static func read(from body: HTTPClientResponse.Body) async -> String? {
        var bytes: [UInt8] = []
        do {
            for try await chunk in body {
                bytes += chunk.readableBytesView.prefix(readLimitBytes - bytes.count)
                if bytes.count >= readLimitBytes { break }
            }
        } catch {
            // The status is the error; a body cut short still yields what arrived.
        }
        return message(from: bytes)
    }

    static func message(from bytes: [UInt8]) -> String? {
        struct Status: Decodable {
            var kind: String?
            var message: String?
        }
        var text: String
        if let status = try? JSONDecoder().decode(Status.self, from: Data(bytes)), let message = status.message {
            text = message
        } else {
            text = String(decoding: bytes, as: UTF8.self)
        }
        // One log line: control characters (line breaks included) become spaces.
        text = text.split(whereSeparator: { $0.unicodeScalars.allSatisfy { $0.properties.generalCategory == .control } })
            .joined(separator: " ")
            .trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { return nil }
        if text.count > messageLimit { text = String(text.prefix(messageLimit)) + "..." }
        return text
    }
}
