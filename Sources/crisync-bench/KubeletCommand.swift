import ArgumentParser
import Foundation
import KubeletTestSupport
import LabSupport
import Model
import ProcessSignals
import RuntimeReader

/// `crisync-bench kubelet`: a kubelet stand-in that mirrors the runtime, serving pods of real size.
struct KubeletCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "kubelet",
        abstract: "Serve /pods mirroring the runtime (as KubeletMirror), padded to a real kubelet's size.",
        discussion: """
            Reads the runtime every --refresh-interval (as the kubelet's PLEG relists once a second), \
            re-encodes the PodList only when the pods changed, and serves it on plain HTTP. Prints \
            "listening on HOST:PORT" once bound; runs until SIGTERM. Run it as its own process so its CPU \
            is not counted as crisync's.
            """)

    @Option(name: .customLong("runtime-endpoint"), help: "CRI endpoint to mirror (unix:///path).") var runtimeEndpoint: String
    @Option(help: "Port on 127.0.0.1 (0 picks a free one).") var port = 0
    @Option(name: .customLong("refresh-interval"), help: "Seconds between runtime reads.") var refreshInterval = 1.0

    func run() async throws {
        let reader = try RuntimeReader(endpoint: runtimeEndpoint, configuration: .init(runtimeInfoInterval: .seconds(3600)))
        let fake = try await FakeKubelet.start(port: port)
        let mirror = PaddedMirror(reader: reader, fake: fake)
        await mirror.refresh()
        print("listening on 127.0.0.1:\(fake.port)")
        fflush(nil)
        let interval = refreshInterval
        let loop = Task {
            while !Task.isCancelled {
                try? await Task.sleep(for: .seconds(interval))
                if Task.isCancelled { break }
                await mirror.refresh()
            }
        }
        _ = await TerminationSignal.wait()
        loop.cancel()
        await loop.value
        await fake.stop()
        await reader.close()
    }
}

/// Serves what the runtime runs, re-encoding only when the pods changed.
private actor PaddedMirror {
    let reader: RuntimeReader
    let fake: FakeKubelet
    private var served: [KubeletPod]?

    init(reader: RuntimeReader, fake: FakeKubelet) {
        self.reader = reader
        self.fake = fake
    }

    func refresh() async {
        do {
            let pods = KubeletMirror.pods(from: try await reader.snapshot(), nodeName: "bench-node")
                .sorted { $0.uid < $1.uid }
            guard pods != served else { return }
            // As the real kubelet: the same pods in another order on each request.
            var generator = SystemRandomNumberGenerator()
            fake.setPodListBodies(try (0..<4).map { _ in try PaddedPodList.encode(pods.shuffled(using: &generator)) })
            served = pods
        } catch {
            note("kubelet: \(error)")
        }
    }
}

/// `crisync-bench podlist-size`: the size of the padded PodList for a pod shape, for the record.
struct PodListSizeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "podlist-size", abstract: "Print the padded /pods size per pod for --pods pods of --per-pod containers.")

    @Option var pods = 50
    @Option(name: .customLong("per-pod")) var perPod = 2

    func run() throws {
        let list = (0..<pods).map { index in
            KubeletPod(
                name: "svc-\(index)-abcde", namespace: "bench", uid: SyntheticNode.uuid(index, salt: 7), nodeName: "bench-node",
                phase: "Running", ready: true,
                containers: (0..<perPod).map { container in
                    KubeletContainerStatus(
                        name: BenchPods.containerNames[container % BenchPods.containerNames.count],
                        containerID: "containerd://\(SyntheticNode.hex64(index * 16 + container, salt: 3))", ready: true,
                        started: true, restartCount: 0, state: .running(startedAt: Date(timeIntervalSince1970: 1_790_000_000)))
                })
        }
        let plain = KubeletPodListEncoder.encode(list).count
        let padded = try PaddedPodList.encode(list).count
        print("\(pods) pods × \(perPod) containers: encoder \(plain / pods) B/pod, padded \(padded / pods) B/pod (\(padded) B)")
    }
}
