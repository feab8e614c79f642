/// Parses `/proc/<pid>/limits` (proc(5)): a header line, then one row per resource with its name
/// (which contains spaces), soft limit, hard limit and units, in space-padded columns. A limit is a
/// decimal number or `unlimited`.
enum ProcessLimits {
    /// `unlimited` as a number: RLIM_INFINITY, which is also what prometheus/procfs reports, so
    /// `process_max_fds` reads the same as a Go exporter's would.
    static let unlimited = Double(UInt64.max)

    /// The soft "Max open files" limit; nil when the row is missing or malformed.
    static func maxOpenFiles(in text: String) -> Double? {
        softLimit(of: "Max open files", in: text)
    }

    /// The soft limit of the row named `resource` (e.g. "Max open files").
    static func softLimit(of resource: String, in text: String) -> Double? {
        for line in text.split(separator: "\n") where line.hasPrefix(resource + " ") {
            guard let soft = line.dropFirst(resource.count).split(whereSeparator: \.isWhitespace).first else { return nil }
            if soft == "unlimited" { return unlimited }
            return UInt64(soft).map { Double($0) }
        }
        return nil
    }
}
