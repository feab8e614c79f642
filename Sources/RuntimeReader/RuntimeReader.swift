import Model

/// One refresh of the runtime view: the snapshot, and what went wrong on the way without failing it.
public struct RuntimeRefresh: Sendable {
    public var snapshot: RuntimeSnapshot
    /// Containers whose `ContainerStatus` failed this time (their `status` is nil) or whose info JSON
    /// was malformed (their `status` lacks pid, sandbox and cgroups path), by container ID.
    public var containerStatusErrors: [String: RuntimeReaderError]
    /// Why `Version` or `Status` failed, when they were due and did; the snapshot keeps the last values.
    public var runtimeInfoError: RuntimeReaderError?
    /// Containers removed between `ListContainers` and their `ContainerStatus` (NotFound): a normal
    /// race under churn, not an error. They are left out of the snapshot, as the next list would.
    public var vanished: Set<String>
    /// CRI calls this refresh made.
    public var calls: CRICallCounts

    public init(
        snapshot: RuntimeSnapshot, containerStatusErrors: [String: RuntimeReaderError] = [:],
        runtimeInfoError: RuntimeReaderError? = nil, vanished: Set<String> = [], calls: CRICallCounts = .init()
    ) {
        self.snapshot = snapshot
        self.containerStatusErrors = containerStatusErrors
        self.runtimeInfoError = runtimeInfoError
        self.vanished = vanished
        self.calls = calls
    }

    /// One line per problem, for logs: the runtime info error first, then containers by ID.
    public var problems: [String] {
        (runtimeInfoError.map { ["\($0)"] } ?? [])
            + containerStatusErrors.keys.sorted().compactMap { containerStatusErrors[$0].map { "\($0)" } }
    }
}

