import Foundation

/// Appends one JSON object per line to the results file that `report` reads at the end of a run.
struct ResultLog {
    var path: String

    func append(_ record: some Encodable) throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        var line = try encoder.encode(record)
        line.append(UInt8(ascii: "\n"))
        if !FileManager.default.fileExists(atPath: path) {
            guard FileManager.default.createFile(atPath: path, contents: nil) else {
                throw BenchError("cannot create results file \(path)")
            }
        }
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: line)
    }
}

/// A failure of the benchmark itself (setup, a missing tool, a source that would not answer).
struct BenchError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}

/// Progress lines go to stderr so stdout stays free for results.
func note(_ line: String) {
    FileHandle.standardError.write(Data("[crisync-bench] \(line)\n".utf8))
}

/// Milliseconds with three decimals, for log lines.
func ms(_ seconds: Double) -> String {
    String(format: "%.3f ms", seconds * 1000)
}

func mib(_ bytes: Int) -> Double {
    Double(bytes) / 1_048_576
}
