import NIOCore

/// Answers the runtime's HTTP/2 PING frames below the HTTP/2 stack, so they never reach it.
///
/// containerd's CRI server is grpc-go, which estimates bandwidth-delay product by sending a PING
/// for each DATA frame it receives while no such PING is outstanding: about one PING per call for
/// a client that makes calls one after another. swift-nio-http2 1.46 treats more than 200 inbound
/// PING/SETTINGS frames in 30 s as a denial-of-service attempt and closes the connection
/// (`ExcessiveControlFrames`), failing every call on it with "Stream unexpectedly closed"; and
/// grpc-swift-nio-transport 2.9 gives a client no way to raise that limit. So 200 ContainerStatus
/// calls in a burst (a node with a few hundred containers when crisync starts) or 7 calls a second
/// sustained would cut crisync off from the runtime it watches.
///
/// The HTTP/2 stack above would only acknowledge these PINGs; this handler sends the same ACK
/// (RFC 9113 §6.7) itself and passes every other frame through unchanged, byte for byte. It sits
/// directly on the plaintext unix-socket connection (CRI has no TLS) and relies on nothing but
/// the frame header layout: 24-bit length, type, flags, stream ID.
final class ServerPingResponder: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private static let frameHeaderLength = 9
    private static let pingType: UInt8 = 0x6
    private static let ackFlag: UInt8 = 0x1
    private static let pingPayloadLength = 8

    /// Bytes of the current (non-PING) frame still to pass through.
    private var passThroughRemaining = 0
    /// The start of a frame whose header or PING payload has not fully arrived yet.
    private var partial: ByteBuffer?
    /// PINGs answered here (for tests).
    private(set) var answeredPings = 0

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var input = unwrapInboundIn(data)
        if var partial = partial.take() {
            partial.writeBuffer(&input)
            input = partial
        }
        while input.readableBytes > 0 {
            if passThroughRemaining > 0 {
                let length = min(passThroughRemaining, input.readableBytes)
                passThroughRemaining -= length
                context.fireChannelRead(wrapInboundOut(input.readSlice(length: length)!))
                continue
            }
            guard let header = input.getBytes(at: input.readerIndex, length: Self.frameHeaderLength) else { break }
            let payloadLength = Int(header[0]) << 16 | Int(header[1]) << 8 | Int(header[2])
            let isPingRequest =
                header[3] == Self.pingType && header[4] & Self.ackFlag == 0 && payloadLength == Self.pingPayloadLength
            guard isPingRequest else {
                passThroughRemaining = Self.frameHeaderLength + payloadLength
                continue
            }
            guard input.readableBytes >= Self.frameHeaderLength + Self.pingPayloadLength else { break }
            input.moveReaderIndex(forwardBy: Self.frameHeaderLength)
            let opaque = input.readSlice(length: Self.pingPayloadLength)!
            context.writeAndFlush(wrapOutboundOut(Self.pingAck(opaque, allocator: context.channel.allocator)), promise: nil)
            answeredPings += 1
        }
        if input.readableBytes > 0 { partial = input }
    }

    /// A PING frame with the ACK flag and the request's opaque data, on stream 0.
    static func pingAck(_ opaque: ByteBuffer, allocator: ByteBufferAllocator) -> ByteBuffer {
        var frame = allocator.buffer(capacity: frameHeaderLength + pingPayloadLength)
        frame.writeBytes([0, 0, UInt8(pingPayloadLength), pingType, ackFlag, 0, 0, 0, 0])
        frame.writeImmutableBuffer(opaque)
        return frame
    }
}
