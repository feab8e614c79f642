import Foundation

/// Durations as the lab's flags spell them: `500ms`, `2s`, `1.5s`, `1m`, `0`, or a bare number of
/// seconds.
public enum LabDuration {
    /// Parses `text` into a duration; negative, non-finite and unit-less garbage are refused.
    public static func parse(_ text: String) throws(LabError) -> Duration {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let units: [(suffix: String, seconds: Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600)]
        var number = Substring(trimmed)
        var scale = 1.0
        for unit in units where trimmed.hasSuffix(unit.suffix) {
            number = trimmed.dropLast(unit.suffix.count)
            scale = unit.seconds
            break
        }
        guard let value = Double(number), value.isFinite, value >= 0 else { throw .invalidDuration(text) }
        return .milliseconds(Int64((value * scale * 1000).rounded()))
    }

    /// Seconds in `duration`, as a Double.
    public static func seconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) + Double(duration.components.attoseconds) / 1e18
    }
}
