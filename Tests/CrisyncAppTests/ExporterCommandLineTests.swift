import Foundation
import Testing

@testable import CrisyncApp

/// The exporter's command line, as the binary sees it.
@Suite("exporter binary: command line", .timeLimit(.minutes(3)))
struct ExporterCommandLineTests {
    static func lines(_ text: String) -> [Substring] {
        text.split(separator: "\n", omittingEmptySubsequences: true)
    }

    /// --help says where the node name comes from once, and the same whatever $NODE_NAME holds.
    @Test func helpGivesTheNodeNameDefaultOnce() async throws {
        let binary = try ExplainProcessRunner.exporterBinary()
        var environment = Foundation.ProcessInfo.processInfo.environment
        environment["NODE_NAME"] = "node-a"
        let withNodeName = try await ExplainProcessRunner.run(binary, ["--help"], environment: environment)
        environment["NODE_NAME"] = nil
        let withoutNodeName = try await ExplainProcessRunner.run(binary, ["--help"], environment: environment)
        #expect(withNodeName.status == 0 && withoutNodeName.status == 0)
        #expect(withNodeName.stdout == withoutNodeName.stdout, "--help depends on $NODE_NAME")

        // The --node.name entry: its line and the wrapped lines under it, up to the next flag.
        let lines = Self.lines(withNodeName.stdout)
        let start = try #require(lines.firstIndex { $0.trimmingCharacters(in: .whitespaces).hasPrefix("--node.name") })
        let next = lines[(start + 1)...].firstIndex { $0.trimmingCharacters(in: .whitespaces).hasPrefix("-") } ?? lines.endIndex
        let entry = lines[start..<next].map { $0.trimmingCharacters(in: .whitespaces) }.joined(separator: " ")
        #expect(entry.components(separatedBy: "default").count == 2, "one default: \(entry)")
        #expect(entry.contains("(default: $NODE_NAME)"), "\(entry)")
    }

    @Test(arguments: [
        ([String](), [String: String](), ""), ([], ["NODE_NAME": "node-a"], "node-a"),
        (["--node.name", "node-b"], ["NODE_NAME": "node-a"], "node-b"), (["--node.name", "node-b"], [:], "node-b"),
    ])
    func nodeNameIsTheFlagElseNodeNameFromTheEnvironment(arguments: [String], environment: [String: String], expected: String)
        throws
    {
        #expect(try SourceOptions.parse(arguments).nodeName(environment: environment) == expected)
    }
}
