import NIOCore
import Synchronization

/// Bytes of one connection that the kernel accepted (the write succeeded), as opposed to bytes
/// merely queued in the channel: the only honest measure of how much a client could have read.
final class ConnectionByteTally: Sendable {
    private let written = Atomic<Int>(0)

    var bytesWritten: Int { written.load(ordering: .relaxed) }

    func add(_ count: Int) {
        written.add(count, ordering: .relaxed)
    }
}

/// Sits next to the socket and counts each write once it succeeds.
final class SocketWriteCounter: ChannelOutboundHandler {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let connection: ConnectionByteTally
    private let state: FakeKubeletState

    init(connection: ConnectionByteTally, state: FakeKubeletState) {
        self.connection = connection
        self.state = state
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let count = unwrapOutboundIn(data).readableBytes
        let promise = promise ?? context.eventLoop.makePromise()
        let connection = self.connection
        let state = self.state
        promise.futureResult.whenSuccess {
            connection.add(count)
            state.addBytesWritten(count)
        }
        context.write(data, promise: promise)
    }
}
