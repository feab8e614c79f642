/// The Prometheus data model crisync writes: families of samples, built fresh on every refresh so a
/// container that disappears leaves no stale series behind.

/// The family types crisync emits.
public enum MetricType: String, Sendable, Hashable {
    case counter
    case gauge
}

/// One label pair. Names are validated by the writer; values are arbitrary UTF-8 (escaped on output).
public struct Label: Sendable, Hashable {
    public var name: String
    public var value: String

    public init(_ name: String, _ value: String) {
        self.name = name
        self.value = value
    }
}

/// One series of a family at one point in time.
public struct Sample: Sendable, Hashable {
    public var labels: [Label]
    public var value: Double

    public init(labels: [Label] = [], value: Double) {
        self.labels = labels
        self.value = value
    }

    public init(_ labels: KeyValuePairs<String, String>, _ value: Double) {
        self.labels = labels.map { Label($0.key, $0.value) }
        self.value = value
    }
}

/// A metric family. For counters `name` carries the `_total` suffix, as in the Prometheus text format.
public struct MetricFamily: Sendable, Hashable {
    public var name: String
    public var help: String
    public var type: MetricType
    public var samples: [Sample]

    public init(name: String, help: String, type: MetricType, samples: [Sample] = []) {
        self.name = name
        self.help = help
        self.type = type
        self.samples = samples
    }
}
