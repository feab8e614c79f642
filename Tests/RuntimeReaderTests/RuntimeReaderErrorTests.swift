import GRPCCore
import RuntimeReader
import Testing

@Suite("runtime reader error messages")
struct RuntimeReaderErrorTests {
    static let endpoint = "unix:///tmp/lab/run/containerd.sock"

    @Test(arguments: [
        (RuntimeReaderError.socketMissing(endpoint: endpoint, method: "ListContainers"), "does not exist"),
        (.connectionRefused(endpoint: endpoint, method: "Version"), "connection refused"),
        (.deadlineExceeded(endpoint: endpoint, method: "ListContainers", timeout: .seconds(2)), "within 2s"),
        (.deadlineExceeded(endpoint: endpoint, method: "ListPodSandbox", timeout: .milliseconds(500)), "within 0.5s"),
        (.deadlineExceeded(endpoint: endpoint, method: "Status", timeout: .milliseconds(1250)), "within 1.25s"),
        (.unimplemented(endpoint: endpoint, method: "GetContainerEvents"), "not implemented"),
        (.malformedInfo(endpoint: endpoint, containerID: "abc", reason: "pid: expected Int64"), "pid: expected Int64"),
        (.rpcFailed(endpoint: endpoint, method: "ContainerStatus", code: "notFound", message: "container \"x\" not found"),
         "notFound"),
        (.invalidEndpoint("tcp://x", reason: "only unix:// sockets are supported"), "tcp://x"),
    ])
    func oneClearLine(_ error: RuntimeReaderError, mentions: String) {
        let message = error.description
        #expect(!message.contains("\n"))
        #expect(message.contains(mentions), "\(message)")
        if case .invalidEndpoint = error { return }
        #expect(message.contains(Self.endpoint), "\(message)")
    }

    @Test func onlyUnimplementedIsUnimplemented() {
        #expect(RuntimeReaderError.unimplemented(endpoint: "e", method: "m").isUnimplemented)
        #expect(!RuntimeReaderError.socketMissing(endpoint: "e", method: "m").isUnimplemented)
    }

    /// `isNotFound` matches the name CRIClient writes for gRPC's NOT_FOUND (spelled out there).
    @Test func notFoundIsGRPCsNotFound() {
        let code = "\(RPCError.Code.notFound)"
        #expect(RuntimeReaderError.rpcFailed(endpoint: "e", method: "ContainerStatus", code: code, message: "").isNotFound)
        #expect(!RuntimeReaderError.rpcFailed(endpoint: "e", method: "ContainerStatus", code: "\(RPCError.Code.unavailable)", message: "").isNotFound)
    }
}
