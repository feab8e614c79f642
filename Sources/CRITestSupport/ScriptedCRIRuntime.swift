import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import RuntimeReader
import SwiftProtobuf
import Synchronization

/// A CRI server on a unix socket whose answers the test sets, for what the lab's containerd 1.6
/// cannot be made to do on demand: one container's `ContainerStatus` failing, a malformed info JSON,
/// and a `GetContainerEvents` stream (1.6 does not implement it). It speaks real gRPC over HTTP/2,
/// so the client under test runs exactly as against a runtime. Methods it has no answer for are
/// UNIMPLEMENTED, as a runtime's would be.
public final class ScriptedCRIRuntime: Sendable {
    /// What the runtime answers. Change it at any time with `update`.
    public struct Script: Sendable {
        public var version = Runtime_V1_VersionResponse()
        public var conditions: [Runtime_V1_RuntimeCondition] = []
        public var sandboxes: [Runtime_V1_PodSandbox] = []
        public var containers: [Runtime_V1_Container] = []
        /// `ContainerStatus` answers by container ID; an ID missing here is NOT_FOUND.
        public var statuses: [String: Result<Runtime_V1_ContainerStatusResponse, RPCError>] = [:]
        /// False: `GetContainerEvents` is UNIMPLEMENTED (containerd 1.6).
        public var eventsImplemented = false
        /// When set, `Version` and `Status` fail with it.
        public var runtimeInfoError: RPCError?

        public init() {}
    }

    public let socketPath: String
    private let state: State
    private let server: GRPCServer<HTTP2ServerTransport.Posix>
    private let serving: Task<Void, Never>

    /// Starts serving on a fresh socket under /tmp; returns once the socket is listening.
    public init(script: Script = Script()) async throws {
        socketPath = "/tmp/crisync-scripted-\(UUID().uuidString.prefix(12)).sock"
        state = State(script: script)
        let transport = HTTP2ServerTransport.Posix(
            address: .unixDomainSocket(path: socketPath), transportSecurity: .plaintext)
        let service = Service(state: state)
        let server = GRPCServer(transport: transport, services: [service])
        self.server = server
        serving = Task { try? await server.serve() }
        _ = try await transport.listeningAddress
    }

    /// Stops serving and removes the socket.
    public func stop() async {
        for subscriber in state.subscribers.withLock({ $0.values }) { subscriber.finish() }
        server.beginGracefulShutdown()
        serving.cancel()
        await serving.value
        unlink(socketPath)
    }

    public func update(_ change: (inout Script) -> Void) {
        state.script.withLock { change(&$0) }
    }

    /// Calls the runtime answered (or refused), per method: the server's side of the client's counters.
    public var callCounts: CRICallCounts { state.calls.withLock { $0 } }

    /// Sends an event to every open `GetContainerEvents` stream.
    public func emit(_ event: Runtime_V1_ContainerEventResponse) {
        for subscriber in state.subscribers.withLock({ $0.values }) { subscriber.yield(event) }
    }

    /// How many `GetContainerEvents` streams are open now (so a test can emit once a client listens).
    public var openEventStreams: Int { state.subscribers.withLock { $0.count } }

    /// What the handlers share with the test.
    private final class State: Sendable {
        let script: Mutex<Script>
        let calls = Mutex(CRICallCounts())
        let subscribers = Mutex<[UUID: AsyncStream<Runtime_V1_ContainerEventResponse>.Continuation]>([:])

        init(script: Script) {
            self.script = Mutex(script)
        }
    }

    private struct Service: RegistrableRPCService {
        let state: State

        func registerMethods<Transport: ServerTransport>(with router: inout RPCRouter<Transport>) {
            typealias Method = Runtime_V1_RuntimeService.Method
            let state = self.state
            unary(&router, Method.Version.descriptor, .version) { (_: Runtime_V1_VersionRequest) in
                let script = state.script.withLock { $0 }
                if let error = script.runtimeInfoError { throw error }
                return script.version
            }
            unary(&router, Method.Status.descriptor, .status) { (_: Runtime_V1_StatusRequest) in
                if let error = state.script.withLock({ $0.runtimeInfoError }) { throw error }
                var response = Runtime_V1_StatusResponse()
                response.status.conditions = state.script.withLock { $0.conditions }
                return response
            }
            unary(&router, Method.ListPodSandbox.descriptor, .listPodSandbox) { (_: Runtime_V1_ListPodSandboxRequest) in
                var response = Runtime_V1_ListPodSandboxResponse()
                response.items = state.script.withLock { $0.sandboxes }
                return response
            }
            unary(&router, Method.ListContainers.descriptor, .listContainers) { (_: Runtime_V1_ListContainersRequest) in
                var response = Runtime_V1_ListContainersResponse()
                response.containers = state.script.withLock { $0.containers }
                return response
            }
            unary(&router, Method.ContainerStatus.descriptor, .containerStatus) {
                (request: Runtime_V1_ContainerStatusRequest) in
                guard let answer = state.script.withLock({ $0.statuses[request.containerID] }) else {
                    throw RPCError(code: .notFound, message: "container \"\(request.containerID)\" not found")
                }
                return try answer.get()
            }
            router.registerHandler(
                forMethod: Method.GetContainerEvents.descriptor,
                deserializer: ProtobufCoder<Runtime_V1_GetEventsRequest>(),
                serializer: ProtobufCoder<Runtime_V1_ContainerEventResponse>()
            ) { _, _ in
                state.calls.withLock { $0.record(.getContainerEvents) }
                guard state.script.withLock({ $0.eventsImplemented }) else {
                    return StreamingServerResponse(error: RPCError(code: .unimplemented, message: "unknown method GetContainerEvents"))
                }
                return StreamingServerResponse { writer in
                    let (events, subscriber) = AsyncStream.makeStream(of: Runtime_V1_ContainerEventResponse.self)
                    let id = UUID()
                    state.subscribers.withLock { $0[id] = subscriber }
                    defer { state.subscribers.withLock { $0[id] = nil } }
                    // gRPC does not cancel the handler's task when the client goes away; it calls this.
                    try await withRPCCancellationHandler {
                        for await event in events { try await writer.write(event) }
                    } onCancelRPC: {
                        subscriber.finish()
                    }
                    return [:]
                }
            }
        }

        private func unary<Transport: ServerTransport, Request: SwiftProtobuf.Message, Response: SwiftProtobuf.Message>(
            _ router: inout RPCRouter<Transport>, _ descriptor: MethodDescriptor, _ method: CRIMethod,
            _ answer: @escaping @Sendable (Request) throws -> Response
        ) {
            let state = self.state
            router.registerHandler(
                forMethod: descriptor, deserializer: ProtobufCoder<Request>(), serializer: ProtobufCoder<Response>()
            ) { request, _ in
                state.calls.withLock { $0.record(method) }
                let message = try await request.messages.first { _ in true }
                do {
                    let response = try answer(message ?? Request())
                    return StreamingServerResponse(single: ServerResponse(message: response))
                } catch let error as RPCError {
                    return StreamingServerResponse(error: error)
                }
            }
        }
    }
}

/// Protobuf wire coding for the scripted server (what GRPCProtobuf does, without depending on it here).
private struct ProtobufCoder<Message: SwiftProtobuf.Message>: MessageSerializer, MessageDeserializer {
    func serialize<Bytes: GRPCContiguousBytes>(_ message: Message) throws -> Bytes {
        Bytes(try message.serializedBytes() as [UInt8])
    }

    func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws -> Message {
        try serializedMessageBytes.withUnsafeBytes { try Message(serializedBytes: [UInt8]($0)) }
    }
}
