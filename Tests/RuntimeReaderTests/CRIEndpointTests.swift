import RuntimeReader
import Testing

@Suite("CRI endpoint parsing")
struct CRIEndpointTests {
    @Test(arguments: [
        ("unix:///run/containerd/containerd.sock", "/run/containerd/containerd.sock"),
        ("/run/containerd/containerd.sock", "/run/containerd/containerd.sock"),
        ("  unix:///tmp/lab/run/containerd.sock ", "/tmp/lab/run/containerd.sock"),
        ("UNIX:///var/run/crio/crio.sock", "/var/run/crio/crio.sock"),
        ("relative/containerd.sock", "relative/containerd.sock"),
    ])
    func valid(_ text: String, path: String) throws {
        let endpoint = try CRIEndpoint(parsing: text)
        #expect(endpoint.socketPath == path)
        #expect(endpoint.description == "unix://" + path)
    }

    @Test(arguments: [
        ("", "empty"),
        ("unix://", "absolute"),
        ("unix://run/containerd.sock", "absolute"),
        ("tcp://127.0.0.1:1234", "tcp://"),
        ("npipe:////./pipe/containerd-containerd", "npipe://"),
        ("/run/containerd/", "directory"),
    ])
    func invalid(_ text: String, reasonMentions: String) throws {
        let error = #expect(throws: RuntimeReaderError.self) { try CRIEndpoint(parsing: text) }
        guard case .invalidEndpoint(let given, let reason) = try #require(error) else {
            Issue.record("expected invalidEndpoint, got \(String(describing: error))")
            return
        }
        #expect(given == text)
        #expect(reason.contains(reasonMentions), "reason: \(reason)")
    }

    @Test func readerRejectsBadEndpointAtConstruction() {
        #expect(throws: RuntimeReaderError.self) { try RuntimeReader(endpoint: "tcp://localhost:10010") }
    }
}
