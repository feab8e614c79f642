import Foundation
import Testing

@testable import CrisyncApp

enum ExplainDocs {
    static var directory: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("docs")
    }

    static func validator() throws -> ExplainSchemaValidator {
        let text = try String(contentsOf: directory.appendingPathComponent("explain-json.schema.json"), encoding: .utf8)
        return ExplainSchemaValidator(root: try ExplainJSONValue.parse(text))
    }

    static func markdown() throws -> String {
        try String(contentsOf: directory.appendingPathComponent("explain-json.md"), encoding: .utf8)
    }
}

@Suite("explain: JSON output")
struct ExplainJSONTests {
    @Test(arguments: ExplainCase.everything)
    func conformsToTheDocumentedSchema(_ testCase: ExplainCase) throws {
        let json = try ExplainJSON.render(testCase.report)
        let violations = try ExplainDocs.validator().violations(of: try ExplainJSONValue.parse(json))
        #expect(violations.isEmpty, "\(violations.joined(separator: "\n"))")
    }

    @Test(arguments: ExplainCase.everything)
    func decodesBackToTheSameDocument(_ testCase: ExplainCase) throws {
        let json = try ExplainJSON.render(testCase.report)
        let decoded = try ExplainJSON.decoder().decode(ExplainDocument.self, from: Data(json.utf8))
        #expect(decoded == ExplainJSON.document(testCase.report))
        #expect(decoded.summary.exitCode == testCase.report.exitCode)
    }

    /// The validator itself must be able to fail: a wrong type, a missing key, an unknown key.
    @Test func theSchemaRejectsWhatItDoesNotDescribe() throws {
        let validator = try ExplainDocs.validator()
        let json = try ExplainJSON.render(ExplainScenarios.ghost.report(.all))
        guard case .object(var document) = try ExplainJSONValue.parse(json) else {
            Issue.record("not an object")
            return
        }
        #expect(validator.violations(of: .object(document)).isEmpty)
        document["surprise"] = .bool(true)
        document["mode"] = .string("everything")
        document["summary"] = .object([:])
        let problems = validator.violations(of: .object(document))
        #expect(problems.contains("$: undocumented property surprise"))
        #expect(problems.contains { $0.hasPrefix("$.mode: ") })
        #expect(problems.contains("$.summary: missing required verdict"))
    }

    /// Every property of the schema is explained in docs/explain-json.md.
    @Test func everyPropertyIsDocumented() throws {
        let markdown = try ExplainDocs.markdown()
        let paths = try ExplainDocs.validator().propertyPaths()
        #expect(paths.count > 60)
        for path in paths {
            #expect(markdown.contains("`\(path)`"), "docs/explain-json.md does not document `\(path)`")
        }
    }

    @Test func theGhostInJSON() throws {
        let document = ExplainJSON.document(ExplainScenarios.ghost.report(.pod(namespace: "shop", name: "ghost")))
        #expect(document.mode == "pod")
        #expect(document.target == "shop/ghost")
        #expect(document.summary.verdict == "findings")
        let app = try #require(document.containers.first)
        #expect(app.findings.map(\.kind) == ["process_zombie", "ready_but_dead"])
        #expect(app.kernel?.process?.state == "Z")
        #expect(app.kernel?.parent?.state == "T")
        #expect(app.findings.first?.remediation.first?.command == "kill -CONT 902")
        #expect(app.findings.first?.runbook.hasSuffix("#crisynccontainerprocessdead") == true)
    }
}
