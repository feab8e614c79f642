import KubeletTestSupport
import Testing

@Suite("fake-kubelet mode file")
struct FakeKubeletModeTests {
    @Test(
        "mode lines",
        arguments: [
            ("ok", FakeKubeletMode.ok), ("", .ok), ("401\n", .unauthorized), ("403", .forbidden), ("500", .serverError),
            ("slow", .slowHead(.seconds(30))), ("slow 2.5", .slowHead(.milliseconds(2500))),
            ("slow-body 1", .slowBody(.seconds(1))), ("trickle 50", .trickle(.milliseconds(50))), ("garbage", .garbage), ("truncated", .truncated),
            ("dropped", .droppedMidBody), ("huge", .huge(bytes: 100_000_000, declaresLength: true)),
            ("huge 5000 chunked", .huge(bytes: 5000, declaresLength: false)),
        ])
    func parses(line: String, mode: FakeKubeletMode) {
        #expect(FakeKubeletMode(modeLine: line) == mode)
    }

    @Test("unknown words are rejected")
    func rejects() {
        #expect(FakeKubeletMode(modeLine: "teapot") == nil)
    }
}
