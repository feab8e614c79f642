import Testing

@testable import Server

@Suite("Listen addresses and Accept-Encoding")
struct ListenAddressTests {
    @Test(arguments: [(":9731", 9731), ("127.0.0.1:0", 0), ("[::1]:80", 80), ("localhost:9100", 9100), ("0.0.0.0:65535", 65535)])
    func valid(text: String, port: Int) throws {
        #expect(try ListenAddress(parsing: text).port == UInt16(port))
    }

    @Test(arguments: ["9731", "127.0.0.1:", ":65536", "host.example:80", "[::1:80", "1.2.3:80", ":-1", "[zz]:1"])
    func invalid(text: String) {
        #expect(throws: ServerError.self) { try ListenAddress(parsing: text) }
    }

    @Test func anyHost() throws {
        #expect(try ListenAddress(parsing: ":9731").host == .any)
    }

    @Test(arguments: [
        (nil, false), ("", false), ("gzip", true), ("deflate, gzip;q=0.5", true), ("gzip;q=0", false), ("identity", false),
        ("*", true), ("*;q=0", false), ("gzip;q=0, *", false), ("br, *;q=0.1", true), ("GZIP", true),
    ] as [(String?, Bool)])
    func acceptEncoding(header: String?, accepted: Bool) {
        #expect(Gzip.isAccepted(by: header) == accepted)
    }
}
