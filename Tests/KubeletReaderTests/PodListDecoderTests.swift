import Foundation
import KubeletReader
import KubeletTestSupport
import Model
import Testing

@Suite("PodList decoding")
struct PodListDecoderTests {
    static let healthy = KubeletPod(
        name: "web-6d9f7c8b5d-x2kqp", namespace: "shop", uid: "3f1c2a7e-9b4d-4e8a-a1f2-6c5d4b3a2e10", nodeName: "node-a",
        phase: "Running", ready: true,
        containers: [
            KubeletContainerStatus(
                name: "web", containerID: "containerd://8c3f5a1b2d4e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8",
                ready: true, started: true, restartCount: 0, state: .running(startedAt: utc(2026, 11, 29, 7, 17, 22)))
        ])

    static let oomKilled = KubeletPod(
        name: "cache-5f8d6b7c9-q7w2e", namespace: "shop", uid: "6a7b8c9d-0e1f-4a2b-9c3d-4e5f6a7b8c9d", nodeName: "node-a",
        phase: "Running", ready: true,
        containers: [
            KubeletContainerStatus(
                name: "cache", containerID: "containerd://1f2e3d4c5b6a798807162534435261708f9eadbccbdae0f9e8d7c6b5a4938271",
                ready: true, started: true, restartCount: 1, state: .running(startedAt: utc(2026, 11, 29, 7, 2, 48)),
                lastTerminated: KubeletTermination(
                    exitCode: 137, reason: "OOMKilled", startedAt: utc(2026, 11, 29, 6, 40, 30),
                    finishedAt: utc(2026, 11, 29, 7, 2, 46),
                    containerID: "containerd://9a8b7c6d5e4f30211203f4e5d6c7b8a99a8b7c6d5e4f30211203f4e5d6c7b8a9"))
        ])

    static let terminating = KubeletPod(
        name: "web-6d9f7c8b5d-h8j3k", namespace: "shop", uid: "7c8d9e0f-1a2b-4c3d-8e4f-5a6b7c8d9e0f",
        deletionTimestamp: utc(2026, 11, 29, 7, 20, 30), deletionGracePeriodSeconds: 30, nodeName: "node-a",
        phase: "Running", ready: false,
        containers: [
            KubeletContainerStatus(
                name: "web", containerID: "containerd://5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d",
                ready: false, started: true, restartCount: 0, state: .running(startedAt: utc(2026, 11, 28, 22, 5, 58)))
        ])

    static let initializing = KubeletPod(
        name: "api-7b9c8d6f5-t4y6u", namespace: "shop", uid: "8d9e0f1a-2b3c-4d4e-9f5a-6b7c8d9e0f1a", nodeName: "node-a",
        phase: "Pending", ready: false,
        containers: [
            KubeletContainerStatus(
                name: "api", containerID: nil, ready: false, started: false, restartCount: 0,
                state: .waiting(reason: "PodInitializing", message: nil)),
            KubeletContainerStatus(
                name: "migrate", containerID: "containerd://2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70819",
                ready: true, started: false, restartCount: 0,
                state: .terminated(
                    KubeletTermination(
                        exitCode: 0, reason: "Completed", startedAt: utc(2026, 11, 29, 7, 15, 3),
                        finishedAt: utc(2026, 11, 29, 7, 15, 5),
                        containerID: "containerd://2a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f70819")),
                isInit: true),
            KubeletContainerStatus(
                name: "wait-for-db",
                containerID: "containerd://3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192", ready: false,
                started: true, restartCount: 0, state: .running(startedAt: utc(2026, 11, 29, 7, 15, 6)), isInit: true),
        ])

    static let crashLooping = KubeletPod(
        name: "worker-84c7b6d9f-z9x8c", namespace: "jobs", uid: "9e0f1a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b", nodeName: "node-a",
        phase: "Running", ready: false,
        containers: [
            KubeletContainerStatus(
                name: "worker", containerID: "containerd://6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e",
                ready: false, started: false, restartCount: 7,
                state: .waiting(
                    reason: "CrashLoopBackOff",
                    message:
                        "back-off 5m0s restarting failed container=worker pod=worker-84c7b6d9f-z9x8c_jobs(9e0f1a2b-3c4d-4e5f-8a6b-7c8d9e0f1a2b)"
                ),
                lastTerminated: KubeletTermination(
                    exitCode: 1, reason: "Error", message: "panic: cannot connect to queue\n",
                    startedAt: utc(2026, 11, 29, 7, 12, 40), finishedAt: utc(2026, 11, 29, 7, 12, 41),
                    containerID: "containerd://6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c4d5e"))
        ])

