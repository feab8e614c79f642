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
        let result = try BlockingCommand.run(["curl", "-sf", "--max-time", "5", "http://127.0.0.1:\(port)\(path)"])
        guard result.status == 0 else { throw ScenarioError("curl \(path): exit \(result.status)") }
        return result.output
    }
}
