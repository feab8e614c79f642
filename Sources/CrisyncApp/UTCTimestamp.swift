import Glibc

/// Times as crisync writes them: RFC 3339 in UTC, `2026-11-29T23:37:11.919Z` in log lines (as
/// Prometheus' exporters write them), `2026-11-29T23:37:11Z` on the landing page and in `explain`.
///
/// From the C library's calendar arithmetic rather than Foundation's date formatting: that builds an
/// ICU calendar and time zone, which kept 2.5 MiB of ICU's data resident in a process that otherwise
/// never needs ICU.
enum UTCTimestamp {
    /// Now, with milliseconds.
    static func now() -> String {
        var time = timespec()
        clock_gettime(CLOCK_REALTIME, &time)
        return format(seconds: time.tv_sec, milliseconds: Int(time.tv_nsec / 1_000_000))
    }

    /// Whole seconds (rounded down) when `milliseconds` is nil.
    static func format(seconds: Int, milliseconds: Int? = nil) -> String {
        var time = time_t(seconds)
        var parts = tm()
        guard gmtime_r(&time, &parts) != nil else { return "\(seconds)" }
        func digits(_ value: Int32, _ width: Int) -> String {
            let text = String(value)
            return String(repeating: "0", count: max(0, width - text.count)) + text
        }
        var text = digits(parts.tm_year + 1900, 4) + "-" + digits(parts.tm_mon + 1, 2) + "-" + digits(parts.tm_mday, 2) + "T"
        text += digits(parts.tm_hour, 2) + ":" + digits(parts.tm_min, 2) + ":" + digits(parts.tm_sec, 2)
        if let milliseconds { text += "." + digits(Int32(milliseconds), 3) }
        return text + "Z"
    }

    /// Seconds since the epoch, as a Double (fractions dropped).
    static func format(unixSeconds: Double) -> String {
        format(seconds: Int(unixSeconds.rounded(.down)))
    }
}
