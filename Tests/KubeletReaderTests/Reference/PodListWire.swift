import Foundation
import KubeletReader

// The subset of `v1.PodList` that crisync reads, with the Kubernetes JSON field names, as
// `ReferencePodListDecoder` (the decoder before `PodListFields`) decodes it with `JSONDecoder`.
// Every field is optional here: unknown fields are skipped by the decoder, and a missing field
// takes the value Go's `encoding/json` would give it (empty, 0, false), as a Kubernetes client
// would see it. A field of the wrong type or an unparsable timestamp is an error.

struct PodListWire: Decodable {
    var items: [PodWire]?
}

struct PodWire: Decodable {
    var metadata: ObjectMetaWire?
    var spec: PodSpecWire?
    var status: PodStatusWire?
}

struct ObjectMetaWire: Decodable {
    var name: String?
    var namespace: String?
    var uid: String?
    var deletionTimestamp: TimestampWire?
    var deletionGracePeriodSeconds: IntegerWire<Int64>?
}

struct PodSpecWire: Decodable {
    var nodeName: String?
}

struct PodStatusWire: Decodable {
    var phase: String?
    var conditions: [PodConditionWire]?
    var containerStatuses: [ContainerStatusWire]?
    var initContainerStatuses: [ContainerStatusWire]?
}

struct PodConditionWire: Decodable {
    var type: String?
    /// `"True"`, `"False"` or `"Unknown"`.
    var status: String?
}

struct ContainerStatusWire: Decodable {
    var name: String?
    var containerID: String?
    var ready: Bool?
    var started: Bool?
    var restartCount: IntegerWire<Int32>?
    var state: ContainerStateWire?
    var lastState: ContainerStateWire?
}

struct ContainerStateWire: Decodable {
    var running: RunningWire?
    var waiting: WaitingWire?
    var terminated: TerminatedWire?
}

struct RunningWire: Decodable {
    var startedAt: TimestampWire?
}

struct WaitingWire: Decodable {
    var reason: String?
    var message: String?
}

struct TerminatedWire: Decodable {
    var exitCode: IntegerWire<Int32>?
    var signal: IntegerWire<Int32>?
    var reason: String?
    var message: String?
    var startedAt: TimestampWire?
    var finishedAt: TimestampWire?
    var containerID: String?
}

/// A `metav1.Time`: an RFC 3339 string (`null` is handled by the optional around it).
struct TimestampWire: Decodable {
    var date: Date

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        let text = try container.decode(String.self)
        guard let date = RFC3339.parse(text) else {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "not an RFC 3339 timestamp: \"\(text.prefix(64))\"")
        }
        self.date = date
    }
}

/// An integer field. Foundation's `JSONDecoder` on Linux reports an out-of-range or fractional
/// number as "not valid JSON" with no path at all; decoding through this wrapper turns any
/// failure into an error at the field's path that shows the value found.
struct IntegerWire<Value: FixedWidthInteger & Decodable & Sendable>: Decodable {
    var value: Value

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        do {
            value = try container.decode(Value.self)
        } catch {
            throw DecodingError.dataCorruptedError(
                in: container, debugDescription: "expected a \(Value.bitWidth)-bit integer, found \(describeValue(in: container))")
        }
    }
}

/// The JSON value in `container`, briefly, for an error message.
private func describeValue(in container: any SingleValueDecodingContainer) -> String {
    if let text = try? container.decode(String.self) { return "the string \"\(text.prefix(40))\"" }
    if let bool = try? container.decode(Bool.self) { return "\(bool)" }
    if let number = try? container.decode(Double.self) {
        let integral = number.rounded() == number && abs(number) < 1e18
        return "the number \(integral ? String(Int64(number)) : String(number))"
    }
    return "an object or an array"
}
