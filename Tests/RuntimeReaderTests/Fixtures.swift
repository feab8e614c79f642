import Foundation
import Testing

/// Files under Tests/RuntimeReaderTests/Fixtures (captured from the lab's containerd 1.6.20).
enum Fixture {
    static func text(_ name: String) throws -> String {
        let url = try #require(
            Bundle.module.url(forResource: name, withExtension: nil, subdirectory: "Fixtures"),
            "fixture \(name) is missing")
        return try String(contentsOf: url, encoding: .utf8)
    }
}
