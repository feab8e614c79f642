/// Turns metric families into the Prometheus text format (0.0.4) or OpenMetrics 1.0.0.
///
/// Output is deterministic so it can be compared byte for byte with golden files: families sorted by
/// name, series by their label values (in label order), HELP and TYPE on every family.
public enum TextWriter {
    public static func render(_ families: [MetricFamily], format: ExpositionFormat) throws(ExpositionError) -> String {
        let sorted = families.sorted { $0.name < $1.name }
        var out = ""
        out.reserveCapacity(sorted.reduce(256) { $0 + 64 + $1.samples.count * 96 })
        var previous: String?
        for family in sorted {
            if family.name == previous { throw .duplicateFamily(family.name) }
            previous = family.name
            try validate(family)
            write(family, format: format, into: &out)
        }
        if format == .openMetrics { out.append("# EOF\n") }
        return out
    }

    private static func validate(_ family: MetricFamily) throws(ExpositionError) {
        guard isValidMetricName(family.name) else { throw .invalidMetricName(family.name) }
        if family.type == .counter, !family.name.hasSuffix("_total") || family.name == "_total" {
            throw .counterWithoutTotalSuffix(family.name)
        }
        for sample in family.samples {
            var seen: Set<String> = []
            for label in sample.labels {
                guard isValidLabelName(label.name) else { throw .invalidLabelName(metric: family.name, label: label.name) }
                guard seen.insert(label.name).inserted else {
                    throw .duplicateLabelName(metric: family.name, label: label.name)
                }
            }
        }
    }

    private static func write(_ family: MetricFamily, format: ExpositionFormat, into out: inout String) {
        // OpenMetrics names a counter family without `_total`; its samples keep the suffix.
        let familyName =
            format == .openMetrics && family.type == .counter
            ? String(family.name.dropLast("_total".count)) : family.name
        out.append("# HELP ")
        out.append(familyName)
        out.append(" ")
        appendEscaped(family.help, escapeQuotes: format == .openMetrics, into: &out)
        out.append("\n# TYPE ")
        out.append(familyName)
        out.append(" ")
        out.append(family.type.rawValue)
        out.append("\n")
        for sample in family.samples.sorted(by: seriesOrder) {
            out.append(family.name)
            if !sample.labels.isEmpty {
                out.append("{")
                for (index, label) in sample.labels.enumerated() {
                    if index > 0 { out.append(",") }
                    out.append(label.name)
                    out.append("=\"")
                    appendEscaped(label.value, escapeQuotes: true, into: &out)
                    out.append("\"")
                }
                out.append("}")
            }
            out.append(" ")
            out.append(formatSampleValue(sample.value))
            out.append("\n")
        }
    }

    /// Series order: by label values in label order, then by label names (for families whose series
    /// carry different label sets).
    private static func seriesOrder(_ a: Sample, _ b: Sample) -> Bool {
        for (x, y) in zip(a.labels, b.labels) {
            if x.value != y.value { return x.value < y.value }
            if x.name != y.name { return x.name < y.name }
        }
        return a.labels.count < b.labels.count
    }

    /// Escapes `\` and newline (and `"` in label values and OpenMetrics HELP), as the formats require.
    static func appendEscaped(_ text: String, escapeQuotes: Bool, into out: inout String) {
        var needsEscaping = false
        for byte in text.utf8 where byte == UInt8(ascii: "\\") || byte == UInt8(ascii: "\n") || (escapeQuotes && byte == UInt8(ascii: "\"")) {
            needsEscaping = true
            break
        }
        guard needsEscaping else {
            out.append(text)
            return
        }
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\\": out.append("\\\\")
            case "\n": out.append("\\n")
            case "\"" where escapeQuotes: out.append("\\\"")
            default: out.unicodeScalars.append(scalar)
            }
        }
    }
}
