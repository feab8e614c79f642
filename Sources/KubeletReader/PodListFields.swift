import Foundation
import Model

/// The fields of a kubelet `/pods` body (a `v1.PodList`) that crisync reads, taken in one pass
/// over a ``JSONScanner``; every other value is skipped (checked, never built).
///
/// Read the way the `JSONDecoder`-based decoder read them, so a body gives the same snapshot or
/// fails as it did:
/// - every field is optional: absent or null gives Go's zero value ("", 0, false) or nil, as
///   ``Model/KubeletPod`` documents; a value of another type is an error, in a field crisync does
///   not use too (a condition's `status`, a `running` member next to `terminated`);
/// - of duplicate keys the first counts (null included) and the others are skipped;
/// - a null element where an object belongs (`items`, `containerStatuses`) is an error;
/// - integers convert as ``JSONNumber/exactly(_:)`` describes; times are RFC 3339 strings.
struct PodListFields {
    private var scanner: JSONScanner

    /// The snapshot in `bytes`, or the first problem found.
    static func snapshot(in bytes: UnsafeBufferPointer<UInt8>) throws(JSONReadError) -> KubeletSnapshot {
        var fields = PodListFields(scanner: JSONScanner(bytes))
        let pods = try fields.podList()
        try fields.scanner.finish()
        return KubeletSnapshot(pods: pods)
    }

    // MARK: Objects

    private mutating func podList() throws(JSONReadError) -> [KubeletPod] {
        try enterObject()
        var pods: [KubeletPod] = []
        var seen = SeenKeys()
        while let key = try scanner.nextKey() {
            switch key {
            case "items" where seen.isFirst(0):
                try field("items") { fields throws(JSONReadError) in
                    try fields.forEachElement { fields throws(JSONReadError) in pods.append(try fields.pod()) }
                }
            default: try scanner.skipValue()
            }
        }
        return pods
    }

    private mutating func pod() throws(JSONReadError) -> KubeletPod {
        try enterObject()
        var pod = KubeletPod(name: "", namespace: "", uid: "")
        // App containers come first whatever the order of the keys.
        var appContainers: [KubeletContainerStatus] = []
        var initContainers: [KubeletContainerStatus] = []
        var seen = SeenKeys()
        while let key = try scanner.nextKey() {
            switch key {
            case "metadata" where seen.isFirst(0):
                try field("metadata") { fields throws(JSONReadError) in try fields.metadata(into: &pod) }
            case "spec" where seen.isFirst(1):
                try field("spec") { fields throws(JSONReadError) in try fields.spec(into: &pod) }
            case "status" where seen.isFirst(2):
                try field("status") { fields throws(JSONReadError) in
                    try fields.status(into: &pod, appContainers: &appContainers, initContainers: &initContainers)
                }
            default: try scanner.skipValue()
            }
        }
        pod.containers = appContainers + initContainers
        return pod
    }

    /// `v1.ObjectMeta`.
    private mutating func metadata(into pod: inout KubeletPod) throws(JSONReadError) {
        guard try enterObjectOrNull() else { return }
        var seen = SeenKeys()
        while let key = try scanner.nextKey() {
            switch key {
            case "name" where seen.isFirst(0):
                pod.name = try field("name") { fields throws(JSONReadError) in try fields.optionalString() } ?? ""
            case "namespace" where seen.isFirst(1):
                pod.namespace = try field("namespace") { fields throws(JSONReadError) in try fields.optionalString() } ?? ""
            case "uid" where seen.isFirst(2):
                pod.uid = try field("uid") { fields throws(JSONReadError) in try fields.optionalString() } ?? ""
            case "deletionTimestamp" where seen.isFirst(3):
                pod.deletionTimestamp = try field("deletionTimestamp") { fields throws(JSONReadError) in
                    try fields.optionalTimestamp()
                }
            case "deletionGracePeriodSeconds" where seen.isFirst(4):
                pod.deletionGracePeriodSeconds = try field("deletionGracePeriodSeconds") { fields throws(JSONReadError) in
                    try fields.optionalInteger(Int64.self)
                }
            default: try scanner.skipValue()
            }
        }
    }

    /// `v1.PodSpec`.
    private mutating func spec(into pod: inout KubeletPod) throws(JSONReadError) {
        guard try enterObjectOrNull() else { return }
        var seen = SeenKeys()
        while let key = try scanner.nextKey() {
            switch key {
            case "nodeName" where seen.isFirst(0):
                pod.nodeName = try field("nodeName") { fields throws(JSONReadError) in try fields.optionalString() }
            default: try scanner.skipValue()
            }
        }
    }

