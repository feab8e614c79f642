import CRITestSupport
import Foundation
import Glibc
import KubeletTestSupport
import Testing

/// A private containerd for the fault tests, from the project's own script, in its own directory
/// and cgroup root: these tests stop, freeze and kill it, so it must never be the shared lab.
struct FaultLab: Sendable {
    let directory: String
    let cgroupRoot: String
    var socket: String { directory + "/run/containerd.sock" }
    var containerdLab: ContainerdLab { ContainerdLab(socketPath: socket, cgroupRoot: cgroupRoot) }

    init(_ name: String) {
        directory = "/tmp/crisync-fault-\(getpid())-\(name)"
        cgroupRoot = "/crisync-fault-\(getpid())-\(name)"
    }

    func start() throws { try run("start") }
    func stop() throws { try run("stop") }

    /// containerd's PID from `<lab>/run/containerd.pid`, if it is running.
    func containerdPID() -> Int32? { containerdLab.containerdPID() }

    private func run(_ verb: String) throws {
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("scripts/containerd.sh").path
        var environment = Foundation.ProcessInfo.processInfo.environment
        environment["CRISYNC_LAB"] = directory
        environment["CRISYNC_CGROUP_ROOT"] = cgroupRoot
        let result = try BlockingCommand.run(["/bin/bash", script, verb], environment: environment)
        guard result.status == 0 else { throw ScenarioError("containerd.sh \(verb) (\(directory)) failed: \(result.output)") }
    }
}

/// A private containerd, a CRI driver for it and a plain-HTTP fake kubelet serving no pods, torn
/// down (the lab stopped and its directory removed) whatever the test did.
struct FaultRig: Sendable {
    let lab: FaultLab
    let driver: CRIDriver
    let kubelet: FakeKubelet
    let scratch: KubeletTestSupport.TemporaryDirectory

    static func with(_ name: String, _ body: (FaultRig) async throws -> Void) async throws {
        _ = try ContainerdLab.required()  // lab tests are enabled (make test / CI)
        let lab = FaultLab(name)
        try lab.start()
        let scratch = try KubeletTestSupport.TemporaryDirectory(prefix: "crisync-fault-\(name)")
        var failure: (any Error)?
        do {
            let driver = try CRIDriver(lab: lab.containerdLab)
            let kubelet = try await FakeKubelet.start()
            kubelet.setPods([])
            do {
                try await body(FaultRig(lab: lab, driver: driver, kubelet: kubelet, scratch: scratch))
            } catch {
                failure = error
            }
            await kubelet.stop()
            await driver.close()
        } catch {
            failure = failure ?? error
        }
        // A frozen containerd cannot be stopped: the tests SIGCONT it themselves, this is the net.
        if let pid = lab.containerdPID() { kill(pid, SIGCONT) }
        do { try lab.stop() } catch { failure = failure ?? error }
        try? FileManager.default.removeItem(atPath: lab.directory)
        scratch.remove()
        if let failure { throw failure }
    }

    /// The exporter binary against this rig's containerd and (by default) its fake kubelet, with
    /// short intervals so faults show within seconds.
    /// `kubeletArguments` replace the default `--kubelet.*` flags (the fake kubelet, no token, no CA).
    /// `wrapper` runs the binary through another command (e.g. `setpriv ... --`).
    func startExporter(_ extraArguments: [String] = [], kubeletArguments: [String]? = nil, wrapper: [String] = []) throws
        -> ExporterProcess
    {
        try ExporterProcess.start(
            [
                "--collector.interval", "1s", "--runtime.timeout", "1s", "--runtime.endpoint", "unix://\(lab.socket)",
                "--divergence.min-age", "1s", "--path.procfs", "/proc", "--path.cgroupfs", "/sys/fs/cgroup",
            ] + (kubeletArguments ?? ["--kubelet.url", kubelet.url, "--kubelet.token-file", "", "--kubelet.ca-file", ""])
                + extraArguments,
            in: scratch.path, wrapper: wrapper)
    }
}

