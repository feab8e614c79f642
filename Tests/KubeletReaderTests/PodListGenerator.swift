/// PodList bodies written as JSON text by hand, so that every choice two decoders must agree on
/// turns up: present, absent and null optional fields; every container state, several at once
/// and none; lastState; init containers; deletion timestamps; escapes (surrogate pairs
/// included) and non-ASCII in strings and keys; integers written as `3.0` or `30e-1`; duplicate
/// keys; unknown fields of every JSON type; whitespace between tokens.
///
/// Pseudo-random from a seed, so a failing body can be written again from its seed.
struct PodListGenerator {
    private var random: SplitMix64

    init(seed: UInt64) {
        random = SplitMix64(seed: seed)
    }

    mutating func podList() -> String {
        var members = [("kind", string("PodList")), ("apiVersion", string("v1")), ("metadata", object([]))]
        switch int(10) {
        case 0: break
        case 1: members.append(("items", "null"))
        default: members.append(("items", array(count: int(6)) { $0.pod() }))
        }
        return whitespace() + object(members) + whitespace()
    }

    // MARK: v1 objects

    private mutating func pod() -> String {
        var metadata: [(String, String)] = []
        optional(&metadata, "name", string(text()))
        optional(&metadata, "namespace", string(pick(["default", "shop", "kube-system", ""])))
        optional(&metadata, "uid", string("3f1c2a7e-9b4d-4e8a-a1f2-\(int(1_000_000))"))
        if int(3) == 0 {
            optional(&metadata, "deletionTimestamp", timestamp())
            optional(&metadata, "deletionGracePeriodSeconds", integer(pick(Self.int64Values)))
        }
        metadata.append(("labels", object([("app", string(text()))])))

        var spec: [(String, String)] = []
        optional(&spec, "nodeName", string(pick(["node-a", "nöde-b", ""])))
        spec.append(("containers", array(count: int(3)) { $0.object([("name", $0.string($0.text())), ("image", $0.string("busybox"))]) }))

        var status: [(String, String)] = []
        optional(&status, "phase", string(pick(["Running", "Pending", "Succeeded", "Failed", "Unknown"])))
        optional(&status, "conditions", array(count: int(5)) { $0.condition() })
        optional(&status, "containerStatuses", array(count: int(4)) { $0.containerStatus() })
        optional(&status, "initContainerStatuses", array(count: int(3)) { $0.containerStatus() }, missingOneIn: 3)
        status.append(("podIP", string("10.1.2.3")))

        var pod: [(String, String)] = []
        optional(&pod, "metadata", object(metadata), missingOneIn: 12)
        optional(&pod, "spec", object(spec))
        optional(&pod, "status", object(status), missingOneIn: 12)
        return object(pod)
    }

    private mutating func condition() -> String {
        var members: [(String, String)] = []
        optional(&members, "type", string(pick(["Ready", "Ready", "PodScheduled", "ContainersReady", "PodReadyToStartContainers"])))
        optional(&members, "status", string(pick(["True", "False", "Unknown", "true"])))
        members.append(("lastTransitionTime", string("2026-11-29T07:17:22Z")))
        return object(members)
    }

    private mutating func containerStatus() -> String {
        var members: [(String, String)] = []
        optional(&members, "name", string(text()))
        optional(&members, "containerID", string(pick(["", "containerd://8c3f5a1b2d4e6f70", "docker://ab"])))
        optional(&members, "ready", bool())
        optional(&members, "started", bool())
        optional(&members, "restartCount", integer(pick(Self.int32Values)))
        optional(&members, "state", containerState())
        optional(&members, "lastState", containerState())
        members.append(("image", string("docker.io/library/busybox:latest")))
        return object(members)
    }

    /// Usually one member, sometimes none or several (the decoders must pick the same one).
    private mutating func containerState() -> String {
        var members: [(String, String)] = []
        let wanted = pick([1, 1, 1, 0, 2, 3])
        for (index, key) in ["running", "waiting", "terminated"].shuffled(using: &random).enumerated() where index < wanted {
            let value =
                switch key {
                case "running": running()
                case "waiting": waiting()
                default: terminated()
                }
            optional(&members, key, value, missingOneIn: 8)
        }
        return object(members)
    }

    private mutating func running() -> String {
        var members: [(String, String)] = []
        optional(&members, "startedAt", timestamp())
        return object(members)
    }

    private mutating func waiting() -> String {
        var members: [(String, String)] = []
        optional(&members, "reason", string(pick(["CrashLoopBackOff", "ContainerCreating", "ErrImagePull"])))
        optional(&members, "message", string(text()))
        return object(members)
    }

    private mutating func terminated() -> String {
        var members: [(String, String)] = []
        optional(&members, "exitCode", integer(pick(Self.int32Values)))
        optional(&members, "signal", integer(pick([9, 15, 0])), missingOneIn: 3)
        optional(&members, "reason", string(pick(["OOMKilled", "Error", "Completed"])))
        optional(&members, "message", string(text()))
        optional(&members, "startedAt", timestamp())
        optional(&members, "finishedAt", timestamp())
        optional(&members, "containerID", string(pick(["", "containerd://9a8b7c6d5e4f3021"])))
        return object(members)
    }

    // MARK: Values

    private static let int32Values: [Int64] = [0, 1, 7, 137, 143, -1, 255, Int64(Int32.max), Int64(Int32.min)]
    private static let int64Values: [Int64] = [0, 30, -1, 9_007_199_254_740_993, Int64.max, Int64.min]

