/// The three sources crisync reads, in the order they appear in `source` labels.
public enum Source: String, Sendable, Hashable, CaseIterable, Comparable {
    case kubelet
    case procfs
    case runtime

    public static func < (lhs: Source, rhs: Source) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// The outcome of reading one source once: a value, or a clear one-line error; and how long it took.
public struct SourceReading<Value: Sendable>: Sendable {
    public var value: Value?
    /// One line naming what failed and why; nil when the read succeeded.
    public var error: String?
    /// Wall time of the read, in seconds.
    public var durationSeconds: Double

    public init(value: Value?, error: String? = nil, durationSeconds: Double) {
        self.value = value
        self.error = error
        self.durationSeconds = durationSeconds
    }

    public var isUp: Bool { error == nil && value != nil }
}
