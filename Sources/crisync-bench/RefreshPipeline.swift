import Collector
import Exposition
import Foundation
import KernelReader
import KubeletReader
import Model
import RuntimeReader
import Server

/// crisync's refresh as `Exporter.refresh` does it, with the real readers: the runtime (CRI) and
/// the kubelet read concurrently, then the kernel for the runtime's running containers, then
/// `Collector.evaluate`, the families, both text formats, and `HTTPServer.publish` (which gzips
/// each body once). Only the landing page (internal to CrisyncApp, rendered once per refresh) and
/// the few `process_*` self metrics are left out.
final class RefreshPipeline {
    struct Sample {
        static let phaseNames = ["runtime", "kubelet", "kernel", "evaluate", "render", "publish"]
        /// CPU of the whole process during the refresh (event-loop threads included), in seconds.
        var cpuSeconds: Double
        var wallSeconds: Double
        /// Wall time of the concurrent reads, thread CPU of the synchronous phases, in seconds.
        var phases: [String: Double]
        var calls: CRICallCounts
        /// Containers whose ContainerStatus failed in this refresh (they are fetched again next time).
        var statusErrors: Int
        var containers: Int
        var pods: Int
        var runningContainers: Int
        var divergences: Int
        var sourceErrors: [String]
        var outputBytes: Int
    }

    let runtime: RuntimeReader
    let kubelet: KubeletReader
    let kernel: KernelSnapshots
    let server: HTTPServer
    let configuration = CollectorConfiguration(keepsContainerViews: false)
    private var memory = CollectorMemory()

    init(runtimeEndpoint: String, kubeletURL: String, procRoot: String, cgroupRoot: String) throws {
        runtime = try RuntimeReader(endpoint: runtimeEndpoint, configuration: .init(timeout: .seconds(2)))
        kubelet = try KubeletReader(configuration: KubeletReaderConfiguration(url: kubeletURL))
        kernel = KernelSnapshots(reader: try KernelReader(procRoot: procRoot, cgroupRoot: cgroupRoot))
        server = try HTTPServer.start(ServerConfiguration(listenAddress: ListenAddress(parsing: "127.0.0.1:0")))
    }

    func refresh() async throws -> Sample {
        let wallStart = ProcessMeter.now()
        let cpuStart = ProcessMeter.processCPU()
        var phases: [String: Double] = [:]

        let kubelet = self.kubelet
        async let kubeletReading = Self.timed { () async -> SourceReading<KubeletSnapshot> in
            do throws(KubeletReaderError) {
                return SourceReading(value: try await kubelet.readPods(), durationSeconds: 0)
            } catch {
                return SourceReading(value: nil, error: error.description, durationSeconds: 0)
            }
        }
        let (runtimeResult, runtimeSeconds) = await Self.timed { () async -> Result<RuntimeRefresh, RuntimeReaderError> in
            do throws(RuntimeReaderError) {
                return .success(try await self.runtime.refresh())
            } catch {
                return .failure(error)
            }
        }
        phases["runtime"] = runtimeSeconds
        var runtimeReading: SourceReading<RuntimeSnapshot>
        var calls = CRICallCounts()
        var statusErrors = 0
        switch runtimeResult {
        case .success(let refresh):
            runtimeReading = SourceReading(value: refresh.snapshot, durationSeconds: runtimeSeconds)
            calls = refresh.calls
            statusErrors = refresh.containerStatusErrors.count
        case .failure(let error):
            runtimeReading = SourceReading(value: nil, error: error.description, durationSeconds: runtimeSeconds)
        }

        var threadStart = ProcessMeter.threadCPU()
        func lap(_ name: String) {
            let now = ProcessMeter.threadCPU()
            phases[name] = now - threadStart
            threadStart = now
        }
        let kernelSnapshot = kernel.next(ofRunningContainersIn: runtimeReading.value)
        lap("kernel")
        let kernelReading = SourceReading(value: kernelSnapshot, durationSeconds: phases["kernel"] ?? 0)
        var (kubeletResult, kubeletSeconds) = await kubeletReading
        kubeletResult.durationSeconds = kubeletSeconds
        phases["kubelet"] = kubeletSeconds
        threadStart = ProcessMeter.threadCPU()

        let input = CollectorInput(now: Date().timeIntervalSince1970, runtime: runtimeReading, kubelet: kubeletResult, kernel: kernelReading)
        let (findings, next) = Collector.evaluate(input, memory: memory, configuration: configuration)
        memory = next
        lap("evaluate")
        let families = MetricsInventory.families(from: findings)
        let text = Array(try TextWriter.render(families, format: .prometheusText).utf8)
        let openMetrics = Array(try TextWriter.render(families, format: .openMetrics).utf8)
        lap("render")
        server.publish(prometheusText: text, openMetricsText: openMetrics, landingPage: [])
        lap("publish")

        runtimeReading.durationSeconds = runtimeSeconds
        return Sample(
            cpuSeconds: ProcessMeter.processCPU() - cpuStart, wallSeconds: ProcessMeter.now() - wallStart, phases: phases,
            calls: calls, statusErrors: statusErrors, containers: runtimeReading.value?.containers.count ?? 0,
            pods: kubeletResult.value?.pods.count ?? 0,
            runningContainers: runtimeReading.value?.containers.count { $0.state == .running } ?? 0,
            divergences: findings.divergences.count,
            sourceErrors: findings.sources.compactMap { source, health in health.lastError.map { "\(source.rawValue): \($0)" } },
            outputBytes: text.count)
    }

    func close() async {
        server.stop()
        await runtime.close()
        try? await kubelet.shutdown()
    }

    private static func timed<T: Sendable>(_ body: () async -> T) async -> (T, Double) {
        let start = ProcessMeter.now()
        let value = await body()
        return (value, ProcessMeter.now() - start)
    }
}
