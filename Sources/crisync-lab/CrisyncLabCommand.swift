import ArgumentParser
import Foundation
import LabSupport

/// Test support for the demo and the end-to-end tests: a kubelet that mirrors the real runtime,
/// and scenarios that put the real containerd into the states crisync detects.
@main
struct CrisyncLabCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "crisync-lab",
        abstract: "A mirror kubelet and divergence scenarios on a real containerd, for crisync's demo and tests.",
        discussion: """
            The kubelet cannot run on a test machine: `crisync-lab kubelet` stands in for it, serving \
            what a kubelet would report for the pods the runtime runs. `crisync-lab scenario ...` \
            creates pods through CRI and breaks them on purpose; it records what it did in \
            --state-dir so that `scenario release` and `scenario cleanup` undo exactly that, by PID.
            """,
        subcommands: [KubeletCommand.self, ScenarioCommand.self])
}

/// Options every scenario command takes: where the runtime is and where the record is kept.
struct LabOptions: ParsableArguments {
    @Option(name: .customLong("runtime.endpoint"), help: "CRI endpoint of the lab's containerd (unix:///path).")
    var runtimeEndpoint = "unix://" + (ProcessInfo.processInfo.environment["CRISYNC_CRI_SOCK"] ?? "/tmp/crisync-lab/run/containerd.sock")

    @Option(help: "Directory recording what the scenarios did (shared with `crisync-lab kubelet --state-dir`).")
    var stateDir: String

    @Option(
        help: "Cgroup parent of the lab's pods (default: $CRISYNC_CGROUP_ROOT, else the one containerd.sh recorded, else /crisync-lab).")
    var cgroupRoot: String?

    var socketPath: String {
        runtimeEndpoint.hasPrefix("unix://") ? String(runtimeEndpoint.dropFirst("unix://".count)) : runtimeEndpoint
    }

    func validate() throws {
        guard socketPath.hasPrefix("/") else {
            throw ValidationError("--runtime.endpoint must be unix:///path/to/socket, got \"\(runtimeEndpoint)\"")
        }
        if let cgroupRoot, !cgroupRoot.hasPrefix("/") || cgroupRoot == "/" {
            throw ValidationError("--cgroup-root must be a dedicated cgroup such as /crisync-lab, got \"\(cgroupRoot)\"")
        }
    }

    /// Runs `body` with scenarios on the lab's containerd; closes the CRI connection afterwards.
    func withScenarios<Result>(_ body: (LabScenarios) async throws -> Result) async throws -> Result {
        let scenarios = try LabScenarios.connect(
            socketPath: socketPath, cgroupRoot: cgroupRoot, stateDirectory: stateDir, log: LabLog.line)
        do {
            let result = try await body(scenarios)
            await scenarios.close()
            return result
        } catch {
            await scenarios.close()
            throw error
        }
    }
}

/// Lines for the user on stderr, timestamped, flushed at once (scripts tail them into logs).
enum LabLog {
    @Sendable static func line(_ text: String) {
        let time = Date().formatted(.iso8601.time(includingFractionalSeconds: false))
        FileHandle.standardError.write(Data("crisync-lab \(time) \(text)\n".utf8))
    }
}
