import Foundation
import Testing

/// Golden files under `Fixtures/explain/`. `CRISYNC_UPDATE_GOLDEN=1 swift test --filter Explain`
/// rewrites them in the source tree (review the diff before committing).
enum ExplainGolden {
    static var updating: Bool { Foundation.ProcessInfo.processInfo.environment["CRISYNC_UPDATE_GOLDEN"] == "1" }

    static func sourceDirectory(filePath: String = #filePath) -> URL {
        URL(fileURLWithPath: filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/explain")
    }

    static func expected(_ name: String) throws -> String {
        let url = try #require(
            Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures/explain"),
            "golden file Fixtures/explain/\(name) is missing; create it with CRISYNC_UPDATE_GOLDEN=1")
        return try String(contentsOf: url, encoding: .utf8)
    }

    /// Compares `actual` with the golden file byte for byte (or rewrites it when updating), and on a
    /// mismatch names the first differing line.
    static func check(_ actual: String, against name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        if updating {
            let url = sourceDirectory().appendingPathComponent(name)
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try actual.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        let expected = try expected(name)
        guard actual != expected else { return }
        let actualLines = actual.components(separatedBy: "\n")
        let expectedLines = expected.components(separatedBy: "\n")
        let index =
            zip(actualLines, expectedLines).enumerated().first { $0.element.0 != $0.element.1 }?.offset
            ?? min(actualLines.count, expectedLines.count)
        let got = index < actualLines.count ? actualLines[index] : "<end>"
        let want = index < expectedLines.count ? expectedLines[index] : "<end>"
        Issue.record(
            "\(name) differs at line \(index + 1):\n  got:  \(got)\n  want: \(want)\n(CRISYNC_UPDATE_GOLDEN=1 rewrites it)",
            sourceLocation: sourceLocation)
    }
}
