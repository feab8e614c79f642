import ArgumentParser
import Foundation
import LabSupport

/// `crisync-lab scenario ...`: create pods on the real containerd and break them on purpose.
struct ScenarioCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scenario",
        abstract: "Create healthy and broken pods on the lab's containerd; release and clean them up.",
        discussion: """
            Each command prints one line per thing it made on stdout (key=value) and its steps on \
            stderr, and records pods, stopped shims and controller PIDs in --state-dir first, so \
            `release` and `cleanup` act on exactly those, by ID and PID, even after a crash.
            """,
        subcommands: [
            Healthy.self, Ghost.self, StuckTerminating.self, OOMLoop.self, Release.self, Cleanup.self, Show.self,
        ])

    struct Healthy: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Pods web-0.. with one sleeping container `app` each.")
        @OptionGroup var lab: LabOptions
        @Option(help: "How many pods.") var count = 3
        @Option(help: "Their namespace.") var namespace = LabScenarios.defaultNamespace

        func run() async throws {
            let pods = try await lab.withScenarios { try await $0.healthy(count: count, namespace: namespace) }
            for pod in pods { print("healthy pod=\(pod.reference) uid=\(pod.uid) sandbox_id=\(pod.id)") }
        }
    }

    struct Ghost: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A container CRI reports RUNNING whose process is a zombie (shim SIGSTOPped, process SIGKILLed).")
        @OptionGroup var lab: LabOptions
        @Option(help: "Pod name.") var name = "ghost"
        @Option(help: "Pod namespace.") var namespace = LabScenarios.defaultNamespace

        func run() async throws {
            let ghost = try await lab.withScenarios { try await $0.ghost(name: name, namespace: namespace) }
            print(line("ghost", ghost))
        }
    }

    struct StuckTerminating: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "stuck-terminating",
            abstract: "A pod being deleted (deletionTimestamp in the past) that cannot stop: its shim is SIGSTOPped.",
            discussion: "The deletion is an override the mirror kubelet reads from --state-dir; `release` finishes it.")
        @OptionGroup var lab: LabOptions
        @Option(help: "Pod name.") var name = "stuck"
        @Option(help: "Pod namespace.") var namespace = LabScenarios.defaultNamespace
        @Option(help: "zombie: the container's process is killed too (blocked_by process_zombie); running: it keeps running.")
        var blockedBy = "zombie"
        @Option(help: "How long ago the deletion deadline passed.") var overdue = "120s"

        func validate() throws {
            guard LabScenarios.Blocker(rawValue: blockedBy) != nil else {
                throw ValidationError("--blocked-by must be zombie or running, got \"\(blockedBy)\"")
            }
            do { _ = try LabDuration.parse(overdue) } catch { throw ValidationError("--overdue: \(error)") }
        }

        func run() async throws {
            let stuck = try await lab.withScenarios {
                try await $0.stuckTerminating(
                    name: name, namespace: namespace, blockedBy: LabScenarios.Blocker(rawValue: blockedBy)!,
                    overdue: try LabDuration.parse(overdue))
            }
            print(line("stuck-terminating", stuck))
        }
    }

    struct OOMLoop: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "oom-loop",
            abstract: "16 MiB containers OOM-killed again and again.",
            discussion: """
                Container `worker` keeps running while a child it starts every --child-every is \
                OOM-killed; container `leaky` is OOM-killed at start. With --restart-every > 0 the \
                command stays in the foreground as leaky's restart policy, recreating it with \
                attempt+1 that long after each exit, until SIGTERM (`cleanup` sends it) or \
                --max-restarts.
                """)
        @OptionGroup var lab: LabOptions
        @Option(help: "Pod name.") var name = "oom-loop"
        @Option(help: "Pod namespace.") var namespace = LabScenarios.defaultNamespace
        @Option(help: "Pause between the worker's memory hogs.") var childEvery = "5s"
        @Option(help: "Restart leaky this long after each exit; 0 to create it once and return.") var restartEvery = "10s"
        @Option(help: "Stop restarting after this many restarts.") var maxRestarts = Int.max

        func validate() throws {
            do {
                _ = try LabDuration.parse(childEvery)
                _ = try LabDuration.parse(restartEvery)
            } catch {
                throw ValidationError("\(error)")
            }
            guard maxRestarts >= 0 else { throw ValidationError("--max-restarts must not be negative") }
        }

        func run() async throws {
            let every = try LabDuration.parse(restartEvery)
            try await lab.withScenarios { scenarios in
                let loop = try await scenarios.oomLoop(name: name, namespace: namespace, childEvery: try LabDuration.parse(childEvery))
                print(
                    "oom-loop pod=\(loop.record.reference) uid=\(loop.record.uid) worker_id=\(loop.workerID) "
                        + "leaky_id=\(loop.leakyIDs.last ?? "")")
                fflush(nil)
                if every > .zero { try await scenarios.restartLoop(loop, every: every, maxRestarts: maxRestarts) }
            }
        }
    }

    struct Release: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "SIGCONT the shims the scenarios stopped; pods marked deleted then finish terminating.")
        @OptionGroup var lab: LabOptions
        @Flag(help: "Keep pods marked deleted (do not finish their deletion).") var keepDeleted = false

        func run() async throws {
            let report = try await lab.withScenarios { await $0.release(finishDeletions: !keepDeleted) }
            try finish(report, "release")
        }
    }

    struct Cleanup: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Stop scenario controllers, release shims, remove every recorded pod and override.")
        @OptionGroup var lab: LabOptions

        func run() async throws {
            let report = try await lab.withScenarios { await $0.cleanup() }
            try finish(report, "cleanup")
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Print the state directory's record.")
        @Option(help: "The state directory.") var stateDir: String

        func run() throws {
            let record = try LabStateStore(directory: stateDir).read()
            for pod in record.pods {
                print("pod=\(pod.reference) scenario=\(pod.scenario) sandbox_id=\(pod.id) pending_deletion=\(pod.pendingDeletion)")
            }
            for shim in record.stoppedShims { print("stopped_shim pid=\(shim.pid) pod=\(shim.pod)") }
            for controller in record.controllers { print("controller pid=\(controller.pid) scenario=\(controller.scenario)") }
        }
    }
}

private func line(_ scenario: String, _ stopped: LabScenarios.StoppedContainer) -> String {
    "\(scenario) pod=\(stopped.pod.reference) uid=\(stopped.pod.uid) container=\(stopped.containerName) "
        + "container_id=\(stopped.containerID) pid=\(stopped.pid) shim_pid=\(stopped.shimPID)"
}

/// Prints the report's summary; fails (exit 1) when something could not be undone.
private func finish(_ report: LabScenarios.TeardownReport, _ what: String) throws {
    print(
        "\(what) continued_shims=\(report.continuedShims.count) stopped_controllers=\(report.stoppedControllers.count) "
            + "removed_pods=\(report.removedPods.count) problems=\(report.problems.count)")
    for problem in report.problems { LabLog.line("\(what): \(problem)") }
    if !report.problems.isEmpty { throw ExitCode.failure }
}
