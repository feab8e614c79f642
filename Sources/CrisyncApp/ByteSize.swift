import ArgumentParser

/// A size flag: `67108864`, `64MiB`, `512KiB`, `1GiB` (also `MB`, `KB`, `GB` as powers of 1000).
public struct ByteSize: Sendable, Hashable, ExpressibleByArgument, CustomStringConvertible {
    public var bytes: Int

    public init(bytes: Int) {
        self.bytes = bytes
    }

    public init?(argument: String) {
        let units: [(String, Int)] = [
            ("KiB", 1 << 10), ("MiB", 1 << 20), ("GiB", 1 << 30), ("KB", 1000), ("MB", 1_000_000), ("GB", 1_000_000_000), ("B", 1),
        ]
        let unit = units.first { argument.hasSuffix($0.0) }
        let number = unit.map { String(argument.dropLast($0.0.count)) } ?? argument
        guard let value = Int(number), value > 0 else { return nil }
        let (product, overflow) = value.multipliedReportingOverflow(by: unit?.1 ?? 1)
        guard !overflow else { return nil }
        bytes = product
    }

    public var description: String {
        for (suffix, size) in [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)] where bytes % size == 0 {
            return "\(bytes / size)\(suffix)"
        }
        return "\(bytes)"
    }

    public var defaultValueDescription: String { description }

    /// For `@Option(transform:)`: unlike `init?(argument:)`, its error says what a size looks like.
    public static func parseFlag(_ text: String) throws -> ByteSize {
        guard let size = ByteSize(argument: text) else {
            throw FlagValueError("expected a positive size in bytes, or with a unit such as 512KiB, 64MiB, 1GiB (or KB, MB, GB)")
        }
        return size
    }
}