/// The real `crisync-exporter` binary running in the background: spawned with posix_spawn in its
/// own process group (Foundation's `Process.waitUntilExit` can hang in async tests), stderr (the
/// logfmt log) to a file, listening on a free loopback port it reports in its "listening" line.
struct ExporterProcess: Sendable {
    let pid: pid_t
    let port: Int
    let logPath: String

    static func start(_ arguments: [String], in directory: String, wrapper: [String] = []) throws -> ExporterProcess {
        let executable = try ExplainProcessRunner.exporterBinary()
        let logPath = directory + "/exporter-\(UInt32.random(in: 0..<UInt32.max)).log"
        let all = wrapper + [executable, "--web.listen-address", "127.0.0.1:0", "--log.level", "info"] + arguments
        let pid: pid_t
        do {
            pid = try Spawn.start(all, stdoutPath: logPath)
        } catch {
            throw ScenarioError("cannot start \(all[0]): \(error)")
        }

        // The port, from `msg=listening ... port=N`.
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline {
            let log = (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? ""
            if let line = log.split(separator: "\n").first(where: { $0.contains("msg=listening") }),
                let field = line.split(separator: " ").first(where: { $0.hasPrefix("port=") }),
                let port = Int(field.dropFirst("port=".count))
            {
                let exporter = ExporterProcess(pid: pid, port: port, logPath: logPath)
                // Listening comes a moment before the first publish, and /metrics answers 503
                // ("starting") in between: a test's first scrape must not race it.
                while ContinuousClock.now < deadline, exporter.isRunning,
                    (try? exporter.get("/metrics", timeoutSeconds: 2).status) ?? 0 == 503
                {
                    usleep(20_000)
                }
                return exporter
            }
            if LabProcesses.stateLetter(of: pid) == nil || LabProcesses.stateLetter(of: pid) == "Z" { break }
            usleep(20_000)
        }
        kill(pid, SIGKILL)
        var status: Int32 = 0
        waitpid(pid, &status, 0)
        throw ScenarioError("the exporter did not start listening: \((try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "")")
    }

    /// Alive and not exited (an exited child stays a zombie until `stop` reaps it).
    var isRunning: Bool {
        guard let state = LabProcesses.stateLetter(of: pid) else { return false }
        return state != "Z"
    }

    var log: String { (try? String(contentsOfFile: logPath, encoding: .utf8)) ?? "" }

    /// Log lines carrying all of `fields` (e.g. `msg="source down"`, `source=kubelet`).
    func logLines(with fields: [String]) -> [String] {
        log.split(separator: "\n").map(String.init).filter { line in fields.allSatisfy { line.contains($0) } }
    }

    /// `Threads:` of /proc/<pid>/status.
    var threads: Int {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("Threads:") } ?? ""
        return Int(line.split(whereSeparator: \.isWhitespace).dropFirst().first ?? "") ?? -1
    }

    /// Entries of /proc/<pid>/fd.
    var openDescriptors: Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? -1
    }

    /// `VmRSS:` of /proc/<pid>/status, in KiB.
    var residentKiB: Int {
        let status = (try? String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)) ?? ""
        let line = status.split(separator: "\n").first { $0.hasPrefix("VmRSS:") } ?? ""
        return Int(line.split(whereSeparator: \.isWhitespace).dropFirst().first ?? "") ?? -1
    }

    func get(_ path: String, timeoutSeconds: Double = 10) throws -> HTTPAnswer {
        try HTTPAnswer.get("http://127.0.0.1:\(port)\(path)", timeoutSeconds: timeoutSeconds)
    }

    /// One scrape of /metrics that must succeed.
    func metrics() throws -> MetricsText {
        let answer = try get("/metrics")
        guard answer.status == 200 else { throw ScenarioError("GET /metrics: \(answer.status) after \(answer.seconds) s") }
        return MetricsText(answer.body)
    }

    /// The current scrape (or why there is none), for failure messages.
    var dump: String {
        do { return try metrics().text } catch { return "\(error)" }
    }

    /// SIGTERM, then SIGKILL if it has not exited within 10 s; reaps it. Returns the exit status
    /// (128+N for a signal).
    @discardableResult
    func stop() -> Int32 {
        kill(pid, SIGTERM)
        var status: Int32 = 0
        let deadline = ContinuousClock.now + .seconds(10)
        while waitpid(pid, &status, WNOHANG) == 0 {
            if ContinuousClock.now >= deadline {
                kill(pid, SIGKILL)
                waitpid(pid, &status, 0)
                break
            }
            usleep(20_000)
        }
        return status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f)
    }
}

