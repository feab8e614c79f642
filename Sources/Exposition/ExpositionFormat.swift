/// The two wire formats `/metrics` can speak, and the `Accept` header negotiation between them.
public enum ExpositionFormat: String, Sendable, Hashable, CaseIterable {
    /// Prometheus text format 0.0.4, the default.
    case prometheusText
    /// OpenMetrics 1.0.0, when the scraper asks for it.
    case openMetrics

    public var contentType: String {
        switch self {
        case .prometheusText: "text/plain; version=0.0.4; charset=utf-8"
        case .openMetrics: "application/openmetrics-text; version=1.0.0; charset=utf-8"
        }
    }

    /// Picks the format from an `Accept` header: OpenMetrics when it is offered with a higher (or equal)
    /// quality than plain text and its version is 1.0.0 or unspecified; text otherwise.
    public static func negotiate(accept: String?) -> ExpositionFormat {
        guard let accept, !accept.isEmpty else { return .prometheusText }
        var openMetricsQ = -1.0
        var textQ = -1.0
        for range in accept.split(separator: ",") {
            let parts = range.split(separator: ";").map { $0.trimmingCharacters(in: " \t") }
            guard let mediaType = parts.first?.lowercased() else { continue }
            var q = 1.0
            var version: String?
            for param in parts.dropFirst() {
                let kv = param.split(separator: "=", maxSplits: 1).map { $0.trimmingCharacters(in: " \t\"") }
                guard kv.count == 2 else { continue }
                switch kv[0].lowercased() {
                case "q": q = Double(kv[1]) ?? 0
                case "version": version = kv[1]
                default: break
                }
            }
            switch mediaType {
            case "application/openmetrics-text":
                if version == nil || version == "1.0.0" { openMetricsQ = max(openMetricsQ, q) }
            case "text/plain", "*/*", "text/*":
                textQ = max(textQ, q)
            default:
                break
            }
        }
        return openMetricsQ > 0 && openMetricsQ >= textQ ? .openMetrics : .prometheusText
    }
}

extension Substring {
    fileprivate func trimmingCharacters(in set: String) -> String {
        var slice = self[...]
        while let first = slice.first, set.contains(first) { slice = slice.dropFirst() }
        while let last = slice.last, set.contains(last) { slice = slice.dropLast() }
        return String(slice)
    }
}
