import NIOCore
import NIOEmbedded
import Testing

@testable import RuntimeReader

/// The frame filter under the HTTP/2 stack: PING requests answered, every other byte passed on.
@Suite("ServerPingResponder")
struct ServerPingResponderTests {
    static func frame(type: UInt8, flags: UInt8 = 0, stream: UInt32 = 0, payload: [UInt8]) -> [UInt8] {
        let length = payload.count
        return [UInt8(length >> 16 & 0xff), UInt8(length >> 8 & 0xff), UInt8(length & 0xff), type, flags]
            + withUnsafeBytes(of: stream.bigEndian, Array.init) + payload
    }
    static let settings = frame(type: 0x4, payload: [0, 3, 0, 0, 0, 100])
    static let ping = frame(type: 0x6, payload: [1, 2, 3, 4, 5, 6, 7, 8])
    static let pingAck = frame(type: 0x6, flags: 0x1, payload: [1, 2, 3, 4, 5, 6, 7, 8])
    static let data = frame(type: 0x0, flags: 0x1, stream: 1, payload: Array(repeating: 0xab, count: 2_000))
    static let headers = frame(type: 0x1, flags: 0x4, stream: 3, payload: Array("grpc-status: 0".utf8))

    /// Feeds `input` in chunks of `chunk` bytes; returns what went up the pipeline and what was written back.
    static func run(_ input: [UInt8], chunk: Int) throws -> (passed: [UInt8], written: [UInt8], answered: Int) {
        let responder = ServerPingResponder()
        let channel = EmbeddedChannel(handler: responder)
        var offset = 0
        while offset < input.count {
            let end = min(offset + chunk, input.count)
            try channel.writeInbound(ByteBuffer(bytes: input[offset..<end]))
            offset = end
        }
        var passed: [UInt8] = []
        while var buffer = try channel.readInbound(as: ByteBuffer.self) { passed += buffer.readBytes(length: buffer.readableBytes)! }
        var written: [UInt8] = []
        while var buffer = try channel.readOutbound(as: ByteBuffer.self) { written += buffer.readBytes(length: buffer.readableBytes)! }
        let answered = responder.answeredPings
        _ = try channel.finish()
        return (passed, written, answered)
    }

    @Test(arguments: [1, 2, 7, 9, 16, 17, 100, 1_500, 1 << 20])
    func pingsAreAnsweredAndEverythingElsePassesUnchanged(chunk: Int) throws {
        let stream = Self.settings + Self.ping + Self.headers + Self.data + Self.ping + Self.pingAck + Self.ping
        let result = try Self.run(stream, chunk: chunk)
        #expect(result.passed == Self.settings + Self.headers + Self.data + Self.pingAck)
        #expect(result.written == Self.pingAck + Self.pingAck + Self.pingAck)
        #expect(result.answered == 3)
    }

    /// A PING with the wrong length is a protocol error for the HTTP/2 stack to report, not for this filter.
    @Test func malformedPingIsLeftToTheHTTP2Stack() throws {
        let odd = Self.frame(type: 0x6, payload: [1, 2, 3])
        let result = try Self.run(Self.settings + odd + Self.headers, chunk: 5)
        #expect(result.passed == Self.settings + odd + Self.headers)
        #expect(result.written.isEmpty)
    }

    @Test func incompleteTrailingFrameIsHeldNotDropped() throws {
        let result = try Self.run(Self.settings + Array(Self.ping.prefix(12)), chunk: 4)
        #expect(result.passed == Self.settings)
        #expect(result.written.isEmpty)
    }
}
