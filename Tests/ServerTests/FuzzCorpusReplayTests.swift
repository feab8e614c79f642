import Exposition
import Foundation
import Testing

@testable import Server

/// The committed fuzz corpus of the Server's parsers, replayed in the ordinary test run: every
/// input that once crashed (and every seed) must be handled, with one-line errors. scripts/fuzz.sh
/// explores further; this keeps the findings fixed even where the fuzz build does not run.
private func corpus(_ target: String) throws -> [(name: String, bytes: [UInt8])] {
    let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../fuzz/corpus/\(target)")
    let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
    return try names.map { ($0, Array(try Data(contentsOf: directory.appendingPathComponent($0)))) }
}

@Suite("Fuzz corpus replay (Server)")
struct FuzzCorpusReplayTests {
    @Test func webConfigInputs() throws {
        let inputs = try corpus("web-config")
        #expect(inputs.count >= 5)
        for (name, bytes) in inputs {
            do {
                _ = try WebConfigDecoder.decode(bytes, file: "/fuzz/web.yml")
            } catch {
                #expect(!error.description.contains("\n"), "\(name): \(error)")
            }
        }
    }

    @Test func headerInputs() throws {
        let inputs = try corpus("http-headers")
        #expect(inputs.contains { $0.name == "accept-encoding-semicolon" })
        for (name, bytes) in inputs {
            let fields = bytes.split(separator: 0, maxSplits: 3, omittingEmptySubsequences: false).map { String(decoding: $0, as: UTF8.self) }
            _ = ExpositionFormat.negotiate(accept: fields.first)
            _ = Gzip.isAccepted(by: fields.count > 1 ? fields[1] : nil)
            if fields.count > 3 {
                do {
                    _ = try ListenAddress(parsing: fields[3])
                } catch {
                    #expect(!error.description.contains("\n"), "\(name): \(error)")
                }
            }
        }
    }
}
