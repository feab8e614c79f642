import ArgumentParser
import Foundation

/// `crisync-bench churn`: replaces whole pods, oldest first, at a steady rate, as a rollout would.
struct ChurnCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "churn",
        abstract: "Replace pods so that --fraction of the containers are replaced per minute.",
        discussion: """
            Every tick the oldest bench pod is stopped and removed, and a new pod with as many containers \
            is started. Runs for --duration seconds (or until SIGTERM) and appends a "churn" record.
            """)

    @Option(help: "CRI socket path of the bench's containerd.") var socket: String
    @Option(name: .customLong("cgroup-root"), help: "Cgroup parent of the pods.") var cgroupRoot: String
    @Option(help: "Fraction of the containers replaced per minute.") var fraction = 0.1
    @Option(help: "Seconds to run.") var duration: Double
    @Option(help: "JSON-lines file the record is appended to.") var results: String

    func run() async throws {
        try ResultLog(path: results).append(try await churn())
    }

    /// One connection per replacement: see PopulateCommand on containerd's PINGs and swift-nio-http2.
    private func withPods<T>(_ body: (BenchPods) async throws -> T) async throws -> T {
        let pods = try BenchPods(socketPath: socket, cgroupRoot: cgroupRoot)
        do {
            let result = try await body(pods)
            await pods.close()
            return result
        } catch {
            await pods.close()
            throw error
        }
    }

    private func churn() async throws -> ChurnRecord {
        let (sandboxes, containers) = try await withPods { pods in (try await pods.sandboxes(), try await pods.containerCount()) }
        guard !sandboxes.isEmpty else { throw BenchError("churn: no bench pods to replace") }
        let perMinute = fraction * Double(containers)
        let perPod = Double(containers) / Double(sandboxes.count)
        let tick = 60 / max(0.01, perMinute / perPod)
        note("churn: \(containers) containers in \(sandboxes.count) pods; one pod every \(String(format: "%.2f", tick)) s")

        let clock = ContinuousClock()
        let end = clock.now.advanced(by: .seconds(duration))
        var next = clock.now
        var replacedPods = 0
        var replacedContainers = 0
        var created = 0
        var operationSeconds: [Double] = []
        var sequence = 0
        while clock.now < end, !Task.isCancelled {
            let start = ProcessMeter.now()
            let name = String(format: "churn-%05d-%d", getpid() % 100_000, sequence)
            let count: Int? = try await withPods { pods in
                guard let oldest = try await pods.sandboxes().first else { return nil }
                let count = try await pods.driver.listContainers(podID: oldest.id).count
                try await pods.destroyPod(oldest)
                try await pods.runPod(name: name, containers: max(1, count))
                return count
            }
            guard let count else { break }
            sequence += 1
            replacedPods += 1
            replacedContainers += count
            created += max(1, count)
            operationSeconds.append(ProcessMeter.now() - start)
            next = next.advanced(by: .seconds(tick))
            if next > end { break }
            try? await Task.sleep(until: next, clock: clock)
        }
        note("churn: replaced \(replacedPods) pods (\(replacedContainers) containers)")
        return ChurnRecord(
            containers: containers, fractionPerMinute: fraction, seconds: duration, podsReplaced: replacedPods,
            containersRemoved: replacedContainers, containersCreated: created,
            replaceSeconds: Summary(operationSeconds))
    }
}

struct ChurnRecord: Codable {
    var kind = "churn"
    var containers: Int
    var fractionPerMinute: Double
    var seconds: Double
    var podsReplaced: Int
    var containersRemoved: Int
    var containersCreated: Int
    /// Seconds to replace one pod.
    var replaceSeconds: Summary
}