    private static let texts = [
        "web-6d9f7c8b5d-x2kqp", "café", "日本語のポッド", "emoji-😀-🚀", "tab\there", "quote\"d", "back\\slash/slash",
        "", "é (e and a combining accent)", "nul\u{0}byte", "line\nbreak\r\n", "del\u{7F}", "line\u{2028}separator",
        "\u{FEFF}bom", "panic: cannot connect to queue\n", String(repeating: "long-", count: 30),
    ]

    private static let timestamps = [
        "2026-11-29T07:17:22Z", "2026-11-29T07:17:22.5Z", "2026-11-29T07:17:22.514937215Z", "2026-11-29t07:17:22z",
        "2026-11-29 07:17:22Z", "2026-11-29T09:17:22+02:00", "1970-01-01T00:00:00Z", "2024-02-29T23:59:59-05:30",
    ]

    private mutating func text() -> String { pick(Self.texts) }

    private mutating func timestamp() -> String { string(pick(Self.timestamps)) }

    private mutating func bool() -> String { pick(["true", "false"]) }

    /// `value` written as an integer or, sometimes, as a number with a fraction or an exponent
    /// that is still exactly that integer (below 2^53: above, both decoders refuse some of those).
    private mutating func integer(_ value: Int64) -> String {
        guard value.magnitude < 1 << 53 else { return "\(value)" }
        switch int(6) {
        case 0: return "\(value).0"
        case 1: return "\(value)e0"
        case 2 where value != 0: return "\(value)0e-1"
        case 3 where value == 0: return "-0"
        default: return "\(value)"
        }
    }

    /// `text` as a JSON string: what must be escaped is, and any other character sometimes is too,
    /// as `\uXXXX` (a surrogate pair above U+FFFF) or `\/`.
    private mutating func string(_ text: String) -> String {
        var result = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": result += "\\\""
            case "\\": result += "\\\\"
            case "\n": result += int(2) == 0 ? "\\n" : "\\u000a"
            case "\r": result += "\\r"
            case "\t": result += "\\t"
            case "/" where int(2) == 0: result += "\\/"
            case _ where scalar.value < 0x20 || int(8) == 0: result += unicodeEscape(scalar)
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result + "\""
    }

    private mutating func unicodeEscape(_ scalar: Unicode.Scalar) -> String {
        let uppercase = int(2) == 0
        func hex(_ unit: UInt32) -> String {
            let digits = String(unit, radix: 16, uppercase: uppercase)
            return "\\u" + String(repeating: "0", count: 4 - digits.count) + digits
        }
        guard scalar.value > 0xFFFF else { return hex(scalar.value) }
        let offset = scalar.value - 0x10000
        return hex(0xD800 + offset >> 10) + hex(0xDC00 + offset & 0x3FF)
    }

    /// Any JSON value, for fields no decoder reads.
    private mutating func junk(depth: Int = 0) -> String {
        switch int(depth < 3 ? 8 : 5) {
        case 0: string(text())
        case 1: pick(["0", "-0", "1e5", "1E+2", "-12.5e-3", "3.14159", "123456789012345678901234567890", "1e400", "0.000001"])
        case 2: pick(["true", "false"])
        case 3: "null"
        case 4: pick(["{}", "[]"])
        case 5, 6: object((0..<int(4)).map { _ in (pick(Self.unknownKeys), junk(depth: depth + 1)) }, extras: false)
        default: array(count: int(4)) { $0.junk(depth: depth + 1) }
        }
    }

    /// Keys that none of the decoded objects knows.
    private static let unknownKeys = ["generateName", "annotations", "managedFields", "f:spec", "x-ü", "", "Name", "futureField"]

    // MARK: Structure

    /// Adds `key: value`, or now and then `key: null` or nothing (each one time in `missingOneIn`).
    private mutating func optional(_ members: inout [(String, String)], _ key: String, _ value: String, missingOneIn: Int = 6) {
        switch int(missingOneIn) {
        case 0: members.append((key, "null"))
        case 1: break
        default: members.append((key, value))
        }
    }

    /// The members in a random order, sometimes with unknown members and with a later duplicate
    /// of a known one (its value of any type: the first one counts).
    private mutating func object(_ members: [(String, String)], extras: Bool = true) -> String {
        var members = members.shuffled(using: &random)
        if extras {
            for _ in 0..<int(3) { members.insert((pick(Self.unknownKeys), junk()), at: int(members.count + 1)) }
            if !members.isEmpty, int(6) == 0 {
                let original = int(members.count)
                members.insert((members[original].0, junk()), at: original + 1 + int(members.count - original))
            }
        }
        var written: [String] = []
        for (name, value) in members {
            written.append(whitespace() + key(name) + whitespace() + ":" + whitespace() + value + whitespace())
        }
        return "{" + written.joined(separator: ",") + (members.isEmpty ? whitespace() : "") + "}"
    }

    private mutating func array(count: Int, _ element: (inout PodListGenerator) -> String) -> String {
        var elements: [String] = []
        for _ in 0..<count { elements.append(whitespace() + element(&self) + whitespace()) }
        return "[" + elements.joined(separator: ",") + "]"
    }

    /// A key as a JSON string, now and then with a character escaped (`"na\u006de"` is `name`).
    private mutating func key(_ key: String) -> String {
        guard int(8) == 0, let first = key.unicodeScalars.first else { return string(key) }
        return "\"" + unicodeEscape(first) + string(String(key.unicodeScalars.dropFirst())).dropFirst()
    }

    private mutating func whitespace() -> String {
        pick(["", "", "", "", " ", "\n  ", "\t", "\r\n"])
    }

    private mutating func int(_ upperBound: Int) -> Int {
        Int.random(in: 0..<upperBound, using: &random)
    }

    private mutating func pick<T>(_ choices: [T]) -> T {
        choices[int(choices.count)]
    }
}

/// Reproducible pseudo-random numbers (SplitMix64).
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        state = seed
    }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}