    /// `v1.PodStatus`.
    private mutating func status(
        into pod: inout KubeletPod, appContainers: inout [KubeletContainerStatus],
        initContainers: inout [KubeletContainerStatus]
    ) throws(JSONReadError) {
        guard try enterObjectOrNull() else { return }
        var seen = SeenKeys()
        while let key = try scanner.nextKey() {
            switch key {
            case "phase" where seen.isFirst(0):
                pod.phase = try field("phase") { fields throws(JSONReadError) in try fields.optionalString() }
            case "conditions" where seen.isFirst(1):
                // The last `Ready` condition counts; null or no such condition leaves `ready` nil.
                try field("conditions") { fields throws(JSONReadError) in
                    try fields.forEachElement { fields throws(JSONReadError) in
                        if let ready = try fields.readyCondition() { pod.ready = ready }
                    }
                }
            case "containerStatuses" where seen.isFirst(2):
                try field("containerStatuses") { fields throws(JSONReadError) in
                    try fields.forEachElement { fields throws(JSONReadError) in
                        appContainers.append(try fields.containerStatus(isInit: false))
                    }
                }
            case "initContainerStatuses" where seen.isFirst(3):
                try field("initContainerStatuses") { fields throws(JSONReadError) in
                    try fields.forEachElement { fields throws(JSONReadError) in
                        initContainers.append(try fields.containerStatus(isInit: true))
                    }
                }
            default: try scanner.skipValue()
            }
        }
    }

    /// A `v1.PodCondition`: for the `Ready` condition whether its status is `True`, else nil.
    private mutating func readyCondition() throws(JSONReadError) -> Bool? {
        try enterObject()
        var isReadyCondition = false
        var isTrue = false
        var seen = SeenKeys()
        while let key = try scanner.nextKey() {
            switch key {
            case "type" where seen.isFirst(0):
                isReadyCondition = try field("type") { fields throws(JSONReadError) in try fields.optionalString(is: "Ready") }
            case "status" where seen.isFirst(1):
                isTrue = try field("status") { fields throws(JSONReadError) in try fields.optionalString(is: "True") }
            default: try scanner.skipValue()
            }
        }
        return isReadyCondition ? isTrue : nil
    }

    /// `v1.ContainerStatus`.
    private mutating func containerStatus(isInit: Bool) throws(JSONReadError) -> KubeletContainerStatus {
        try enterObject()
        var container = KubeletContainerStatus(name: "", isInit: isInit)
        var state = ContainerStateFields()
        var seen = SeenKeys()
        while let key = try scanner.nextKey() {
            switch key {
            case "name" where seen.isFirst(0):
                container.name = try field("name") { fields throws(JSONReadError) in try fields.optionalString() } ?? ""
            case "containerID" where seen.isFirst(1):
                container.containerID = try field("containerID") { fields throws(JSONReadError) in
                    try fields.optionalNonEmptyString()
                }
            case "ready" where seen.isFirst(2):
                container.ready = try field("ready") { fields throws(JSONReadError) in try fields.optionalBool() } ?? false
            case "started" where seen.isFirst(3):
                container.started = try field("started") { fields throws(JSONReadError) in try fields.optionalBool() }
            case "restartCount" where seen.isFirst(4):
                container.restartCount = try field("restartCount") { fields throws(JSONReadError) in
                    try fields.optionalInteger(Int32.self)
                } ?? 0
            case "state" where seen.isFirst(5):
                state = try field("state") { fields throws(JSONReadError) in try fields.containerState() }
            case "lastState" where seen.isFirst(6):
                container.lastTerminated = try field("lastState") { fields throws(JSONReadError) in
                    try fields.containerState()
                }.terminated
            default: try scanner.skipValue()
            }
        }
        container.state = state.state
        return container
    }

    /// `v1.ContainerState`. Every member is read, so a wrong type in one that is not used is
    /// still an error.
    private mutating func containerState() throws(JSONReadError) -> ContainerStateFields {
        var state = ContainerStateFields()
        guard try enterObjectOrNull() else { return state }
        var seen = SeenKeys()
        while let key = try scanner.nextKey() {
            switch key {
            case "running" where seen.isFirst(0):
                state.running = try field("running") { fields throws(JSONReadError) in try fields.running() }
            case "waiting" where seen.isFirst(1):
                state.waiting = try field("waiting") { fields throws(JSONReadError) in try fields.waiting() }
            case "terminated" where seen.isFirst(2):
                state.terminated = try field("terminated") { fields throws(JSONReadError) in try fields.terminated() }
            default: try scanner.skipValue()
            }
        }
        return state
    }

