import Foundation
import KubeletTestSupport
import Model
import RuntimeReader

/// A fake kubelet that mirrors the real runtime: every `refreshInterval` it reads the runtime over
/// CRI (``RuntimeReader``), turns the snapshot into what a kubelet would report
/// (``KubeletMirror``), applies the per-pod overrides from ``PodOverrideStore``, and serves the
/// result as `GET /pods` through ``FakeKubelet``. Requests are answered from that cache, so a
/// scrape never waits on the runtime.
///
/// With a `lag`, it serves the runtime as it was that long ago, as a real kubelet trails the
/// runtime. Overrides apply at once (a deletion reaches the kubelet from the API server, not from
/// the runtime). When the runtime cannot be read, it keeps serving what it last saw, as the
/// kubelet keeps its cached pod statuses.
public actor MirrorKubelet {
    public struct Configuration: Sendable {
        /// `unix:///path/to/containerd.sock` or a plain path.
        public var runtimeEndpoint: String
        public var host: String
        /// 0 picks a free port.
        public var port: Int
        /// How far behind the runtime the served pods are.
        public var lag: Duration
        public var refreshInterval: Duration
        /// Where override files are read from; nil for none.
        public var overridesDirectory: String?
        public var nodeName: String
        /// Deadline of each CRI call.
        public var runtimeTimeout: Duration

        public init(
            runtimeEndpoint: String, host: String = "127.0.0.1", port: Int = 0, lag: Duration = .zero,
            refreshInterval: Duration = .seconds(1), overridesDirectory: String? = nil, nodeName: String = "crisync-lab",
            runtimeTimeout: Duration = .seconds(2)
        ) {
            self.runtimeEndpoint = runtimeEndpoint
            self.host = host
            self.port = port
            self.lag = lag
            self.refreshInterval = refreshInterval
            self.overridesDirectory = overridesDirectory
            self.nodeName = nodeName
            self.runtimeTimeout = runtimeTimeout
        }
    }

    public nonisolated let port: Int
    public nonisolated let configuration: Configuration
    /// `http://HOST:PORT`, the base URL crisync's `--kubelet.url` takes.
    public nonisolated var url: String { "http://\(configuration.host):\(port)" }

    private let fake: FakeKubelet
    private let reader: RuntimeReader
    private let overrides: PodOverrideStore?
    private let log: @Sendable (String) -> Void
    private let clock = ContinuousClock()
    private let started: ContinuousClock.Instant
    private var history = LaggedHistory<RuntimeSnapshot>()
    private var lastRuntimeError: String?
    private var lastOverrideProblems: [String] = []
    private var loop: Task<Void, Never>?
    /// What `/pods` serves now.
    public private(set) var servedPods: [KubeletPod] = []
    /// Refreshes done so far (successful or not).
    public private(set) var refreshes = 0

    /// Binds the socket, reads the runtime once (so the first request already sees its pods), and
    /// starts refreshing. `log` gets one line per change of health (runtime down/up, a bad
    /// override file), never one per refresh.
    public static func start(
        _ configuration: Configuration, log: @escaping @Sendable (String) -> Void = { _ in }
    ) async throws -> MirrorKubelet {
        let reader = try RuntimeReader(
            endpoint: configuration.runtimeEndpoint,
            configuration: .init(timeout: configuration.runtimeTimeout, runtimeInfoInterval: .seconds(3600)))
        let fake: FakeKubelet
        do {
            fake = try await FakeKubelet.start(host: configuration.host, port: configuration.port)
        } catch {
            await reader.close()
            throw error
        }
        let mirror = MirrorKubelet(configuration: configuration, fake: fake, reader: reader, log: log)
        await mirror.refreshNow()
        await mirror.startLoop()
        return mirror
    }

    private init(
        configuration: Configuration, fake: FakeKubelet, reader: RuntimeReader, log: @escaping @Sendable (String) -> Void
    ) {
        self.configuration = configuration
        self.port = fake.port
        self.fake = fake
        self.reader = reader
        self.overrides = configuration.overridesDirectory.map(PodOverrideStore.init(directory:))
        self.log = log
        self.started = clock.now
    }

    private func startLoop() {
        let interval = configuration.refreshInterval
        loop = Task { [weak self] in
            while !Task.isCancelled {
                try? await Task.sleep(for: interval)
                guard let self, !Task.isCancelled else { return }
                await self.refreshNow()
            }
        }
    }

    /// One refresh: read the runtime, pick the lagged snapshot, apply the overrides, serve.
    public func refreshNow() async {
        refreshes += 1
        let now = LabDuration.seconds(clock.now - started)
        do {
            let snapshot = try await reader.snapshot()
            history.append(snapshot, at: now)
            if let error = lastRuntimeError {
                log("runtime \(configuration.runtimeEndpoint) readable again (was: \(error))")
                lastRuntimeError = nil
            }
        } catch {
            if lastRuntimeError != error.description {
                log("cannot read the runtime, serving the last pods seen: \(error)")
                lastRuntimeError = error.description
            }
        }
        guard let snapshot = history.value(at: now, lag: LabDuration.seconds(configuration.lag)) else { return }
        let (byName, problems) = overrides?.read() ?? ([:], [])
        if problems != lastOverrideProblems {
            for problem in problems where !lastOverrideProblems.contains(problem) { log("ignoring \(problem)") }
            lastOverrideProblems = problems
        }
        let pods = KubeletMirror.pods(
            from: snapshot, nodeName: configuration.nodeName,
            overrides: PodOverrideStore.byUID(byName, sandboxes: snapshot.sandboxes))
        fake.setPods(pods)
        servedPods = pods
    }

    /// Stops refreshing and serving, and closes the runtime connection.
    public func stop() async {
        loop?.cancel()
        await loop?.value
        loop = nil
        await fake.stop()
        await reader.close()
    }
}
