import Foundation
import Testing

@testable import Collector

/// The README's metrics table is the contract operators read; it must list every family the code
/// exports and every divergence kind.
@Suite("README documents every metric family and divergence kind")
struct DocumentationTests {
    static let readme: String = {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("README.md")
        return (try? String(contentsOf: url, encoding: .utf8)) ?? ""
    }()

    static func tableRows(startingWith marker: String) -> [String] {
        readme.split(separator: "\n").map(String.init).filter { $0.hasPrefix("| `\(marker)") }
    }

    @Test(arguments: MetricsInventory.all)
    func familyIsInTheMetricsTable(_ definition: MetricsInventory.Definition) throws {
        let row = try #require(
            Self.tableRows(startingWith: definition.name + "`").first, "README has no row for \(definition.name)")
        #expect(row.contains("| \(definition.type.rawValue) |"), "README gives \(definition.name) another type: \(row)")
        for label in definition.labels {
            #expect(row.contains("`\(label)`"), "README row of \(definition.name) lacks label \(label)")
        }
    }

    @Test(arguments: DivergenceKind.allCases)
    func kindIsDefined(_ kind: DivergenceKind) {
        #expect(Self.tableRows(startingWith: kind.rawValue + "`").count == 1, "README does not define \(kind.rawValue)")
    }

    @Test(arguments: TerminationBlocker.allCases)
    func blockerIsDocumented(_ blocker: TerminationBlocker) {
        #expect(Self.readme.contains("`\(blocker.rawValue)`"))
    }
}
