/// Why a set of families cannot be written. These are programming errors in a collector (names are
/// declared once, in code), so the writer refuses the whole output rather than emit invalid text.
public enum ExpositionError: Error, Hashable, CustomStringConvertible {
    case invalidMetricName(String)
    case invalidLabelName(metric: String, label: String)
    case duplicateLabelName(metric: String, label: String)
    case duplicateFamily(String)
    case counterWithoutTotalSuffix(String)

    public var description: String {
        switch self {
        case .invalidMetricName(let name): "invalid metric name \"\(name)\""
        case .invalidLabelName(let metric, let label): "metric \(metric): invalid label name \"\(label)\""
        case .duplicateLabelName(let metric, let label): "metric \(metric): label \"\(label)\" appears twice"
        case .duplicateFamily(let name): "metric family \(name) appears twice"
        case .counterWithoutTotalSuffix(let name): "counter \(name) must end in _total"
        }
    }
}

/// `[a-zA-Z_:][a-zA-Z0-9_:]*`
public func isValidMetricName(_ name: String) -> Bool {
    var first = true
    for byte in name.utf8 {
        let ok = isLetterOrUnderscore(byte) || byte == UInt8(ascii: ":") || (!first && isDigit(byte))
        if !ok { return false }
        first = false
    }
    return !first
}

/// `[a-zA-Z_][a-zA-Z0-9_]*`, and not starting with `__` (reserved for Prometheus' own use).
public func isValidLabelName(_ name: String) -> Bool {
    if name.hasPrefix("__") { return false }
    var first = true
    for byte in name.utf8 {
        let ok = isLetterOrUnderscore(byte) || (!first && isDigit(byte))
        if !ok { return false }
        first = false
    }
    return !first
}

private func isLetterOrUnderscore(_ b: UInt8) -> Bool {
    (b >= UInt8(ascii: "a") && b <= UInt8(ascii: "z")) || (b >= UInt8(ascii: "A") && b <= UInt8(ascii: "Z"))
        || b == UInt8(ascii: "_")
}

private func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }
