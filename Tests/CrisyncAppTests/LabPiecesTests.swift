import Foundation
@testable import LabSupport
import Model
import Testing

@Suite("lab pieces: durations, lag, pod overrides, the state record")
struct LabPiecesTests {
    @Test(arguments: [
        ("500ms", Duration.milliseconds(500)), ("2s", .seconds(2)), ("1.5s", .milliseconds(1500)), ("1m", .seconds(60)),
        ("0", .zero), ("3", .seconds(3)), (" 10s ", .seconds(10)),
    ])
    func durationsParse(text: String, expected: Duration) throws {
        #expect(try LabDuration.parse(text) == expected)
    }

    @Test(arguments: ["", "-1s", "abc", "2x", "s", "nan", "inf"])
    func badDurationsAreRefusedByName(text: String) {
        #expect(throws: LabError.invalidDuration(text)) { try LabDuration.parse(text) }
    }

    @Test func lagServesTheNewestValueOldEnough() {
        var history = LaggedHistory<Int>()
        #expect(history.value(at: 0, lag: 2) == nil)
        history.append(0, at: 0)
        // Nothing is 2 s old yet: a kubelet that just started has only what it read first.
        #expect(history.value(at: 0.5, lag: 2) == 0)
        for second in 1...5 { history.append(second, at: Double(second)) }
        #expect(history.value(at: 5.5, lag: 2) == 3)
        #expect(history.value(at: 5.5, lag: 0) == 5)
        // Older entries can never be served again: the history stays small.
        #expect(history.count == 1)
    }

    @Test func overrideFilesNameTheirPod() throws {
        let pod = try PodReference(parsing: "demo/stuck")
        #expect(PodOverrideStore.fileName(for: pod) == "demo_stuck.json")
        #expect(PodOverrideStore.pod(fromFileName: "demo_stuck.json") == pod)
        #expect(PodOverrideStore.pod(fromFileName: ".demo_stuck.json.tmp") == nil)
        #expect(PodOverrideStore.pod(fromFileName: "nounderscore.json") == nil)
        #expect(throws: LabError.invalidPodReference("stuck")) { try PodReference(parsing: "stuck") }
        #expect(throws: LabError.invalidPodReference("a/b/c")) { try PodReference(parsing: "a/b/c") }
    }

    @Test func overrideFilesDecodeOrSayWhy() throws {
        let good = try PodOverrideStore.decode(
            Data(#"{"deletionTimestamp": "2026-11-29T07:17:22Z", "deletionGracePeriodSeconds": 30}"#.utf8), file: "f")
        #expect(good.deletionTimestamp == Date(timeIntervalSince1970: 1_795_936_642))
        #expect(good.deletionGracePeriodSeconds == 30)
        let fractional = try PodOverrideStore.decode(Data(#"{"deletionTimestamp": "2026-11-29T07:17:22.5Z"}"#.utf8), file: "f")
        #expect(fractional.deletionTimestamp == Date(timeIntervalSince1970: 1_795_936_642.5))
        #expect(try PodOverrideStore.decode(Data("{}".utf8), file: "f") == KubeletMirror.PodOverride())

        for (body, cause) in [
            (#"{"deletionTimestamp": "yesterday"}"#, "not RFC 3339"), (#"{"deletionGracePeriodSeconds": -1}"#, "negative"),
            ("not json", "not an override"),
        ] {
            do {
                _ = try PodOverrideStore.decode(Data(body.utf8), file: "/x/demo_stuck.json")
                Issue.record("accepted \(body)")
            } catch {
                #expect(error.description.contains("/x/demo_stuck.json") && error.description.contains(cause), "\(error)")
            }
        }
    }

    @Test func overrideStoreWritesReadsAndReportsBadFiles() throws {
        let directory = NSTemporaryDirectory() + "lab-overrides-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = PodOverrideStore(directory: directory)
        let deletion = Date(timeIntervalSince1970: 1_795_936_642)
        let pod = PodReference(namespace: "demo", name: "stuck")
        try store.write(.init(deletionTimestamp: deletion, deletionGracePeriodSeconds: 30), for: pod)
        try Data("{".utf8).write(to: URL(fileURLWithPath: directory + "/demo_broken.json"))

        let (overrides, problems) = store.read()
        #expect(overrides == [pod: .init(deletionTimestamp: deletion, deletionGracePeriodSeconds: 30)])
        #expect(problems.count == 1 && problems[0].contains("demo_broken.json"), "\(problems)")

        let byUID = PodOverrideStore.byUID(
            overrides,
            sandboxes: [
                RuntimeSandbox(id: "s1", name: "stuck", namespace: "demo", uid: "u1", state: .ready),
                RuntimeSandbox(id: "s2", name: "stuck", namespace: "other", uid: "u2", state: .ready),
            ])
        #expect(byUID.keys.sorted() == ["u1"])

        store.remove(for: pod)
        #expect(store.read().overrides.isEmpty)
        #expect(PodOverrideStore(directory: directory + "/missing").read().problems.isEmpty)
    }

    @Test func stateRecordSurvivesUpdatesAndNamesACorruptFile() throws {
        let directory = NSTemporaryDirectory() + "lab-state-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let store = LabStateStore(directory: directory)
        #expect(try store.read() == LabRecord())
        try store.update {
            $0.pods.append(
                .init(id: "s1", name: "ghost", namespace: "demo", uid: "u1", cgroupParent: "/lab/podu1", scenario: "ghost",
                    pendingDeletion: false))
            $0.stoppedShims.append(.init(pid: 42, sandboxID: "s1", pod: "demo/ghost"))
        }
        let count = try store.update { record -> Int in
            record.stoppedShims.removeAll()
            return record.pods.count
        }
        #expect(count == 1)
        let record = try store.read()
        #expect(record.pods.map(\.reference) == [PodReference(namespace: "demo", name: "ghost")])
        #expect(record.stoppedShims.isEmpty)

        try Data("garbage".utf8).write(to: URL(fileURLWithPath: store.recordPath))
        #expect(throws: LabError.self) { try store.read() }
        do {
            _ = try store.read()
        } catch {
            #expect(error.description.contains(store.recordPath))
        }
    }
}