/// Reads the runtime's view of every pod and container, cheaply enough to run on every scrape.
///
/// A steady-state refresh makes exactly two CRI calls, `ListContainers` and `ListPodSandbox`.
/// `Version` and `Status` run at most once per `runtimeInfoInterval`; `ContainerStatus(verbose)` runs
/// only for containers that are new or whose listed state changed, and its result is cached by
/// container ID and state (entries of removed containers are dropped).
///
/// The cache follows the state `ListContainers` reports, so a change that keeps the state (a
/// RUNNING container whose child was OOM-killed gets reason `OOMKilled`) shows only when the state
/// changes.
public actor RuntimeReader {
    public struct Configuration: Sendable, Hashable {
        /// Deadline of each CRI call.
        public var timeout: Duration
        /// Least time between two `Version`+`Status` reads.
        public var runtimeInfoInterval: Duration
        /// Most `ContainerStatus` calls in flight at once (when many containers are new).
        public var maxConcurrentStatusCalls: Int

        public init(
            timeout: Duration = .seconds(2), runtimeInfoInterval: Duration = .seconds(60),
            maxConcurrentStatusCalls: Int = 8
        ) {
            self.timeout = timeout
            self.runtimeInfoInterval = runtimeInfoInterval
            self.maxConcurrentStatusCalls = max(1, maxConcurrentStatusCalls)
        }
    }

    public nonisolated let client: CRIClient
    public nonisolated let configuration: Configuration

    private struct CachedStatus {
        var listedState: RuntimeContainerState
        var status: RuntimeContainerStatus
        /// The info JSON was malformed: reported again on every refresh while cached.
        var infoError: RuntimeReaderError?
    }

    private var statusCache: [String: CachedStatus] = [:]
    private var version: RuntimeVersion?
    private var conditions: [RuntimeCondition] = []
    private var lastRuntimeInfoAttempt: ContinuousClock.Instant?
    private let clock = ContinuousClock()

    public init(client: CRIClient, configuration: Configuration = .init()) {
        self.client = client
        self.configuration = configuration
    }

    /// A reader with its own client for `endpoint` (`unix:///path` or a path).
    public init(endpoint: String, configuration: Configuration = .init()) throws(RuntimeReaderError) {
        let client = try CRIClient(endpoint: CRIEndpoint(parsing: endpoint), timeout: configuration.timeout)
        self.init(client: client, configuration: configuration)
    }

    /// Calls made by this reader's client so far, per method.
    public nonisolated var callCounts: CRICallCounts { client.callCounts }

    /// Reads the runtime once. Throws when either list call fails (the runtime is unreachable or
    /// wedged); a failing `ContainerStatus` or `Version`/`Status` is reported in the result instead.
    public func refresh() async throws(RuntimeReaderError) -> RuntimeRefresh {
        let before = client.callCounts
        var containers = try await client.listContainers()
        let sandboxes = try await client.listPodSandboxes()

        let runtimeInfoError = await refreshRuntimeInfoIfDue()

        var stale: [RuntimeContainer] = []
        var cachedAndListed = 0
        for container in containers {
            let cached = statusCache[container.id]
            if cached != nil { cachedAndListed += 1 }
            if cached?.listedState != container.state { stale.append(container) }
        }
        // Statuses of containers no longer listed are forgotten. When every cached one is still
        // listed (a steady node; CRI IDs are unique) there is nothing to drop, and the set of IDs and
        // the new dictionary are not built: they cost more than the rest of this step.
        if cachedAndListed != statusCache.count {
            let listedIDs = Set(containers.map(\.id))
            statusCache = statusCache.filter { listedIDs.contains($0.key) }
        }
        var errors: [String: RuntimeReaderError] = [:]
        var vanished: Set<String> = []
        for (container, outcome) in await fetchStatuses(of: stale) {
            switch outcome {
            case .success(let cached):
                statusCache[container.id] = CachedStatus(
                    listedState: container.state, status: cached.status, infoError: cached.infoError)
            case .failure(let error):
                statusCache[container.id] = nil
                if error.isNotFound { vanished.insert(container.id) } else { errors[container.id] = error }
            }
        }
        if !vanished.isEmpty { containers.removeAll { vanished.contains($0.id) } }
        for index in containers.indices {
            guard let cached = statusCache[containers[index].id] else { continue }
            containers[index].status = cached.status
            if let infoError = cached.infoError { errors[containers[index].id] = infoError }
        }

        let snapshot = RuntimeSnapshot(
            version: version, conditions: conditions, sandboxes: sandboxes, containers: containers)
        return RuntimeRefresh(
            snapshot: snapshot, containerStatusErrors: errors, runtimeInfoError: runtimeInfoError, vanished: vanished,
            calls: client.callCounts.since(before))
    }

    /// The snapshot of `refresh()` alone.
    public func snapshot() async throws(RuntimeReaderError) -> RuntimeSnapshot {
        try await refresh().snapshot
    }

    /// Forgets cached statuses, version and conditions: the next refresh reads everything again.
    public func invalidate() {
        statusCache = [:]
        lastRuntimeInfoAttempt = nil
    }

    /// Closes the client.
    public func close() async {
        await client.close()
    }

    // MARK: - Pieces

    private func refreshRuntimeInfoIfDue() async -> RuntimeReaderError? {
        let now = clock.now
        if let last = lastRuntimeInfoAttempt, now - last < configuration.runtimeInfoInterval { return nil }
        // Counted from the attempt: a failing Status must not turn every refresh into four calls.
        lastRuntimeInfoAttempt = now
        do {
            version = try await client.version()
            conditions = try await client.status()
            return nil
        } catch {
            return error
        }
    }

    private struct FetchedStatus: Sendable {
        var status: RuntimeContainerStatus
        var infoError: RuntimeReaderError?
    }

    /// `ContainerStatus(verbose)` for each container, a bounded number at a time.
    private func fetchStatuses(
        of containers: [RuntimeContainer]
    ) async -> [(RuntimeContainer, Result<FetchedStatus, RuntimeReaderError>)] {
        guard !containers.isEmpty else { return [] }
        let client = self.client
        let width = configuration.maxConcurrentStatusCalls
        return await withTaskGroup(of: (RuntimeContainer, Result<FetchedStatus, RuntimeReaderError>).self) { group in
            var results: [(RuntimeContainer, Result<FetchedStatus, RuntimeReaderError>)] = []
            results.reserveCapacity(containers.count)
            var pending = containers[...]
            func startNext() {
                guard let container = pending.popFirst() else { return }
                group.addTask {
                    do throws(RuntimeReaderError) {
                        let parts = try await client.containerStatusParts(id: container.id)
                        switch parts.info {
                        case .success(let info):
                            return (container, .success(FetchedStatus(status: RuntimeContainerStatus(cri: parts.status, info: info))))
                        case .failure(let infoError):
                            let partial = RuntimeContainerStatus(cri: parts.status, info: ContainerdInfo())
                            return (container, .success(FetchedStatus(status: partial, infoError: infoError)))
                        }
                    } catch {
                        return (container, .failure(error))
                    }
                }
            }
            for _ in 0..<min(width, containers.count) { startNext() }
            while let result = await group.next() {
                results.append(result)
                startNext()
            }
            return results
        }
    }
}
