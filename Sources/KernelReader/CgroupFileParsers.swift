/// Parsers for the cgroup and procfs files that are lists of `key value` lines ("flat keyed" in the
/// kernel's cgroup documentation). Each returns nil when the key is absent or its value is not a
/// number: for cgroup files that means "unknown", never an error.
public enum FlatKeyedParser {
    /// The unsigned value of the first line `key value`.
    public static func value(forKey key: String, in bytes: [UInt8]) -> UInt64? {
        bytes.withUnsafeBufferPointer { value(forKey: key, in: $0) }
    }

    public static func value(forKey key: String, in bytes: UnsafeBufferPointer<UInt8>) -> UInt64? {
        var key = key
        return key.withUTF8 { keyBytes in
            var found: UInt64?
            try? forEachLine(bytes) { line, _ throws(KernelParseError) in
                guard found == nil, line.count > keyBytes.count, line[line.startIndex + keyBytes.count] == .space,
                    UnsafeBufferPointer(rebasing: line.prefix(keyBytes.count)).elementsEqual(keyBytes)
                else { return }
                var valueBytes = UnsafeBufferPointer(rebasing: line.dropFirst(keyBytes.count + 1))
                while let last = valueBytes.last, last.isFieldSeparator {
                    valueBytes = UnsafeBufferPointer(rebasing: valueBytes.dropLast())
                }
                found = parseUInt64(valueBytes)
            }
            return found
        }
    }
}

/// v2 `cgroup.events`: `populated 1` while the cgroup or a descendant has a live process.
public enum CgroupEventsParser {
    public static func populated(_ bytes: [UInt8]) -> Bool? {
        bytes.withUnsafeBufferPointer { populated($0) }
    }

    public static func populated(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool? {
        switch FlatKeyedParser.value(forKey: "populated", in: bytes) {
        case 0: false
        case 1: true
        default: nil
        }
    }
}

/// v2 `memory.events`: `oom_kill` counts processes the OOM killer killed in this cgroup and below.
public enum MemoryEventsParser {
    public static func oomKills(_ bytes: [UInt8]) -> UInt64? {
        bytes.withUnsafeBufferPointer { oomKills($0) }
    }

    public static func oomKills(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64? {
        FlatKeyedParser.value(forKey: "oom_kill", in: bytes)
    }
}

/// v1 `memory.oom_control`: `oom_kill_disable 0`, `under_oom 0`, `oom_kill N` (Linux 4.13+).
/// The v1 counter is per cgroup and does not add up into the parent.
public enum MemoryOOMControlParser {
    public static func oomKills(_ bytes: [UInt8]) -> UInt64? {
        bytes.withUnsafeBufferPointer { oomKills($0) }
    }

    public static func oomKills(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64? {
        FlatKeyedParser.value(forKey: "oom_kill", in: bytes)
    }
}

/// `btime` from `/proc/stat`: the boot time in Unix seconds.
public enum BootTimeParser {
    public static func bootTime(_ bytes: [UInt8]) -> Int64? {
        bytes.withUnsafeBufferPointer { bootTime($0) }
    }

    public static func bootTime(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        guard let value = FlatKeyedParser.value(forKey: "btime", in: bytes) else { return nil }
        return Int64(exactly: value)
    }
}