    /// `v1.ContainerStateRunning`, or nil for null.
    private mutating func running() throws(JSONReadError) -> KubeletContainerState? {
        guard try enterObjectOrNull() else { return nil }
        var startedAt: Date?
        var seen = SeenKeys()
        while let key = try scanner.nextKey() {
            switch key {
            case "startedAt" where seen.isFirst(0):
                startedAt = try field("startedAt") { fields throws(JSONReadError) in try fields.optionalTimestamp() }
            default: try scanner.skipValue()
            }
        }
        return .running(startedAt: startedAt)
    }

    /// `v1.ContainerStateWaiting`, or nil for null.
    private mutating func waiting() throws(JSONReadError) -> KubeletContainerState? {
        guard try enterObjectOrNull() else { return nil }
        var reason: String?
        var message: String?
        var seen = SeenKeys()
        while let key = try scanner.nextKey() {
            switch key {
            case "reason" where seen.isFirst(0):
                reason = try field("reason") { fields throws(JSONReadError) in try fields.optionalString() }
            case "message" where seen.isFirst(1):
                message = try field("message") { fields throws(JSONReadError) in try fields.optionalString() }
            default: try scanner.skipValue()
            }
        }
        return .waiting(reason: reason, message: message)
    }

    /// `v1.ContainerStateTerminated`, or nil for null.
    private mutating func terminated() throws(JSONReadError) -> KubeletTermination? {
        guard try enterObjectOrNull() else { return nil }
        var termination = KubeletTermination(exitCode: 0)
        var seen = SeenKeys()
        while let key = try scanner.nextKey() {
            switch key {
            case "exitCode" where seen.isFirst(0):
                termination.exitCode = try field("exitCode") { fields throws(JSONReadError) in
                    try fields.optionalInteger(Int32.self)
                } ?? 0
            case "signal" where seen.isFirst(1):
                termination.signal = try field("signal") { fields throws(JSONReadError) in try fields.optionalInteger(Int32.self) }
            case "reason" where seen.isFirst(2):
                termination.reason = try field("reason") { fields throws(JSONReadError) in try fields.optionalString() }
            case "message" where seen.isFirst(3):
                termination.message = try field("message") { fields throws(JSONReadError) in try fields.optionalString() }
            case "startedAt" where seen.isFirst(4):
                termination.startedAt = try field("startedAt") { fields throws(JSONReadError) in try fields.optionalTimestamp() }
            case "finishedAt" where seen.isFirst(5):
                termination.finishedAt = try field("finishedAt") { fields throws(JSONReadError) in
                    try fields.optionalTimestamp()
                }
            case "containerID" where seen.isFirst(6):
                termination.containerID = try field("containerID") { fields throws(JSONReadError) in
                    try fields.optionalNonEmptyString()
                }
            default: try scanner.skipValue()
            }
        }
        return termination
    }

    // MARK: Structure

    /// Reads the value of `key` with `read`, naming `key` in any value error.
    private mutating func field<T>(
        _ key: String, _ read: (inout PodListFields) throws(JSONReadError) -> T
    ) throws(JSONReadError) -> T {
        do {
            return try read(&self)
        } catch {
            throw error.inside(.key(key))
        }
    }

    /// Calls `element` for each element of the array at the offset (none for null), naming the
    /// index in any value error.
    private mutating func forEachElement(_ element: (inout PodListFields) throws(JSONReadError) -> Void) throws(JSONReadError) {
        switch try scanner.peekKind() {
        case .array: try scanner.enterArray()
        case .null: return try scanner.consumeNull()
        case let kind: throw try mismatch(expected: "an array", found: kind)
        }
        var index = 0
        while try scanner.nextElement() {
            do {
                try element(&self)
            } catch {
                throw error.inside(.index(index))
            }
            index += 1
        }
    }

    /// Enters the object at the offset; anything else, null included, is an error.
    private mutating func enterObject() throws(JSONReadError) {
        let kind = try scanner.peekKind()
        guard kind == .object else { throw try mismatch(expected: "an object", found: kind) }
        try scanner.enterObject()
    }

    /// Enters the object at the offset (true), or consumes a null (false).
    private mutating func enterObjectOrNull() throws(JSONReadError) -> Bool {
        switch try scanner.peekKind() {
        case .object:
            try scanner.enterObject()
            return true
        case .null:
            try scanner.consumeNull()
            return false
        case let kind:
            throw try mismatch(expected: "an object", found: kind)
        }
    }

