import Foundation
import KernelReader
import KubeletReader
import Logging
import Model
import RuntimeReader
import Synchronization

/// The three readers, built from the flags, and one read of each timed and turned into a
/// `SourceReading`: a failing source gives an error line, never a thrown error or a crash.
final class SourceSet: Sendable {
    /// Replaced after a failed read: gRPC keeps a channel whose socket vanished in a backoff state
    /// ("transient failure") for up to minutes, so a restarted runtime is reached with a new client.
    private let runtimeReader: Mutex<(reader: RuntimeReader?, reconnect: Bool)>
    private let runtimeEndpoint: String
    private let runtimeConfiguration: RuntimeReader.Configuration
    var runtime: RuntimeReader? { runtimeReader.withLock { $0.reader } }
    let kubelet: KubeletReader?
    /// Each refresh's kernel read, taken from the one before.
    let kernel: KernelSnapshots?
    /// Why a reader could not even be built (bad root, bad endpoint); reported on every read.
    let runtimeSetupError: String?
    let kubeletSetupError: String?
    let kernelSetupError: String?

    init(options: SourceOptions) {
        let runtimeConfiguration = RuntimeReader.Configuration(timeout: options.runtimeTimeout.swiftDuration)
        var runtimeError: String?
        var runtime: RuntimeReader?
        do {
            runtime = try RuntimeReader(endpoint: options.runtimeEndpoint, configuration: runtimeConfiguration)
        } catch {
            runtimeError = error.description
        }
        runtimeReader = Mutex((runtime, false))
        runtimeEndpoint = options.runtimeEndpoint
        self.runtimeConfiguration = runtimeConfiguration
        runtimeSetupError = runtimeError

        var kubeletError: String?
        var kubelet: KubeletReader?
        do {
            kubelet = try KubeletReader(
                configuration: KubeletReaderConfiguration(
                    url: options.kubeletURL, tokenFile: options.kubeletTokenFile.isEmpty ? nil : options.kubeletTokenFile,
                    caFile: options.kubeletCAFile.isEmpty ? nil : options.kubeletCAFile,
                    certificateVerification: options.kubeletInsecureSkipTLSVerify ? .insecureSkipVerify : .full,
                    timeoutSeconds: options.kubeletTimeout.seconds, maxBodyBytes: options.kubeletMaxBytes.bytes))
        } catch {
            kubeletError = error.description
        }
        self.kubelet = kubelet
        kubeletSetupError = kubeletError

        var kernelError: String?
        var kernel: KernelSnapshots?
        do {
            kernel = KernelSnapshots(reader: try KernelReader(procRoot: options.procfs, cgroupRoot: options.cgroupfs))
        } catch {
            kernelError = error.description
        }
        self.kernel = kernel
        kernelSetupError = kernelError
    }

    func readRuntime() async -> (reading: SourceReading<RuntimeSnapshot>, problems: [String]) {
        let start = ContinuousClock.now
        guard let runtime = await currentRuntimeReader() else {
            return (SourceReading(value: nil, error: runtimeSetupError, durationSeconds: 0), [])
        }
        do {
            let refresh = try await runtime.refresh()
            return (SourceReading(value: refresh.snapshot, durationSeconds: elapsed(since: start)), refresh.problems)
        } catch {
            runtimeReader.withLock { $0.reconnect = true }
            return (SourceReading(value: nil, error: error.description, durationSeconds: elapsed(since: start)), [])
        }
    }

    /// The runtime reader to use now: a fresh one (with a new connection and an empty status cache,
    /// since PIDs may be stale after a runtime restart) when the previous read failed.
    private func currentRuntimeReader() async -> RuntimeReader? {
        let (current, reconnect) = runtimeReader.withLock { ($0.reader, $0.reconnect) }
        guard reconnect, let current else { return current }
        await current.close()
        let fresh = try? RuntimeReader(endpoint: runtimeEndpoint, configuration: runtimeConfiguration)
        runtimeReader.withLock { $0 = (fresh ?? current, false) }
        return fresh ?? current
    }

    func readKubelet() async -> SourceReading<KubeletSnapshot> {
        guard let kubelet else { return SourceReading(value: nil, error: kubeletSetupError, durationSeconds: 0) }
        let start = ContinuousClock.now
        do {
            let snapshot = try await kubelet.readPods()
            return SourceReading(value: snapshot, durationSeconds: elapsed(since: start))
        } catch {
            return SourceReading(value: nil, error: error.description, durationSeconds: elapsed(since: start))
        }
    }

    /// Reads the processes and cgroups of the runtime's RUNNING containers (and their parents).
    func readKernel(for runtime: RuntimeSnapshot?) -> SourceReading<KernelSnapshot> {
        guard let kernel else { return SourceReading(value: nil, error: kernelSetupError, durationSeconds: 0) }
        let start = ContinuousClock.now
        let snapshot = kernel.next(ofRunningContainersIn: runtime)
        return SourceReading(value: snapshot, durationSeconds: elapsed(since: start))
    }

    func close() async {
        await runtime?.close()
        try? await kubelet?.shutdown()
    }
}

func elapsed(since start: ContinuousClock.Instant) -> Double {
    let duration = ContinuousClock.now - start
    return Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
}
