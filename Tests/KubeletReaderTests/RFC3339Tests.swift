import Foundation
import KubeletReader
import Testing

@Suite("RFC 3339 timestamps")
struct RFC3339Tests {
    @Test(
        "valid timestamps",
        arguments: [
            ("2026-11-29T07:17:22Z", utc(2026, 11, 29, 7, 17, 22)),
            ("2026-11-29t07:17:22z", utc(2026, 11, 29, 7, 17, 22)),
            ("2026-11-29 07:17:22Z", utc(2026, 11, 29, 7, 17, 22)),
            ("1970-01-01T00:00:00Z", Date(timeIntervalSince1970: 0)),
            ("2024-02-29T23:59:59Z", utc(2024, 2, 29, 23, 59, 59)),
            ("2000-02-29T12:00:00Z", utc(2000, 2, 29, 12, 0, 0)),
            ("2026-11-29T09:17:22+02:00", utc(2026, 11, 29, 7, 17, 22)),
            ("2026-11-29T01:47:22-05:30", utc(2026, 11, 29, 7, 17, 22)),
            ("2026-11-29T07:17:22.5Z", utc(2026, 11, 29, 7, 17, 22, nanosecond: 500_000_000)),
            ("2026-11-29T07:17:22.123456Z", utc(2026, 11, 29, 7, 17, 22, nanosecond: 123_456_000)),
            ("2026-11-29T07:17:22.514937215Z", utc(2026, 11, 29, 7, 17, 22, nanosecond: 514_937_215)),
            ("1969-12-31T23:59:59Z", Date(timeIntervalSince1970: -1)),
        ])
    func parses(text: String, expected: Date) throws {
        let parsed = try #require(RFC3339.parse(text))
        #expect(abs(parsed.timeIntervalSince1970 - expected.timeIntervalSince1970) < 1e-6, "\(text)")
    }

    @Test(
        "invalid timestamps are nil",
        arguments: [
            "", "yesterday", "2026-11-29", "2026-11-29T07:17:22", "2026-11-29T07:17Z", "2026-13-01T00:00:00Z",
            "2026-02-29T00:00:00Z", "1900-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-11-29T24:00:00Z",
            "2026-11-29T07:60:00Z", "2026-11-29T07:17:22.Z", "2026-11-29T07:17:22+0200", "2026-11-29T07:17:22Z ",
            " 2026-11-29T07:17:22Z", "2026-11-29T07:17:22ZZ", "2026-1-29T07:17:22Z", "２０２６-11-29T07:17:22Z",
            "2026-11-29T07:17:22+24:00",
        ])
    func rejects(text: String) {
        #expect(RFC3339.parse(text) == nil, "\(text)")
    }

    @Test("agrees with Foundation's ISO 8601 parser on every day of four years")
    func agreesWithFoundation() throws {
        let start = utc(2023, 1, 1, 0, 0, 0).timeIntervalSince1970
        for day in 0..<(366 * 4) {
            let date = Date(timeIntervalSince1970: start + Double(day) * 86_400 + Double(day % 86_400) * 7)
            let text = date.formatted(.iso8601)
            let parsed = try #require(RFC3339.parse(text), "\(text)")
            #expect(parsed == date, "\(text)")
        }
    }
}
