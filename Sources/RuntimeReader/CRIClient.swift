import Foundation
import GRPCCore
import GRPCNIOTransportHTTP2
import GRPCProtobuf
import Model
import SwiftProtobuf
import Synchronization

/// A CRI `RuntimeService` client over the runtime's unix socket.
///
/// Every unary call has a deadline (`timeout`) and `waitForReady = false`, so a missing socket fails
/// in milliseconds and a wedged runtime fails at the deadline; nothing waits forever. Errors are
/// `RuntimeReaderError`s naming the endpoint and the method. Counts every call it makes.
public final class CRIClient: Sendable {
    public typealias Transport = HTTP2ClientTransport.Posix

    public let endpoint: CRIEndpoint
    /// Deadline of each unary call.
    public let timeout: Duration
    /// The generated client, for calls this type does not wrap (the test driver's Run/Create/Stop/Remove).
    /// Use `callOptions` with it so those calls have a deadline too.
    public let runtime: Runtime_V1_RuntimeService.Client<Transport>

    private let grpcClient: GRPCClient<Transport>
    private let connections: Task<Void, Never>
    private let counts = Mutex(CRICallCounts())

    /// Creates the client; connecting happens on the first call.
    /// - Parameter timeout: deadline of every unary call (default 2 s).
    public convenience init(endpoint: CRIEndpoint, timeout: Duration = .seconds(2)) throws(RuntimeReaderError) {
        try self.init(endpoint: endpoint, timeout: timeout, answeringServerPings: true)
    }

    /// - Parameter answeringServerPings: false only in the test that shows why `ServerPingResponder` exists.
    init(endpoint: CRIEndpoint, timeout: Duration, answeringServerPings: Bool) throws(RuntimeReaderError) {
        self.endpoint = endpoint
        self.timeout = timeout
        let transport: Transport
        do {
            transport = try Transport(
                // Without an explicit authority the transport sends the percent-encoded socket path.
                target: .unixDomainSocket(path: endpoint.socketPath, authority: "localhost"),
                transportSecurity: .plaintext,
                config: .defaults { config in
                    // The default backoff grows to 2 minutes; a runtime that restarts should be
                    // reachable again within a refresh or two.
                    config.backoff = .init(initial: .milliseconds(100), max: .seconds(1), multiplier: 1.6, jitter: 0.2)
                    guard answeringServerPings else { return }
                    config.channelDebuggingCallbacks.onCreateTCPConnection = { channel in
                        channel.eventLoop.submit {
                            try channel.pipeline.syncOperations.addHandler(ServerPingResponder(), position: .first)
                        }
                    }
                })
        } catch {
            throw .invalidEndpoint(endpoint.description, reason: "\(error)")
        }
        let client = GRPCClient(transport: transport)
        self.grpcClient = client
        self.runtime = Runtime_V1_RuntimeService.Client(wrapping: client)
        self.connections = Task { try? await client.runConnections() }
    }

    deinit {
        grpcClient.beginGracefulShutdown()
        connections.cancel()
    }

    /// Stops the connection; in-flight calls fail. The client cannot be used afterwards.
    public func close() async {
        grpcClient.beginGracefulShutdown()
        connections.cancel()
        await connections.value
    }

    /// Options for one unary call: the deadline and `waitForReady = false`.
    public var callOptions: CallOptions {
        var options = CallOptions.defaults
        options.timeout = timeout
        options.waitForReady = false
        return options
    }

    /// Calls made so far, per method.
    public var callCounts: CRICallCounts { counts.withLock { $0 } }

    // MARK: - Calls

    public func version() async throws(RuntimeReaderError) -> RuntimeVersion {
        let response = try await unary(.version) { runtime, options in
            var request = Runtime_V1_VersionRequest()
            request.version = "v1"
            return try await runtime.version(request, options: options)
        }
        return RuntimeVersion(cri: response)
    }

    /// The `RuntimeReady` and `NetworkReady` conditions.
    public func status() async throws(RuntimeReaderError) -> [RuntimeCondition] {
        let response = try await unary(.status) { runtime, options in
            try await runtime.status(Runtime_V1_StatusRequest(), options: options)
        }
        return response.status.conditions.map(RuntimeCondition.init(cri:))
    }

    public func listPodSandboxes() async throws(RuntimeReaderError) -> [RuntimeSandbox] {
        try await listing(
            .listPodSandbox, Runtime_V1_ListPodSandboxRequest(), Runtime_V1_RuntimeService.Method.ListPodSandbox.descriptor,
            .sandboxes)
    }

    public func listContainers() async throws(RuntimeReaderError) -> [RuntimeContainer] {
        try await listing(
            .listContainers, Runtime_V1_ListContainersRequest(), Runtime_V1_RuntimeService.Method.ListContainers.descriptor,
            .containers)
    }

    /// A listing decoded from its wire bytes by ``ListingDecoder``: only the fields crisync reads.
    private func listing<Request: SwiftProtobuf.Message, Listing: Sendable>(
        _ method: CRIMethod, _ request: Request, _ descriptor: MethodDescriptor, _ deserializer: ListingDeserializer<Listing>
    ) async throws(RuntimeReaderError) -> Listing {
        let grpcClient = self.grpcClient
        return try await unary(method) { _, options in
            try await grpcClient.unary(
                request: ClientRequest(message: request), descriptor: descriptor, serializer: ProtobufSerializer<Request>(),
                deserializer: deserializer, options: options
            ) { try $0.message }
        }
    }

