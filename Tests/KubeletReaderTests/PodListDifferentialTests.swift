import Foundation
import KubeletReader
import Model
import Testing

/// `PodListDecoder` against the `JSONDecoder`-based decoder it replaced (`ReferencePodListDecoder`):
/// the same snapshot for every body, or both refuse it. The one allowed difference: the new
/// decoder also refuses bodies that are not strict JSON in places the reference never looked at
/// (see ``Agreement/onlyStrictRefused``).
@Suite("PodListDecoder against the JSONDecoder reference")
struct PodListDifferentialTests {
    static let fixtures = [
        "healthy.json", "oomkilled.json", "terminating.json", "init-containers.json", "crashloop.json", "node.json",
        "sparse.json", "empty-list.json", "truncated.json", "garbage.txt", "wrong-type.json", "bad-timestamp.json",
        "top-level-array.json",
    ]

    @Test("every fixture: the same snapshot or both refuse", arguments: fixtures)
    func fixtureBodies(name: String) throws {
        var tally = AgreementTally()
        tally.compare([UInt8](try fixture(name)), name)
        #expect(tally.disagreements.isEmpty, "\(tally.disagreements)")
    }

    @Test("a compact 200-pod PodList gives the same snapshot")
    func largeBody() throws {
        let body = [UInt8](try PodListDecoderTests.largePodList().body)
        #expect(try compareDecoders(body).get() == .sameSnapshot)
    }

    @Test("generated PodLists give the same snapshot", arguments: 0..<8)
    func generated(batch: UInt64) throws {
        var tally = AgreementTally()
        for seed in batch * 50..<(batch + 1) * 50 {
            var generator = PodListGenerator(seed: seed)
            tally.compare(Array(generator.podList().utf8), "seed \(seed)")
        }
        #expect(tally.disagreements.isEmpty, "\(tally.disagreements)")
        // Generated bodies are valid: both decoders must read them, not merely both refuse.
        #expect(tally[.sameSnapshot] == 50)
    }

    @Test("the generated PodLists cover every state, init containers, escapes and more")
    func generatorCoverage() throws {
        var pods: [KubeletPod] = []
        for seed: UInt64 in 0..<400 {
            var generator = PodListGenerator(seed: seed)
            pods += try PodListDecoder.decode(Array(generator.podList().utf8)).pods
        }
        let containers = pods.flatMap(\.containers)
        #expect(containers.contains { $0.isInit })
        #expect(containers.contains { if case .running = $0.state { true } else { false } })
        #expect(containers.contains { if case .waiting = $0.state { true } else { false } })
        #expect(containers.contains { if case .terminated = $0.state { true } else { false } })
        #expect(containers.contains { $0.state == .unknown })
        #expect(containers.contains { $0.lastTerminated != nil })
        #expect(pods.contains { $0.deletionTimestamp != nil })
        #expect(pods.contains { $0.ready == true } && pods.contains { $0.ready == false } && pods.contains { $0.ready == nil })
        #expect(pods.contains { $0.name.unicodeScalars.contains { $0.value > 0xFFFF } })
        #expect(pods.contains { $0.name.contains("\u{0}") })
    }

    @Test("truncated fixtures: both refuse (or both read the whole body)", arguments: fixtures.prefix(7))
    func truncations(name: String) throws {
        let body = [UInt8](try fixture(name))
        var tally = AgreementTally()
        // Every offset of the small fixture, every fifth of the others.
        for length in stride(from: 0, through: body.count, by: body.count < 2000 ? 1 : 5) {
            tally.compare(Array(body[..<length]), "\(name) cut at \(length)")
        }
        #expect(tally.disagreements.isEmpty, "\(tally.disagreements)")
        #expect(tally[.bothRefused] > 0)
    }

    /// Bytes that change what a body means: JSON's structural bytes, a digit, an escape, a
    /// control character, bytes that are not UTF-8, and letters that break literals.
    static let replacements: [UInt8] = Array("\"\\{}[],:0-.eEx tn".utf8) + [0x00, 0x01, 0x0A, 0x7F, 0x80, 0xC3, 0xFF]

