import CRITestSupport
import GRPCCore
import Model
import RuntimeReader
import Testing

/// Answers the lab's containerd 1.6 cannot give on demand, from a scripted CRI server on a unix
/// socket (real gRPC, real client): a failing ContainerStatus, a malformed info JSON, an event stream.
@Suite("runtime reader against a scripted CRI server", .timeLimit(.minutes(1)))
struct ScriptedRuntimeTests {
    static func container(_ id: String, state: Runtime_V1_ContainerState = .containerRunning) -> Runtime_V1_Container {
        var container = Runtime_V1_Container()
        container.id = id
        container.podSandboxID = "sandbox-1"
        container.metadata.name = id
        container.state = state
        container.labels = ["io.kubernetes.pod.name": "web-0", "io.kubernetes.container.name": id]
        return container
    }

    static func status(
        _ id: String, state: Runtime_V1_ContainerState = .containerRunning, info: String?
    ) -> Result<Runtime_V1_ContainerStatusResponse, RPCError> {
        var response = Runtime_V1_ContainerStatusResponse()
        response.status.id = id
        response.status.state = state
        response.status.exitCode = state == .containerExited ? 2 : 0
        if let info { response.info = ["info": info] }
        return .success(response)
    }

    static func info(pid: Int) -> String {
        #"{"sandboxID":"sandbox-1","pid":\#(pid),"runtimeSpec":{"linux":{"cgroupsPath":"/kubepods/pod1/c"}}}"#
    }

