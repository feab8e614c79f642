import CRITestSupport
import Testing

@testable import RuntimeReader

/// containerd (grpc-go) sends a PING for about every call a client makes; swift-nio-http2 closes a
/// connection after 200 of them in 30 s. See `ServerPingResponder`.
@Suite(
    "CRI client under a burst of calls, against the lab containerd", .serialized, .timeLimit(.minutes(2)),
    .enabled(if: ContainerdLab.shouldRunTests, "\(ContainerdLab.notConfiguredMessage)"))
struct LabPingFloodTests {
    static let calls = 1000

    /// Calls one after another on one client, as a refresh does for new containers; returns the failures.
    static func burst(answeringServerPings: Bool) async throws -> [RuntimeReaderError] {
        let lab = try ContainerdLab.required()
        let client = try CRIClient(
            endpoint: CRIEndpoint(socketPath: lab.socketPath), timeout: .seconds(5), answeringServerPings: answeringServerPings)
        var failures: [RuntimeReaderError] = []
        for _ in 0..<calls {
            do { _ = try await client.version() } catch { failures.append(error) }
        }
        await client.close()
        return failures
    }

    @Test func thousandCallsOnOneConnectionAllSucceed() async throws {
        let failures = try await Self.burst(answeringServerPings: true)
        #expect(failures.isEmpty, "\(failures.count) of \(Self.calls) failed, first: \(failures.first.map { "\($0)" } ?? "")")
    }

    /// The reason the responder exists. If this starts failing, the HTTP/2 stack no longer closes the
    /// connection (swift-nio-http2 or grpc-swift-nio-transport changed): the responder may be removable.
    @Test func withoutTheResponderTheConnectionIsClosedMidBurst() async throws {
        let failures = try await Self.burst(answeringServerPings: false)
        #expect(!failures.isEmpty, "all \(Self.calls) calls succeeded without the responder")
    }
}