    @Test(
        "each real-shaped fixture decodes to exact values",
        arguments: [
            ("healthy.json", [healthy]),
            ("oomkilled.json", [oomKilled]),
            ("terminating.json", [terminating]),
            ("init-containers.json", [initializing]),
            ("crashloop.json", [crashLooping]),
            ("node.json", [healthy, oomKilled, terminating, initializing, crashLooping]),
        ])
    func decodesFixture(name: String, expected: [KubeletPod]) throws {
        let snapshot = try PodListDecoder.decode(try fixture(name))
        #expect(snapshot.pods.count == expected.count)
        for (pod, expectedPod) in zip(snapshot.pods, expected) {
            #expect(pod == expectedPod)
        }
    }

    @Test("the runtime container ID strips the containerd:// scheme")
    func runtimeContainerID() throws {
        let pod = try #require(try PodListDecoder.decode(try fixture("healthy.json")).pods.first)
        #expect(
            pod.containers.first?.runtimeContainerID == "8c3f5a1b2d4e6f708192a3b4c5d6e7f8091a2b3c4d5e6f708192a3b4c5d6e7f8")
    }

    @Test("missing fields, nulls, empty strings and unknown fields are accepted")
    func sparse() throws {
        let pods = try PodListDecoder.decode(try fixture("sparse.json")).pods
        #expect(
            pods == [
                KubeletPod(name: "bare", namespace: "default", uid: "11111111-2222-4333-8444-555555555555"),
                KubeletPod(
                    name: "sparse", namespace: "default", uid: "66666666-7777-4888-9999-000000000000", phase: "Pending",
                    containers: [
                        KubeletContainerStatus(name: "c", containerID: nil, ready: false, restartCount: 0, state: .unknown),
                        KubeletContainerStatus(
                            name: "d",
                            state: .terminated(
                                KubeletTermination(
                                    exitCode: 2, finishedAt: utc(2026, 11, 29, 7, 17, 22, nanosecond: 123_456_000)))),
                    ]),
            ])
    }

    @Test("a PodList with null items has no pods")
    func nullItems() throws {
        #expect(try PodListDecoder.decode(try fixture("empty-list.json")).pods.isEmpty)
        #expect(try PodListDecoder.decode(Data("{}".utf8)).pods.isEmpty)
    }

    @Test(
        "malformed bodies give an error naming the position or field",
        arguments: [
            ("truncated.json", ["invalid JSON (6747 bytes)", "unexpected end of input at byte 6747"]),
            ("garbage.txt", ["invalid JSON (93 bytes)", "found '<' at byte 0"]),
            ("wrong-type.json", ["items[1].status.containerStatuses[0].restartCount", "32-bit integer"]),
            ("bad-timestamp.json", ["items[0].status.containerStatuses[0].state.running.startedAt", "yesterday at noon"]),
            ("top-level-array.json", ["the top level", "an object"]),
        ])
    func rejectsMalformed(name: String, mentions: [String]) throws {
        let body = try fixture(name)
        let error = #expect(throws: PodListDecodingError.self) { try PodListDecoder.decode(body) }
        let description = try #require(error).description
        for word in mentions {
            #expect(description.contains(word), "\(description)")
        }
    }

    @Test(
        "numbers out of range or not integers are errors at their path",
        arguments: [
            (#"{"items":[{"status":{"containerStatuses":[{"restartCount":99999999999}]}}]}"#,
             "at items[0].status.containerStatuses[0].restartCount: expected a 32-bit integer, found the number 99999999999"),
            (#"{"items":[{"status":{"initContainerStatuses":[{"state":{"terminated":{"exitCode":1.5}}}]}}]}"#,
             "at items[0].status.initContainerStatuses[0].state.terminated.exitCode: expected a 32-bit integer, found the number 1.5"),
            (#"{"items":[{"metadata":{"deletionGracePeriodSeconds":"30"}}]}"#,
             "at items[0].metadata.deletionGracePeriodSeconds: expected a 64-bit integer, found the string \"30\""),
            (#"{"items":[{"status":{"containerStatuses":[{"lastState":{"terminated":{"signal":true}}}]}}]}"#,
             "at items[0].status.containerStatuses[0].lastState.terminated.signal: expected a 32-bit integer, found true"),
            (#"{"items":[{"spec":{"nodeName":7}}]}"#, "at items[0].spec.nodeName: expected a string"),
        ])
    func rejectsBadNumbers(json: String, expected: String) throws {
        let error = #expect(throws: PodListDecodingError.self) { try PodListDecoder.decode(Data(json.utf8)) }
        let description = try #require(error).description
        #expect(description.hasPrefix(expected), "\(description)")
    }

    @Test("deep nesting is an error, not a stack overflow")
    func deepNesting() throws {
        let json = #"{"items":"# + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "}"
        let error = #expect(throws: PodListDecodingError.self) { try PodListDecoder.decode(Data(json.utf8)) }
        #expect(try #require(error).description.contains("nested"))
    }

    @Test("an empty body is an error")
    func emptyBody() {
        #expect(throws: PodListDecodingError.self) { try PodListDecoder.decode(Data()) }
    }

    @Test("every prefix of a real PodList is either an error or a full decode, never a crash")
    func everyPrefix() throws {
        let body = [UInt8](try fixture("crashloop.json"))
        let complete = try PodListDecoder.decode(body)
        var decodedPrefixes = 0
        for length in stride(from: 0, to: body.count, by: 7) {
            if let snapshot = try? PodListDecoder.decode(Array(body[..<length])) {
                #expect(snapshot == complete)
                decodedPrefixes += 1
            }
        }
        #expect(decodedPrefixes <= 1)
    }

    @Test("the test-support encoder writes JSON the decoder reads back unchanged")
    func roundTrip() throws {
        let snapshot = try PodListDecoder.decode(KubeletPodListEncoder.encode(samplePods))
        #expect(snapshot.pods == samplePods)
        let fixtures = try PodListDecoder.decode(try fixture("node.json")).pods
        #expect(try PodListDecoder.decode(KubeletPodListEncoder.encode(fixtures)).pods == fixtures)
    }

    @Test("the encoder writes the real v1 field names and shape")
    func encoderShape() throws {
        let json = try #require(
            try JSONSerialization.jsonObject(with: Data(KubeletPodListEncoder.encode(samplePods))) as? [String: Any])
        #expect(json["apiVersion"] as? String == "v1")
        #expect(json["kind"] as? String == "PodList")
        let pod = try #require((json["items"] as? [[String: Any]])?.last)
        let metadata = try #require(pod["metadata"] as? [String: Any])
        #expect(metadata["deletionTimestamp"] as? String == "2026-11-29T07:30:00Z")
        #expect(metadata["deletionGracePeriodSeconds"] as? Int == 30)
        let spec = try #require(pod["spec"] as? [String: Any])
        #expect((spec["containers"] as? [[String: Any]])?.map { $0["name"] as? String } == ["cache"])
        #expect((spec["initContainers"] as? [[String: Any]])?.map { $0["name"] as? String } == ["warmup"])
        let status = try #require(pod["status"] as? [String: Any])
        let conditions = try #require(status["conditions"] as? [[String: Any]])
        #expect(conditions.contains { $0["type"] as? String == "Ready" && $0["status"] as? String == "False" })
        let container = try #require((status["containerStatuses"] as? [[String: Any]])?.first)
        let lastState = try #require(container["lastState"] as? [String: Any])
        let terminated = try #require(lastState["terminated"] as? [String: Any])
        #expect(terminated["reason"] as? String == "OOMKilled")
        #expect(terminated["exitCode"] as? Int == 137)
        #expect(container["restartCount"] as? Int == 1)
        #expect((status["initContainerStatuses"] as? [[String: Any]])?.count == 1)
    }

    /// 200 pods of ~6 KB each (the fixtures' pods, compact, with managedFields), like a busy node.
    static func largePodList() throws -> (body: Data, pods: Int) {
        let node = try #require(try JSONSerialization.jsonObject(with: try fixture("node.json")) as? [String: Any])
        let items = try #require(node["items"] as? [[String: Any]])
        var list: [[String: Any]] = []
        for copy in 0..<40 {
            for item in items {
                var item = item
                var metadata = item["metadata"] as? [String: Any] ?? [:]
                metadata["name"] = "\(metadata["name"] ?? "pod")-\(copy)"
                metadata["uid"] = UUID().uuidString.lowercased()
                item["metadata"] = metadata
                list.append(item)
            }
        }
        var wrapper = node
        wrapper["items"] = list
        return (try JSONSerialization.data(withJSONObject: wrapper), list.count)
    }

    /// A real-sized list decodes whole (its speed is measured by `make bench`, not here).
    @Test func aRealSizedPodListDecodesWhole() throws {
        let (body, count) = try Self.largePodList()
        let snapshot = try PodListDecoder.decode(body)
        #expect(snapshot.pods.count == count)
    }
}
