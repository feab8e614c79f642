import CRITestSupport
import Foundation
import Glibc
import Logging
import Model
import RuntimeReader
import Testing

@testable import CrisyncApp

/// The exporter with a runtime that streams events (a scripted CRI server: the lab's containerd 1.6
/// has no event stream). With a 60 s interval, only an event can make the exporter refresh within seconds.
@Suite("runtime events drive refreshes and count exits", .serialized, .timeLimit(.minutes(1)))
struct RuntimeEventsTests {
    static let labels = [
        "io.kubernetes.pod.name": "cart-0", "io.kubernetes.pod.namespace": "shop", "io.kubernetes.pod.uid": "uid-1",
        "io.kubernetes.container.name": "app",
    ]

    static func listed(_ state: Runtime_V1_ContainerState) -> Runtime_V1_Container {
        var container = Runtime_V1_Container()
        container.id = "c1"
        container.podSandboxID = "sandbox-1"
        container.metadata.name = "app"
        container.state = state
        container.labels = labels
        return container
    }

    static func status(_ state: Runtime_V1_ContainerState) -> Runtime_V1_ContainerStatus {
        var status = Runtime_V1_ContainerStatus()
        status.id = "c1"
        status.metadata.name = "app"
        status.state = state
        status.labels = labels
        if state == .containerExited {
            status.exitCode = 137
            status.reason = "Error"
            status.finishedAt = 1_800_000_000_000_000_000
        }
        return status
    }

    static func stoppedEvent() -> Runtime_V1_ContainerEventResponse {
        var event = Runtime_V1_ContainerEventResponse()
        event.containerID = "c1"
        event.containerEventType = .containerStoppedEvent
        event.podSandboxStatus.id = "sandbox-1"
        event.containersStatuses = [status(.containerExited)]
        return event
    }

    static let terminated = #"crisync_container_terminations_total{namespace="shop",reason="Error",signal="SIGKILL"} "#

    @Test func anExitIsCountedOnceEvenWhenTheContainerIsRemovedBeforeTheNextListing() async throws {
        var script = ScriptedCRIRuntime.Script()
        script.eventsImplemented = true
        script.version.runtimeName = "scripted"
        script.containers = [Self.listed(.containerRunning)]
        var running = Runtime_V1_ContainerStatusResponse()
        running.status = Self.status(.containerRunning)
        running.info = ["info": #"{"pid":\#(getpid()),"sandboxID":"sandbox-1"}"#]
        script.statuses = ["c1": .success(running)]
        let runtime = try await ScriptedCRIRuntime(script: script)
        defer { Task { await runtime.stop() } }

        let options = try SourceOptions.parse([
            "--runtime.endpoint", "unix://\(runtime.socketPath)", "--kubelet.url", "http://127.0.0.1:9",
            "--kubelet.token-file", "", "--kubelet.ca-file", "",
        ])
        let server = try HTTPServerForTests.start()
        defer { server.stop() }
        let logger = Logger(label: "events-test")
        let events = RuntimeEventWatcher(
            endpoint: "unix://\(runtime.socketPath)", timeout: .seconds(2), logger: logger, retry: .milliseconds(100))
        let sources = SourceSet(options: options)
        let exporter = Exporter(
            sources: sources, configuration: options.collectorConfiguration, server: server, telemetryPath: "/metrics",
            logger: logger, events: events)
        let watching = Task { await events.run() }
        let loop = Task { await exporter.run(every: .seconds(60), minimumGap: .milliseconds(100)) }

        // Streaming, and the first refresh (the baseline) done.
        try #require(await LabProcesses.wait(upTo: .seconds(10)) { runtime.openEventStreams == 1 })
        try #require(await LabProcesses.wait(upTo: .seconds(10)) { (try? server.scrape())?.contains("crisync_source_up{source=\"runtime\"} 1") == true })
        let before = await exporter.refreshes

        // The container is killed and removed between two listings: only the event tells.
        runtime.update { $0.containers = [] }
        runtime.emit(Self.stoppedEvent())
        let counted = await LabProcesses.wait(upTo: .seconds(10)) { (try? server.scrape())?.contains(Self.terminated + "1\n") == true }
        #expect(counted, "\(String(describing: try? server.scrape()))")
        #expect(await exporter.refreshes > before, "the event brought a refresh forward")

        // The same exit again (a repeated event, and the listing that now shows it): still counted once.
        runtime.update {
            $0.containers = [Self.listed(.containerExited)]
            var exited = Runtime_V1_ContainerStatusResponse()
            exited.status = Self.status(.containerExited)
            $0.statuses["c1"] = .success(exited)
        }
        let afterFirst = await exporter.refreshes
        runtime.emit(Self.stoppedEvent())
        #expect(await eventually(.seconds(10), every: .milliseconds(50)) { await exporter.refreshes > afterFirst })
        await exporter.refresh()
        let text = try server.scrape()
        #expect(text.contains(Self.terminated + "1\n"), "\(text)")

        watching.cancel()
        loop.cancel()
        await loop.value
        await watching.value
        await sources.close()
    }

    /// containerd 1.6: the watcher notices, says so once, and the loop keeps its interval.
    @Test func withoutAnEventStreamTheLoopPollsAtItsInterval() async throws {
        let runtime = try await ScriptedCRIRuntime(script: ScriptedCRIRuntime.Script())
        defer { Task { await runtime.stop() } }
        let events = RuntimeEventWatcher(
            endpoint: "unix://\(runtime.socketPath)", timeout: .seconds(2), logger: Logger(label: "events-test"),
            retry: .milliseconds(100), unsupportedRecheck: .milliseconds(200))
        let watching = Task { await events.run() }
        // Re-probed every 200 ms: never a stream, never a wake-up.
        try await Task.sleep(for: .seconds(1))
        #expect(runtime.openEventStreams == 0)
        #expect(await !events.wakeup.wait(until: ContinuousClock.now.advanced(by: .milliseconds(300))))
        watching.cancel()
        await watching.value
    }
}
