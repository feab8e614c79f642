import Foundation
import Server

enum HTTPServerForTests {
    static func start() throws -> HTTPServer {
        try HTTPServer.start(ServerConfiguration(listenAddress: ListenAddress(parsing: "127.0.0.1:0")))
    }
}

extension HTTPServer {
    /// GET /metrics with curl, a real client.
    func scrape(path: String = "/metrics") throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        process.arguments = ["-sf", "--max-time", "5", "http://127.0.0.1:\(port)\(path)"]
        let output = Pipe()
        process.standardOutput = output
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else { throw ScenarioError("curl \(path): exit \(process.terminationStatus)") }
        return String(decoding: data, as: UTF8.self)
    }
}
