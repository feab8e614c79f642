import ArgumentParser

/// A duration flag spelled as Prometheus spells them: `5s`, `500ms`, `1m30s`, `2h`, `1d`.
public struct PrometheusDuration: Sendable, Hashable, ExpressibleByArgument, CustomStringConvertible {
    public var seconds: Double

    public init(seconds: Double) {
        self.seconds = seconds
    }

    public init?(argument: String) {
        guard let seconds = Self.parse(argument) else { return nil }
        self.seconds = seconds
    }

    static let units: [(suffix: String, seconds: Double)] = [
        ("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400), ("w", 604_800), ("y", 31_536_000),
    ]

    static func parse(_ text: String) -> Double? {
        if text == "0" { return 0 }
        var rest = Substring(text)
        var total = 0.0
        guard !rest.isEmpty else { return nil }
        while !rest.isEmpty {
            let number = rest.prefix { $0.isNumber || $0 == "." }
            guard !number.isEmpty, let value = Double(number) else { return nil }
            rest = rest.dropFirst(number.count)
            // Longest suffix first so "ms" is not read as "m".
            guard let unit = units.sorted(by: { $0.suffix.count > $1.suffix.count }).first(where: { rest.hasPrefix($0.suffix) })
            else { return nil }
            rest = rest.dropFirst(unit.suffix.count)
            total += value * unit.seconds
        }
        return total
    }

    public var description: String {
        if seconds == 0 { return "0s" }
        if seconds < 1 { return "\(Int((seconds * 1000).rounded()))ms" }
        if seconds.truncatingRemainder(dividingBy: 3600) == 0 { return "\(Int(seconds / 3600))h" }
        if seconds.truncatingRemainder(dividingBy: 60) == 0 { return "\(Int(seconds / 60))m" }
        if seconds == seconds.rounded() { return "\(Int(seconds))s" }
        return "\(seconds)s"
    }

    public var defaultValueDescription: String { description }

    /// For `@Option(transform:)`: unlike `init?(argument:)`, its error says what a duration looks like.
    public static func parseFlag(_ text: String) throws -> PrometheusDuration {
        guard let seconds = parse(text) else {
            throw FlagValueError("expected a duration such as 500ms, 5s, 1m30s or 2h (units ms, s, m, h, d, w, y)")
        }
        return PrometheusDuration(seconds: seconds)
    }
}

/// Why a flag's value was refused; ArgumentParser prints it after the flag's name.
public struct FlagValueError: Error, CustomStringConvertible {
    public let description: String

    public init(_ description: String) {
        self.description = description
    }
}

extension PrometheusDuration {
    var swiftDuration: Duration { .milliseconds(Int64((seconds * 1000).rounded())) }
}
