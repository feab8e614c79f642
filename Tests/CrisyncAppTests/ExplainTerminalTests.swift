import CRITestSupport
import Foundation
import KubeletTestSupport
import LabSupport
import Model
import RuntimeReader
import Testing

@testable import CrisyncApp

/// A real terminal: tmux runs the real `crisync-exporter explain` in a 100-column pane and
/// `capture-pane -e` shows what a person would see, colours included.
struct ExplainTmux {
    let socket = "crisync-explain-" + UUID().uuidString.prefix(8).lowercased()
    let tmux: String

    init() throws {
        tmux = try #require(ExplainProcessRunner.which("tmux"), "tmux is not installed (scripts/deps.sh test installs it)")
    }

    /// Runs `command` (a shell command line) in a fresh 100x50 pane, waits for it to finish, and
    /// returns the pane's text with its escapes (history included, wrapped lines joined) and the
    /// command's exit status.
    func run(_ command: String, timeout: Duration = .seconds(60)) async throws -> (screen: String, status: Int32) {
        let directory = try ExplainProcessRunner.temporaryDirectory("tmux")
        defer {
            _ = try? runSync(["kill-server"])
            try? FileManager.default.removeItem(at: directory)
        }
        // The pane stays (dead) after the command, so its last screen can always be read.
        let configuration = directory.appendingPathComponent("tmux.conf")
        try "set -g remain-on-exit on\nset -g history-limit 10000\n".write(to: configuration, atomically: true, encoding: .utf8)
        let script = "\(command); echo EXIT=$?"
        let started = try await ExplainProcessRunner.run(
            tmux,
            ["-L", socket, "-f", configuration.path, "new-session", "-d", "-x", "100", "-y", "50", "-s", "explain", script],
            timeout: .seconds(20))
        guard started.status == 0 else {
            throw ExplainProcessRunner.Failure(description: "tmux new-session failed: \(started.stderr)")
        }
        let deadline = ContinuousClock.now + timeout
        var last = ""
        while ContinuousClock.now < deadline {
            let capture = try await ExplainProcessRunner.run(
                tmux, ["-L", socket, "capture-pane", "-p", "-e", "-J", "-S", "-", "-t", "explain"], timeout: .seconds(20))
            let plain = strippingSGR(capture.stdout)
            last = plain + capture.stderr
            if let range = plain.range(of: #"EXIT=(\d+)"#, options: .regularExpression) {
                let status = Int32(plain[range].dropFirst("EXIT=".count)) ?? -1
                return (capture.stdout, status)
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        throw ExplainProcessRunner.Failure(description: "\(command) did not finish within \(timeout) in tmux; the pane:\n\(last)")
    }

    private func runSync(_ arguments: [String]) throws -> Int32 {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: tmux)
        process.arguments = ["-L", socket] + arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        return process.terminationStatus
    }
}

/// Shell quoting for the command lines handed to tmux.
func shellWords(_ words: [String]) -> String {
    words.map { word in
        word.allSatisfy { $0.isLetter || $0.isNumber || "-_./:=@,".contains($0) } && !word.isEmpty
            ? word : "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }.joined(separator: " ")
}

@Suite("explain: the real binary in a real terminal", .serialized)
struct ExplainTerminalTests {
    /// A procfs fixture: the exporter needs `<procfs>/stat` (boot time) to start; with the runtime
    /// down it asks about no PID.
    static func fixtureProcfs() throws -> String {
        let url = try #require(Bundle.module.url(forResource: "procfs", withExtension: nil, subdirectory: "Fixtures/explain"))
        return url.path
    }

    /// The runtime socket does not exist; the fake kubelet serves two healthy pods.
    func withRuntimeDown(_ body: ([String]) async throws -> Void) async throws {
        let kubelet = try await FakeKubelet.start()
        kubelet.setPods(ExplainScenarios.healthy.kubelet.pods)
        let flags = [
            "--runtime.endpoint", "unix:///nonexistent-crisync/containerd.sock", "--kubelet.url", kubelet.url,
            "--kubelet.token-file", "", "--kubelet.ca-file", "", "--path.procfs", try Self.fixtureProcfs(),
            "--node.name", "node-1",
        ]
        var failure: (any Error)?
        do { try await body(flags) } catch { failure = error }
        await kubelet.stop()
        if let failure { throw failure }
    }

    static func checkWidth(_ screen: String, sourceLocation: SourceLocation = #_sourceLocation) {
        for line in strippingSGR(screen).split(separator: "\n") {
            #expect(TerminalText.displayWidth(String(line)) <= 100, "too wide: \(line)", sourceLocation: sourceLocation)
        }
    }

    @Test func colouredOnATerminalAndPlainWithNoColor() async throws {
        let binary = try ExplainProcessRunner.exporterBinary()
        let tmux = try ExplainTmux()
        try await withRuntimeDown { flags in
            let command = shellWords(["env", "-u", "NO_COLOR", binary, "explain", "--all"] + flags)
            let (screen, status) = try await tmux.run(command)
            let plain = strippingSGR(screen)
            #expect(status == 2, "runtime down and nothing found: cannot tell\n\(plain)")
            #expect(screen.contains("\u{1B}["), "colours on a terminal:\n\(screen)")
            #expect(plain.contains("runtime DOWN"))
            #expect(plain.contains("does not exist (is the runtime running?)"))
            #expect(plain.contains("Cannot tell: runtime is down"))
            #expect(screen.range(of: #"\x1B\[[0-9;]*31[0-9;]*m[^\x1B]*DOWN"#, options: .regularExpression) != nil, "DOWN is red")
            Self.checkWidth(screen)

            let (noColor, noColorStatus) = try await ExplainTmux().run("NO_COLOR=1 " + shellWords([binary, "explain", "--all"] + flags))
            #expect(noColorStatus == 2)
            #expect(!noColor.contains("\u{1B}"), "NO_COLOR: no escapes even on a terminal:\n\(noColor)")
            #expect(noColor.contains("runtime DOWN"))
        }
    }

    @Test func plainWhenPipedAndTheKubeletViewStillShows() async throws {
        let binary = try ExplainProcessRunner.exporterBinary()
        try await withRuntimeDown { flags in
            var environment = Foundation.ProcessInfo.processInfo.environment
            environment["NO_COLOR"] = nil
            let outcome = try await ExplainProcessRunner.run(binary, ["explain", "default/web"] + flags, environment: environment)
            #expect(outcome.status == 2, "\(outcome.stdout)\(outcome.stderr)")
            #expect(!outcome.stdout.contains("\u{1B}"), "not a terminal: no colour")
            #expect(outcome.stdout.contains("runtime down"))
            #expect(outcome.stdout.contains("no PID: runtime down"))
            #expect(outcome.stdout.contains("container nginx"))
            #expect(outcome.stdout.contains("running"), "the kubelet's view")
            for line in outcome.stdout.split(separator: "\n") { #expect(TerminalText.displayWidth(String(line)) <= 100) }

            let json = try await ExplainProcessRunner.run(binary, ["explain", "--all", "-o", "json"] + flags)
            #expect(json.status == 2)
            let document = try ExplainJSONValue.parse(json.stdout)
            #expect(try ExplainDocs.validator().violations(of: document).isEmpty)
            #expect(document["summary"]?["verdict"] == .string("unknown"))

            let missing = try await ExplainProcessRunner.run(binary, ["explain", "default/nope"] + flags)
            #expect(missing.status == 2, "the runtime is down: the pod may exist")
            let usage = try await ExplainProcessRunner.run(binary, ["explain"] + flags)
            #expect(usage.status == 2)
            #expect(usage.stderr.contains("give NAMESPACE/POD, CONTAINER_ID or --all"))
        }
    }

    /// The root command without a subcommand is still the exporter.
    @Test func theRootCommandStillServesMetrics() async throws {
        let binary = try ExplainProcessRunner.exporterBinary()
        let help = try await ExplainProcessRunner.run(binary, ["--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("--web.listen-address"))
        #expect(help.stdout.contains("explain"), "the subcommand is listed")
        let bad = try await ExplainProcessRunner.run(binary, ["--web.listen-address", "not-an-address"], timeout: .seconds(20))
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("--web.listen-address"), "the exporter parsed its own flag: \(bad.stderr)")
    }
}

/// The incident itself, on the lab's real containerd: the shim SIGSTOPped and the container's
/// process SIGKILLed. The fake kubelet reports what a real kubelet would (still running, Ready).
@Suite(
    "explain: a real ghost container in a real terminal", .serialized,
    .enabled(if: ContainerdLab.shouldRunTests, "\(ContainerdLab.notConfiguredMessage)"))
struct ExplainLabTerminalTests {
    @Test func explainsTheGhostWithItsRealShim() async throws {
        let binary = try ExplainProcessRunner.exporterBinary()
        let lab = try ContainerdLab.required()
        let driver = try CRIDriver(lab: lab)
        let kubelet = try await FakeKubelet.start()
        let namespace = "explain-" + UUID().uuidString.prefix(6).lowercased()
        var failure: (any Error)?
        do {
            try await driver.withPod(name: "ghost", namespace: namespace) { pod in
                let id = try await driver.runContainer(in: pod, name: "app", command: ["sleep", "3600"])
                let status = try await driver.waitForContainer(id: id, state: .running)
                let pid = try #require(status.pid)
                let reader = try RuntimeReader(endpoint: "unix://" + lab.socketPath)
                let snapshot = try await reader.snapshot()
                await reader.close()
                kubelet.setPods(KubeletMirror.pods(from: snapshot).filter { $0.namespace == namespace })
                let shim = try #require(LabProcesses.shimPID(ofSandbox: pod.id, socketPath: lab.socketPath))
                let flags = [
                    "--runtime.endpoint", "unix://" + lab.socketPath, "--kubelet.url", kubelet.url,
                    "--kubelet.token-file", "", "--kubelet.ca-file", "", "--node.name", "lab-node",
                ]
                try await LabProcesses.whileStopped(shim) {
                    try LabProcesses.send(SIGKILL, to: pid)
                    #expect(await LabProcesses.wait(upTo: .seconds(5)) { LabProcesses.stateLetter(of: pid) == "Z" })
                    let command = shellWords(["env", "-u", "NO_COLOR", binary, "explain", "\(namespace)/ghost"] + flags)
                    let (screen, exit) = try await ExplainTmux().run(command)
                    let plain = strippingSGR(screen)
                    #expect(exit == 1, "a finding: exit 1\n\(plain)")
                    #expect(screen.contains("\u{1B}["), "colours on a terminal")
                    #expect(plain.contains("process_zombie"))
                    #expect(plain.contains("ready_but_dead"))
                    #expect(plain.contains("Z zombie"))
                    #expect(plain.contains("T stopped"))
                    #expect(plain.contains("kill -CONT \(shim)"), "the real shim's PID:\n\(plain)")
                    ExplainTerminalTests.checkWidth(screen)

                    let all = try await ExplainProcessRunner.run(binary, ["explain", "--all", "-o", "json"] + flags)
                    #expect(all.status == 1)
                    let document = try ExplainJSON.decoder().decode(ExplainDocumentProbe.self, from: Data(all.stdout.utf8))
                    let ghost = document.containers.first { $0.containerId == id }
                    #expect(ghost?.findings.map(\.kind) == ["process_zombie", "ready_but_dead"])
                }
            }
        } catch {
            failure = error
        }
        await kubelet.stop()
        await driver.close()
        if let failure { throw failure }
    }
}

/// The part of the documented JSON this test reads, decoded independently of the encoder's types.
struct ExplainDocumentProbe: Decodable {
    struct Container: Decodable {
        struct Finding: Decodable { var kind: String }
        var containerId: String
        var findings: [Finding]
    }
    var containers: [Container]
}