    /// `ContainerStatus(verbose: true)` with containerd's info JSON parsed (pid, sandbox, cgroups path).
    /// A malformed info JSON throws `.malformedInfo`; use `containerStatusParts` to keep the CRI fields then.
    public func containerStatus(id: String) async throws(RuntimeReaderError) -> RuntimeContainerStatus {
        let parts = try await containerStatusParts(id: id)
        return RuntimeContainerStatus(cri: parts.status, info: try parts.info.get())
    }

    /// `ContainerStatus(verbose: true)`: the CRI status, and the parsed info or why it could not be parsed.
    public func containerStatusParts(
        id: String
    ) async throws(RuntimeReaderError) -> (status: Runtime_V1_ContainerStatus, info: Result<ContainerdInfo, RuntimeReaderError>) {
        let response = try await unary(.containerStatus) { runtime, options in
            var request = Runtime_V1_ContainerStatusRequest()
            request.containerID = id
            request.verbose = true
            return try await runtime.containerStatus(request, options: options)
        }
        let info = Result { () throws(RuntimeReaderError) in
            try ContainerInfoParser.parse(infoMap: response.info, containerID: id, endpoint: endpoint.description)
        }
        return (response.status, info)
    }

    /// Whether the runtime streams container events. UNIMPLEMENTED (containerd 1.6) is `.unsupported`.
    ///
    /// A runtime that supports the stream may send nothing, not even headers, until its first event;
    /// so a probe that reaches its deadline counts as supported when the runtime answers `Version` at once.
    public func eventsSupport() async -> RuntimeEventsSupport {
        do {
            try await unary(.getContainerEvents) { runtime, options in
                try await runtime.getContainerEvents(Runtime_V1_GetEventsRequest(), options: options) { response in
                    _ = try response.accepted.get()  // headers arrived: the stream is open; stop here
                }
            }
            return .supported
        } catch .unimplemented {
            return .unsupported
        } catch .deadlineExceeded {
            do {
                _ = try await version()
                return .supported
            } catch {
                return .unknown(error)
            }
        } catch {
            return .unknown(error)
        }
    }

    /// Streams container events into `onEvent` until the runtime ends the stream, the task is
    /// cancelled, or `onEvent` throws. Throws `.unimplemented` on runtimes without the stream.
    ///
    /// The stream has no deadline (it is meant to stay open); it runs beside the refreshes, which
    /// keep their deadlines, so a wedged runtime delays only events, never a refresh.
    public func watchContainerEvents(
        _ onEvent: @escaping @Sendable (RuntimeContainerEvent) async throws -> Void
    ) async throws(RuntimeReaderError) {
        var options = callOptions
        options.timeout = nil
        try await unary(.getContainerEvents, options: options) { runtime, options in
            try await runtime.getContainerEvents(Runtime_V1_GetEventsRequest(), options: options) { response in
                for try await event in response.messages {
                    try await onEvent(RuntimeContainerEvent(cri: event))
                }
            }
        }
    }

    // MARK: - Plumbing

    /// Runs one call with the client's options, counting it and turning failures into typed errors.
    @discardableResult
    private func unary<Response: Sendable>(
        _ method: CRIMethod, options: CallOptions? = nil,
        _ body: (Runtime_V1_RuntimeService.Client<Transport>, CallOptions) async throws -> Response
    ) async throws(RuntimeReaderError) -> Response {
        counts.withLock { $0.record(method) }
        do {
            return try await body(runtime, options ?? callOptions)
        } catch {
            throw classify(error, method: method)
        }
    }

    /// Maps a gRPC failure to what it means for a runtime on a unix socket.
    func classify(_ error: any Error, method: CRIMethod) -> RuntimeReaderError {
        let name = endpoint.description
        guard let rpcError = error as? RPCError else {
            if error is CancellationError {
                return .rpcFailed(endpoint: name, method: method.rawValue, code: "cancelled", message: "the call was cancelled")
            }
            return .rpcFailed(endpoint: name, method: method.rawValue, code: "unknown", message: "\(error)")
        }
        switch rpcError.code {
        case .deadlineExceeded:
            return .deadlineExceeded(endpoint: name, method: method.rawValue, timeout: timeout)
        case .unimplemented:
            return .unimplemented(endpoint: name, method: method.rawValue)
        case .unavailable:
            var info = stat()
            if stat(endpoint.socketPath, &info) != 0 {
                if errno == EACCES { return .permissionDenied(endpoint: name, method: method.rawValue) }
                return .socketMissing(endpoint: name, method: method.rawValue)
            }
            // connect(2) on a unix socket needs write permission on it.
            if access(endpoint.socketPath, R_OK | W_OK) != 0, errno == EACCES {
                return .permissionDenied(endpoint: name, method: method.rawValue)
            }
            let detail = rpcError.fullDescription
            if detail.contains("Connection refused") || detail.contains("ECONNREFUSED") {
                return .connectionRefused(endpoint: name, method: method.rawValue)
            }
            return .rpcFailed(endpoint: name, method: method.rawValue, code: "unavailable", message: rpcError.message)
        default:
            return .rpcFailed(
                endpoint: name, method: method.rawValue, code: "\(rpcError.code)", message: rpcError.message)
        }
    }
}

extension RPCError {
    /// The message and every cause, on one line: the transport puts the errno text in a cause.
    fileprivate var fullDescription: String {
        var parts = [message]
        var cause = self.cause
        while let current = cause {
            parts.append(String(describing: current))
            cause = (current as? RPCError)?.cause ?? (current as? RuntimeError)?.cause
        }
        return parts.joined(separator: ": ")
    }
}
