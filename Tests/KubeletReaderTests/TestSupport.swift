import Foundation
import KubeletReader
import KubeletTestSupport
import Model

/// Bytes of a file in `Fixtures/`.
func fixture(_ name: String) throws -> Data {
    guard let url = Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures") else {
        throw FixtureMissing(name: name)
    }
    return try Data(contentsOf: url)
}

struct FixtureMissing: Error, CustomStringConvertible {
    var name: String
    var description: String { "no fixture named \(name)" }
}

/// A UTC date built with Foundation's calendar, independently of the parser under test.
func utc(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int, _ second: Int, nanosecond: Int = 0) -> Date {
    var calendar = Calendar(identifier: .gregorian)
    calendar.timeZone = TimeZone(identifier: "UTC")!
    let components = DateComponents(
        year: year, month: month, day: day, hour: hour, minute: minute, second: second, nanosecond: nanosecond)
    return calendar.date(from: components)!
}

/// The error `readPods()` throws, or nil when it succeeds.
func readFailure(_ reader: KubeletReader) async -> KubeletReaderError? {
    do {
        _ = try await reader.readPods()
        return nil
    } catch {
        return error
    }
}

/// Runs `body` with a fake kubelet and a reader pointed at it (the configuration's URL is
/// replaced by the fake's), and always stops both.
func withFakeKubelet<T>(
    tls: FakeKubeletTLS? = nil,
    reader configuration: KubeletReaderConfiguration = KubeletReaderConfiguration(),
    _ body: (FakeKubelet, KubeletReader) async throws -> T
) async throws -> T {
    let fake = try await FakeKubelet.start(tls: tls)
    var configuration = configuration
    configuration.url = fake.url
    let reader: KubeletReader
    do {
        reader = try KubeletReader(configuration: configuration)
    } catch {
        await fake.stop()
        throw error
    }
    do {
        let result = try await body(fake, reader)
        try await reader.shutdown()
        await fake.stop()
        return result
    } catch {
        try? await reader.shutdown()
        await fake.stop()
        throw error
    }
}

/// Two pods shaped like what crisync sees: a healthy one and one whose container was OOM-killed.
let samplePods: [KubeletPod] = [
    KubeletPod(
        name: "web-1", namespace: "shop", uid: "0b7e4c1a-1111-4c2d-9e3f-000000000001", nodeName: "node-a",
        phase: "Running", ready: true,
        containers: [
            KubeletContainerStatus(
                name: "web", containerID: "containerd://" + String(repeating: "a1", count: 32), ready: true, started: true,
                state: .running(startedAt: utc(2026, 11, 29, 7, 17, 22)))
        ]),
    KubeletPod(
        name: "cache-1", namespace: "shop", uid: "0b7e4c1a-2222-4c2d-9e3f-000000000002",
        deletionTimestamp: utc(2026, 11, 29, 7, 30, 0), deletionGracePeriodSeconds: 30, nodeName: "node-a",
        phase: "Running", ready: false,
        containers: [
            KubeletContainerStatus(
                name: "cache", containerID: "containerd://" + String(repeating: "b2", count: 32), ready: false,
                started: true, restartCount: 1, state: .running(startedAt: utc(2026, 11, 29, 7, 2, 48)),
                lastTerminated: KubeletTermination(
                    exitCode: 137, reason: "OOMKilled", startedAt: utc(2026, 11, 29, 6, 40, 30),
                    finishedAt: utc(2026, 11, 29, 7, 2, 46), containerID: "containerd://" + String(repeating: "c3", count: 32))),
            KubeletContainerStatus(
                name: "warmup", containerID: "containerd://" + String(repeating: "d4", count: 32), ready: true,
                state: .terminated(
                    KubeletTermination(
                        exitCode: 0, reason: "Completed", startedAt: utc(2026, 11, 29, 6, 40, 12),
                        finishedAt: utc(2026, 11, 29, 6, 40, 14))),
                isInit: true),
        ]),
]