    @Test func oneFailingContainerStatusDoesNotFailTheSnapshot() async throws {
        var script = ScriptedCRIRuntime.Script()
        script.version.runtimeName = "scripted"
        script.containers = [
            Self.container("ok"), Self.container("missing"), Self.container("garbled"), Self.container("vanished"),
        ]
        script.statuses = [
            "ok": Self.status("ok", info: Self.info(pid: 101)), "garbled": Self.status("garbled", info: "{not json"),
            "missing": .failure(RPCError(code: .internalError, message: "ttrpc: closed (shim of missing)")),
        ]  // "vanished" has no answer: NOT_FOUND, as for a container removed after ListContainers
        let runtime = try await ScriptedCRIRuntime(script: script)
        let reader = try RuntimeReader(endpoint: runtime.socketPath)
        let endpoint = "unix://" + runtime.socketPath

        let first = try await reader.refresh()
        let byID = Dictionary(uniqueKeysWithValues: first.snapshot.containers.map { ($0.id, $0) })
        #expect(byID.count == 3, "the vanished container is left out")
        #expect(first.vanished == ["vanished"])
        #expect(byID["ok"]?.status?.pid == 101 && byID["ok"]?.status?.cgroupsPath == "/kubepods/pod1/c")
        #expect(byID["missing"]?.status == nil)
        #expect(byID["missing"]?.labels.podName == "web-0")
        guard case .rpcFailed(endpoint, "ContainerStatus", "internalError", let message)? = first.containerStatusErrors["missing"] else {
            Issue.record("missing: \(String(describing: first.containerStatusErrors["missing"]))")
            return
        }
        #expect(message.contains("missing"))
        // Malformed info: the CRI fields stay, the info fields are nil, the error is reported.
        #expect(byID["garbled"]?.status?.state == .running && byID["garbled"]?.status?.pid == nil)
        guard case .malformedInfo(endpoint, "garbled", _)? = first.containerStatusErrors["garbled"] else {
            Issue.record("garbled: \(String(describing: first.containerStatusErrors["garbled"]))")
            return
        }
        #expect(first.containerStatusErrors["ok"] == nil)
        #expect(first.problems.count == 2)
        #expect(first.calls[.containerStatus] == 4)

        // Next refresh: only the failed one is asked again; the malformed one stays cached and reported.
        runtime.update { $0.containers.removeAll { $0.id == "vanished" } }
        let second = try await reader.refresh()
        #expect(second.calls[.containerStatus] == 1 && second.calls.total == 3)
        #expect(second.vanished.isEmpty)
        #expect(second.containerStatusErrors.keys.sorted() == ["garbled", "missing"])

        runtime.update { $0.statuses["missing"] = Self.status("missing", info: Self.info(pid: 202)) }
        let third = try await reader.refresh()
        #expect(third.snapshot.containers.first { $0.id == "missing" }?.status?.pid == 202)
        #expect(third.containerStatusErrors.keys.sorted() == ["garbled"])
        #expect(runtime.callCounts[.containerStatus] == reader.callCounts[.containerStatus])

        // A state change means a new ContainerStatus; a removed container leaves the cache.
        runtime.update {
            $0.containers = [Self.container("ok", state: .containerExited), Self.container("missing")]
            $0.statuses["ok"] = Self.status("ok", state: .containerExited, info: #"{"pid":0}"#)
        }
        let fourth = try await reader.refresh()
        #expect(fourth.calls[.containerStatus] == 1)
        let ok = try #require(fourth.snapshot.containers.first { $0.id == "ok" }?.status)
        #expect(ok.state == .exited && ok.exitCode == 2 && ok.pid == nil)
        runtime.update { $0.containers.append(Self.container("garbled")) }
        #expect(try await reader.refresh().calls[.containerStatus] == 1, "garbled was evicted, so it is asked again")

        await reader.close()
        await runtime.stop()
    }

    @Test func failingVersionAndStatusKeepTheSnapshot() async throws {
        var script = ScriptedCRIRuntime.Script()
        script.containers = [Self.container("a")]
        script.statuses = ["a": Self.status("a", info: Self.info(pid: 7))]
        script.runtimeInfoError = RPCError(code: .internalError, message: "status broke")
        let runtime = try await ScriptedCRIRuntime(script: script)
        let reader = try RuntimeReader(endpoint: runtime.socketPath)

        let refresh = try await reader.refresh()
        #expect(refresh.snapshot.containers.first?.status?.pid == 7)
        #expect(refresh.snapshot.version == nil)
        #expect(refresh.runtimeInfoError == .rpcFailed(
            endpoint: "unix://" + runtime.socketPath, method: "Version", code: "internalError", message: "status broke"))
        let next = try await reader.refresh()
        #expect(next.runtimeInfoError == nil && next.calls.total == 2, "not retried before the interval")
        await reader.close()
        await runtime.stop()
    }

    @Test func eventsAreStreamedWhereSupported() async throws {
        var script = ScriptedCRIRuntime.Script()
        script.eventsImplemented = true
        let runtime = try await ScriptedCRIRuntime(script: script)
        let client = try CRIClient(endpoint: CRIEndpoint(socketPath: runtime.socketPath))
        #expect(await client.eventsSupport() == .supported)
        #expect(await LabProcesses.wait(upTo: .seconds(5)) { runtime.openEventStreams == 0 }, "the probe's stream ended")

        let (received, sink) = AsyncStream.makeStream(of: RuntimeContainerEvent.self)
        let watcher = Task {
            try await client.watchContainerEvents { event in sink.yield(event) }
        }
        defer { watcher.cancel() }
        try #require(await LabProcesses.wait(upTo: .seconds(5)) { runtime.openEventStreams == 1 })
        // Never wait forever for events that do not come.
        let timer = Task {
            try await Task.sleep(for: .seconds(10))
            sink.finish()
        }
        defer { timer.cancel() }
        for (id, type) in [("c1", Runtime_V1_ContainerEventType.containerStartedEvent), ("c1", .containerStoppedEvent)] {
            var event = Runtime_V1_ContainerEventResponse()
            event.containerID = id
            event.containerEventType = type
            event.createdAt = 5
            event.podSandboxStatus.id = "sandbox-1"
            runtime.emit(event)
        }
        var events: [RuntimeContainerEvent] = []
        for await event in received {
            events.append(event)
            if events.count == 2 { break }
        }
        #expect(events == [
            RuntimeContainerEvent(containerID: "c1", kind: .started, createdAtNanos: 5, sandboxID: "sandbox-1"),
            RuntimeContainerEvent(containerID: "c1", kind: .stopped, createdAtNanos: 5, sandboxID: "sandbox-1"),
        ])
        watcher.cancel()
        _ = await watcher.result
        await client.close()
        await runtime.stop()
    }

    @Test func unimplementedEventsAreUnsupported() async throws {
        let runtime = try await ScriptedCRIRuntime()
        let client = try CRIClient(endpoint: CRIEndpoint(socketPath: runtime.socketPath))
        #expect(await client.eventsSupport() == .unsupported)
        #expect(runtime.callCounts[.getContainerEvents] == 1)
        await client.close()
        await runtime.stop()
    }
}
