import Foundation
import Testing

@testable import CrisyncApp

@Suite("UTC timestamps: RFC 3339 without ICU")
struct UTCTimestampTests {
    static let instants = [
        (0, 0), (1_764_459_431, 919), (951_782_400, 5), (1_709_164_800, 999), (2_147_483_647, 40), (4_102_444_799, 1),
    ]

    /// The same text Foundation's ISO8601DateFormatter gives (what the log handler used before).
    @Test(arguments: instants)
    func withMillisecondsMatchesFoundationsFormatter(seconds: Int, milliseconds: Int) {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        let date = Date(timeIntervalSince1970: Double(seconds) + Double(milliseconds) / 1000 + 0.0001)
        #expect(UTCTimestamp.format(seconds: seconds, milliseconds: milliseconds) == formatter.string(from: date))
    }

    /// The same text as `Date.formatted(.iso8601)` (what the landing page and explain used before).
    @Test(arguments: instants)
    func wholeSecondsMatchFoundationsFormatStyle(seconds: Int, milliseconds: Int) {
        let unixSeconds = Double(seconds) + Double(milliseconds) / 1000
        #expect(
            UTCTimestamp.format(unixSeconds: unixSeconds)
                == Date(timeIntervalSince1970: unixSeconds.rounded(.down)).formatted(.iso8601))
    }

    @Test func nowIsNowInUTC() throws {
        let before = Date()
        let text = UTCTimestamp.now()
        #expect(text.wholeMatch(of: /\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z/) != nil, "\(text)")
        let parsed = try #require(try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text))
        #expect(abs(parsed.timeIntervalSince(before)) < 5, "\(text)")
    }
}
