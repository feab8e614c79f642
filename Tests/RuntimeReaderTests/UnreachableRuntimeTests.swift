import Foundation
import RuntimeReader
import Testing

/// Failures that need no runtime: nothing at the socket path, or a socket nobody listens on.
@Suite("unreachable runtime", .timeLimit(.minutes(1)))
struct UnreachableRuntimeTests {
    @Test func missingSocketFailsFastWithATypedError() async throws {
        let path = "/tmp/crisync-missing-\(UUID().uuidString)/containerd.sock"
        let reader = try RuntimeReader(endpoint: "unix://" + path, configuration: .init(timeout: .seconds(2)))
        let start = ContinuousClock.now
        let error = await #expect(throws: RuntimeReaderError.self) { try await reader.refresh() }
        let elapsed = ContinuousClock.now - start
        #expect(error == .socketMissing(endpoint: "unix://" + path, method: "ListContainers"))
        #expect(elapsed < .seconds(1), "took \(elapsed): waitForReady must be off")
        #expect(error?.description.contains(path) == true)
        #expect(reader.callCounts[.listContainers] == 1 && reader.callCounts.total == 1)
        await reader.close()
    }

    @Test func socketWithoutListenerIsConnectionRefused() async throws {
        let socket = try BoundUnixSocket()
        defer { socket.close() }
        let client = try CRIClient(endpoint: CRIEndpoint(socketPath: socket.path), timeout: .seconds(2))
        let start = ContinuousClock.now
        let error = await #expect(throws: RuntimeReaderError.self) { try await client.version() }
        #expect(error == .connectionRefused(endpoint: "unix://" + socket.path, method: "Version"))
        #expect(ContinuousClock.now - start < .seconds(1))
        await client.close()
    }

    @Test func eventsProbeOnAMissingSocketIsUnknownNotUnsupported() async throws {
        let path = "/tmp/crisync-missing-\(UUID().uuidString).sock"
        let client = try CRIClient(endpoint: CRIEndpoint(socketPath: path))
        let support = await client.eventsSupport()
        #expect(support == .unknown(.socketMissing(endpoint: "unix://" + path, method: "GetContainerEvents")))
        await client.close()
    }
}

/// A unix socket that is bound but never listens: connecting to it is refused, as with a socket
/// file left behind by a runtime that died.
struct BoundUnixSocket {
    let path: String
    private let descriptor: Int32

    init() throws {
        path = "/tmp/crisync-refused-\(UUID().uuidString.prefix(8)).sock"
        descriptor = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw POSIXError(.EIO) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { buffer in
            buffer.copyBytes(from: path.utf8.prefix(buffer.count - 1))
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(descriptor, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else { throw POSIXError(POSIXErrorCode(rawValue: errno) ?? .EIO) }
    }

    func close() {
        _ = Glibc.close(descriptor)
        unlink(path)
    }
}