/// One HTTP answer, fetched by curl (a real client) with a deadline.
struct HTTPAnswer: Sendable {
    /// 0 when no answer came (refused, timed out).
    var status: Int
    /// curl's `time_total`: from connecting to the last byte.
    var seconds: Double
    var body: String

    static func get(_ url: String, timeoutSeconds: Double = 10, headers: [String] = []) throws -> HTTPAnswer {
        let bodyPath = NSTemporaryDirectory() + "crisync-fault-body-\(getpid())-\(UInt32.random(in: 0..<UInt32.max))"
        defer { unlink(bodyPath) }
        let result = try BlockingCommand.run(
            ["curl", "-s", "--noproxy", "*", "--max-time", String(timeoutSeconds), "-o", bodyPath, "-w", "%{http_code} %{time_total}"]
                + headers.flatMap { ["-H", $0] } + [url])
        let fields = result.output.split(separator: " ")
        return HTTPAnswer(
            status: fields.first.flatMap { Int($0) } ?? 0, seconds: fields.dropFirst().first.flatMap { Double($0) } ?? -1,
            body: (try? String(contentsOfFile: bodyPath, encoding: .utf8)) ?? "")
    }
}

/// A scrape in the Prometheus text format, looked up by series.
struct MetricsText: Sendable {
    let text: String

    init(_ text: String) { self.text = text }

    /// The value of the series written exactly `series` (`name` or `name{labels}` as exported).
    func value(_ series: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(series + " ") {
            return Double(line.dropFirst(series.count + 1).split(separator: " ").first ?? "")
        }
        return nil
    }

    /// Values of the series of `family` whose label text contains every one of `labels`.
    func values(_ family: String, with labels: [String]) -> [Double] {
        text.split(separator: "\n").filter { line in
            line.hasPrefix(family + "{") && labels.allSatisfy { line.contains($0) }
        }.compactMap {
            $0.split(separator: " ").last.flatMap { Double($0) }
        }
    }

    func up(_ source: String) -> Double? { value("crisync_source_up{source=\"\(source)\"}") }
    func duration(_ source: String) -> Double? { value("crisync_source_duration_seconds{source=\"\(source)\"}") }
    var refreshTimestamp: Double? { value("crisync_refresh_timestamp_seconds") }
    func divergentContainers(_ kind: String) -> Double? { value("crisync_divergent_containers{kind=\"\(kind)\"}") }

    /// `crisync_container_divergence_seconds` of one container and kind, if exported.
    func divergenceSeconds(containerID: String, kind: String) -> Double? {
        values("crisync_container_divergence_seconds", with: ["container_id=\"\(containerID)\"", "kind=\"\(kind)\""]).first
    }
}

/// Polls `condition` every `pause` until it holds or `timeout` passes; returns whether it held.
func eventually(
    _ timeout: Duration, every pause: Duration = .milliseconds(250), _ condition: () async throws -> Bool
) async -> Bool {
    let deadline = ContinuousClock.now + timeout
    while true {
        if (try? await condition()) == true { return true }
        guard ContinuousClock.now < deadline else { return false }
        try? await Task.sleep(for: pause)
    }
}

/// Seconds since the epoch (the clock of `crisync_refresh_timestamp_seconds`).
func epochSeconds() -> Double { Date().timeIntervalSince1970 }