    // MARK: Scalars

    private mutating func optionalString() throws(JSONReadError) -> String? {
        switch try scanner.peekKind() {
        case .string: return try scanner.string().value
        case .null:
            try scanner.consumeNull()
            return nil
        case let kind: throw try mismatch(expected: "a string", found: kind)
        }
    }

    /// A container ID: the empty string means none, as nil does.
    private mutating func optionalNonEmptyString() throws(JSONReadError) -> String? {
        guard let string = try optionalString(), !string.isEmpty else { return nil }
        return string
    }

    /// Whether the string at the offset is `literal` (false for null), without building it.
    private mutating func optionalString(is literal: StaticString) throws(JSONReadError) -> Bool {
        switch try scanner.peekKind() {
        case .string: return literal ~= (try scanner.string())
        case .null:
            try scanner.consumeNull()
            return false
        case let kind: throw try mismatch(expected: "a string", found: kind)
        }
    }

    private mutating func optionalBool() throws(JSONReadError) -> Bool? {
        switch try scanner.peekKind() {
        case .bool: return try scanner.bool()
        case .null:
            try scanner.consumeNull()
            return nil
        case let kind: throw try mismatch(expected: "a boolean", found: kind)
        }
    }

    private mutating func optionalInteger<T: FixedWidthInteger & SignedInteger>(_: T.Type) throws(JSONReadError) -> T? {
        switch try scanner.peekKind() {
        case .number:
            let number = try scanner.number()
            guard let value = number.exactly(T.self) else {
                throw .value(path: [], problem: "expected a \(T.bitWidth)-bit integer, found the number \(number)")
            }
            return value
        case .null:
            try scanner.consumeNull()
            return nil
        case let kind: throw try mismatch(expected: "a \(T.bitWidth)-bit integer", found: kind)
        }
    }

    /// A `metav1.Time`: an RFC 3339 string, parsed without building a String.
    private mutating func optionalTimestamp() throws(JSONReadError) -> Date? {
        switch try scanner.peekKind() {
        case .string:
            let text = try scanner.string()
            guard let date = text.withUTF8({ RFC3339.parse(utf8: $0) }) else {
                throw .value(path: [], problem: "not an RFC 3339 timestamp: \(quotedForMessage(text.value))")
            }
            return date
        case .null:
            try scanner.consumeNull()
            return nil
        case let kind: throw try mismatch(expected: "an RFC 3339 timestamp string", found: kind)
        }
    }

    /// The error for the value at the offset, which is not the `expected` kind; reads the value
    /// to show it.
    private mutating func mismatch(expected: String, found kind: JSONValueKind) throws(JSONReadError) -> JSONReadError {
        let found =
            switch kind {
            case .string: "the string \(quotedForMessage(try scanner.string().value))"
            case .number: "the number \(try scanner.number())"
            case .bool: try scanner.bool() ? "true" : "false"
            case .object, .array, .null: kind.description
            }
        return .value(path: [], problem: "expected \(expected), found \(found)")
    }
}

/// `v1.ContainerState` as read, before one member is chosen.
private struct ContainerStateFields {
    var running: KubeletContainerState?
    var waiting: KubeletContainerState?
    var terminated: KubeletTermination?

    /// The kubelet sets exactly one member; if a writer sets several, the order follows
    /// `kubectl describe` (running, waiting, terminated).
    var state: KubeletContainerState {
        running ?? waiting ?? terminated.map { .terminated($0) } ?? .unknown
    }
}

/// The known keys of one object seen so far, by their number in the object's `switch`.
private struct SeenKeys {
    private var bits: UInt16 = 0

    mutating func isFirst(_ key: Int) -> Bool {
        let bit: UInt16 = 1 << key
        defer { bits |= bit }
        return bits & bit == 0
    }
}

/// A string shown in an error message: quoted, at most 64 characters, and on one line (the
/// message ends up in a logfmt line).
private func quotedForMessage(_ text: String) -> String {
    var shown = ""
    for scalar in text.unicodeScalars.prefix(64) {
        switch scalar.properties.generalCategory {
        case .control, .lineSeparator, .paragraphSeparator: shown += scalar.escaped(asASCII: true)
        default: shown.unicodeScalars.append(scalar)
        }
    }
    return "\"\(shown)\"" + (text.unicodeScalars.count > 64 ? "…" : "")
}