    @Test("single-byte replacements in fixtures: the same snapshot, both refuse, or not strict JSON", arguments: fixtures.prefix(7))
    func byteReplacements(name: String) throws {
        let body = [UInt8](try fixture(name))
        var random = SplitMix64(seed: UInt64(name.utf8.count))
        var tally = AgreementTally()
        for _ in 0..<1500 {
            var mutated = body
            let position = Int.random(in: 0..<body.count, using: &random)
            mutated[position] = Self.replacements.randomElement(using: &random)!
            tally.compare(mutated, "\(name) with byte \(position) = \(mutated[position])")
        }
        #expect(tally.disagreements.isEmpty, "\(tally.disagreements)")
        #expect(tally[.sameSnapshot] > 0 && tally[.bothRefused] > 0)
    }

    static let readKeys = [
        "items", "metadata", "name", "namespace", "uid", "deletionTimestamp", "deletionGracePeriodSeconds", "spec",
        "nodeName", "status", "phase", "conditions", "type", "containerStatuses", "initContainerStatuses", "containerID",
        "ready", "started", "restartCount", "state", "lastState", "running", "waiting", "terminated", "startedAt",
        "reason", "message", "exitCode", "signal", "finishedAt",
    ]

    /// Values of every JSON type, and numbers and strings at the edges of what the fields take.
    static let otherValues = [
        #""x""#, #""""#, #""2026-11-29T07:17:22Z""#, "7", "-1", "1.5", "2147483648", "1e2", "true", "null", "{}",
        #"{"running":{}}"#, "[]", "[{}]", "[null]",
    ]

    @Test("every field crisync reads, given a value of another type: the same snapshot or both refuse", arguments: readKeys)
    func wrongTypes(key: String) throws {
        // node.json, with a signal in its terminations (no fixture has one).
        let node = String(decoding: try fixture("node.json"), as: UTF8.self)
        let body = Array(node.replacingOccurrences(of: #""exitCode": "#, with: #""signal": 9, "exitCode": "#).utf8)
        var tally = AgreementTally()
        for range in valueRanges(after: key, in: body).prefix(4) {
            for value in Self.otherValues {
                tally.compare(Array(body[..<range.lowerBound] + value.utf8 + body[range.upperBound...]), "\(key): \(value)")
            }
        }
        #expect(tally.disagreements.isEmpty, "\(tally.disagreements)")
        #expect(tally[.onlyStrictRefused] == 0)
        #expect(tally[.bothRefused] > 0)
    }
}

/// Where the values of `"key":` members are in a pretty-printed body, found by matching quotes
/// and brackets, independently of the decoders under test.
private func valueRanges(after key: String, in body: [UInt8]) -> [Range<Int>] {
    let needle = Array("\"\(key)\": ".utf8)
    var ranges: [Range<Int>] = []
    var index = 0
    while index + needle.count <= body.count {
        if body[index..<index + needle.count].elementsEqual(needle) {
            let start = index + needle.count
            ranges.append(start..<valueEnd(from: start, in: body))
        }
        index += 1
    }
    return ranges
}

private func valueEnd(from start: Int, in body: [UInt8]) -> Int {
    let quote = UInt8(ascii: "\""), backslash = UInt8(ascii: "\\")
    var depth = 0
    var inString = false
    var index = start
    while index < body.count {
        let byte = body[index]
        index += 1
        if inString {
            if byte == backslash { index += 1 } else if byte == quote { inString = false }
        } else if byte == quote {
            inString = true
        } else if byte == UInt8(ascii: "{") || byte == UInt8(ascii: "[") {
            depth += 1
        } else if byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") {
            if depth == 0 { return index - 1 }
            depth -= 1
        } else if depth == 0, byte == UInt8(ascii: ",") || byte == 0x0A {
            return index - 1
        }
        if depth == 0, !inString, index > start, byte == quote || byte == UInt8(ascii: "}") || byte == UInt8(ascii: "]") {
            return index
        }
    }
    return index
}
