import Foundation
import Model
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import Synchronization

/// A stand-in for the kubelet's HTTP(S) API (the real kubelet cannot run on these machines):
/// serves `GET /pods` on a real socket, bound to `127.0.0.1` on a free port, and can misbehave on
/// demand (see ``FakeKubeletMode``). Call ``stop()`` when done.
public final class FakeKubelet: Sendable {
    typealias Connection = NIOAsyncChannel<HTTPServerRequestPart, HTTPServerResponsePart>
    typealias CountedConnection = (channel: Connection, tally: ConnectionByteTally)

    /// The bound port.
    public let port: Int
    public let usesTLS: Bool
    private let state: FakeKubeletState
    private let serverChannel: NIOAsyncChannel<CountedConnection, Never>
    private let acceptLoop: Task<Void, Never>

    /// `https://127.0.0.1:<port>` or `http://...`: the reader's base URL.
    public var url: String { "\(usesTLS ? "https" : "http")://127.0.0.1:\(port)" }

    /// Starts serving. With `scenarioSource`, each request asks it for the scenario (the
    /// `fake-kubelet` executable reads its files there; a thrown error becomes a 500) and the
    /// setters below have no effect.
    public static func start(
        tls: FakeKubeletTLS? = nil, host: String = "127.0.0.1", port: Int = 0,
        scenarioSource: (@Sendable () throws -> FakeKubeletScenario)? = nil
    ) async throws -> FakeKubelet {
        let sslContext = try tls.map { tls in
            let configuration = TLSConfiguration.makeServerConfiguration(
                certificateChain: try NIOSSLCertificate.fromPEMFile(tls.certificateChainPath).map { .certificate($0) },
                privateKey: .privateKey(try NIOSSLPrivateKey(file: tls.privateKeyPath, format: .pem)))
            return try NIOSSLContext(configuration: configuration)
        }
        let state = FakeKubeletState(source: scenarioSource)
        let serverChannel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            // A fixed, small send buffer keeps "bytes written" close to "bytes the client read".
            .childChannelOption(.socketOption(.so_sndbuf), value: 256 << 10)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    let tally = ConnectionByteTally()
                    try channel.pipeline.syncOperations.addHandler(SocketWriteCounter(connection: tally, state: state))
                    if let sslContext {
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: sslContext))
                    }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline()
                    return (channel: try Connection(wrappingChannelSynchronously: channel), tally: tally)
                }
            }
        guard let boundPort = serverChannel.channel.localAddress?.port else {
            try? await serverChannel.channel.close()
            throw FakeKubeletError("bound socket has no port")
        }
        let acceptLoop = Task<Void, Never> {
            try? await serverChannel.executeThenClose { inbound in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await connection in inbound {
                        group.addTask { await FakeKubeletResponder(state: state, connection: connection).serve(connection.channel) }
                    }
                }
            }
        }
        return FakeKubelet(
            port: boundPort, usesTLS: tls != nil, state: state, serverChannel: serverChannel, acceptLoop: acceptLoop)
    }

    private init(
        port: Int, usesTLS: Bool, state: FakeKubeletState, serverChannel: NIOAsyncChannel<CountedConnection, Never>,
        acceptLoop: Task<Void, Never>
    ) {
        self.port = port
        self.usesTLS = usesTLS
        self.state = state
        self.serverChannel = serverChannel
        self.acceptLoop = acceptLoop
    }

    /// Stops accepting, ends every open connection (and any pending slow answer), and waits.
    public func stop() async {
        acceptLoop.cancel()
        try? await serverChannel.channel.close()
        await acceptLoop.value
    }

    /// Serves these pods, encoded as the kubelet would (``KubeletPodListEncoder``).
    public func setPods(_ pods: [KubeletPod]) {
        state.rotate([])
        state.update { $0.podListBody = KubeletPodListEncoder.encode(pods) }
    }

    /// Serves these exact bytes as the `/pods` body.
    public func setPodListBody(_ body: [UInt8]) {
        state.rotate([])
        state.update { $0.podListBody = body }
    }

    /// Serves these bodies in turn, one per request. The real kubelet lists its pods from a Go map
    /// (`podManager.GetPods`), so the order of `items` changes from one request to the next: the
    /// same pods in several orders stand in for that.
    public func setPodListBodies(_ bodies: [[UInt8]]) {
        state.rotate(bodies)
    }

    public func setMode(_ mode: FakeKubeletMode) {
        state.update { $0.mode = mode }
    }

    /// nil accepts any request; otherwise only `Authorization: Bearer <token>`.
    public func setRequiredToken(_ token: String?) {
        state.update { $0.requiredToken = token }
    }

    /// Every request received so far, oldest first.
    public var requests: [FakeKubeletRequest] { state.requests }

    /// Bytes the kernel accepted on all connections so far (heads, bodies, TLS records): bounds
    /// how much of a huge body a client can have read before it hung up.
    public var bytesWritten: Int { state.bytesWritten }
}

public struct FakeKubeletError: Error, CustomStringConvertible {
    public var description: String

    init(_ description: String) {
        self.description = "fake kubelet: \(description)"
    }
}

/// Mutable state shared by the fake's connections.
final class FakeKubeletState: Sendable {
    private struct Values {
        var scenario = FakeKubeletScenario()
        var requests: [FakeKubeletRequest] = []
        var bytesWritten = 0
        /// Bodies served in turn (``FakeKubelet/setPodListBodies(_:)``), and how many were served.
        var rotation: [[UInt8]] = []
        var served = 0
    }

    private let values = Mutex(Values())
    private let source: (@Sendable () throws -> FakeKubeletScenario)?

    init(source: (@Sendable () throws -> FakeKubeletScenario)?) {
        self.source = source
    }

    func update(_ change: (inout FakeKubeletScenario) -> Void) {
        values.withLock { change(&$0.scenario) }
    }

    func scenario() throws -> FakeKubeletScenario {
        if let source { return try source() }
        return values.withLock { values in
            var scenario = values.scenario
            if !values.rotation.isEmpty {
                scenario.podListBody = values.rotation[values.served % values.rotation.count]
                values.served += 1
            }
            return scenario
        }
    }

    func rotate(_ bodies: [[UInt8]]) {
        values.withLock {
            $0.rotation = bodies
            $0.served = 0
        }
    }

    func record(_ request: FakeKubeletRequest) {
        values.withLock { $0.requests.append(request) }
    }

    func addBytesWritten(_ count: Int) {
        values.withLock { $0.bytesWritten += count }
    }

    var requests: [FakeKubeletRequest] { values.withLock { $0.requests } }
    var bytesWritten: Int { values.withLock { $0.bytesWritten } }
}
