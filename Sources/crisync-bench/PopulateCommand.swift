import ArgumentParser
import Foundation

/// `crisync-bench populate`: grows the bench's containerd to a number of running containers.
struct PopulateCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "populate",
        abstract: "Create pods of busybox sleepers until the runtime holds --containers containers.",
        discussion: "Pods are created by --workers concurrent workers, --per-pod containers each (the last pod may hold fewer).")

    @Option(help: "CRI socket path of the bench's containerd.") var socket: String
    @Option(name: .customLong("cgroup-root"), help: "Cgroup parent of the pods.") var cgroupRoot: String
    @Option(help: "Containers the runtime should hold when done.") var containers: Int
    @Option(name: .customLong("per-pod"), help: "Containers per new pod.") var perPod: Int
    @Option(help: "Pods created at once.") var workers = 4

    func validate() throws {
        guard containers > 0, perPod > 0, workers > 0 else { throw ValidationError("counts must be positive") }
    }

    func run() async throws {
        let counter = try BenchPods(socketPath: socket, cgroupRoot: cgroupRoot)
        let existing: Int
        let firstIndex: Int
        do {
            try await counter.waitUntilReady()
            existing = try await counter.containerCount()
            firstIndex = try await counter.sandboxes().count
        } catch {
            await counter.close()
            throw error
        }
        await counter.close()
        let missing = containers - existing
        guard missing > 0 else {
            note("populate: already \(existing) containers")
            return
        }
        var plan: [(name: String, containers: Int)] = []
        var left = missing
        while left > 0 {
            let count = min(perPod, left)
            plan.append((String(format: "svc-%04d", firstIndex + plan.count), count))
            left -= count
        }
        let start = ProcessMeter.now()
        note("populate: \(existing) → \(containers) containers: \(plan.count) pods of up to \(perPod), \(workers) at a time")
        // A fresh connection for every few pods: containerd's gRPC server answers most calls with a
        // BDP PING, and swift-nio-http2 (1.46) tears a connection down with ENHANCE_YOUR_CALM once it
        // has received more than 200 PING/SETTINGS frames within 30 s. 150 calls per connection stay clear.
        let podsPerConnection = max(1, 150 / (1 + 2 * perPod))
        var done = 0
        for batchStart in stride(from: 0, to: plan.count, by: podsPerConnection) {
            let batch = plan[batchStart..<min(plan.count, batchStart + podsPerConnection)]
            let pods = try BenchPods(socketPath: socket, cgroupRoot: cgroupRoot)
            do {
                try await create(batch, with: pods)
            } catch {
                await pods.close()
                throw error
            }
            await pods.close()
            done += batch.count
            note("populate: \(done)/\(plan.count) pods")
        }
        let verify = try BenchPods(socketPath: socket, cgroupRoot: cgroupRoot)
        let now = try await verify.containerCount()
        await verify.close()
        note("populate: \(now) containers after \(String(format: "%.1f", ProcessMeter.now() - start)) s")
        guard now >= containers else { throw BenchError("populate: only \(now) containers, wanted \(containers)") }
    }

    private func create(_ batch: ArraySlice<(name: String, containers: Int)>, with pods: BenchPods) async throws {
        try await withThrowingTaskGroup(of: Void.self) { group in
            var pending = batch
            func startNext() {
                guard let next = pending.popFirst() else { return }
                group.addTask { try await pods.runPod(name: next.name, containers: next.containers) }
            }
            for _ in 0..<workers { startNext() }
            while try await group.next() != nil { startNext() }
        }
    }
}
