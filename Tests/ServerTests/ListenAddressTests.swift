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

    /// Found by fuzzing (fuzz/corpus/http-headers/listen-address-newline): the message must stay one line.
    @Test(arguments: [
        ("\n", #"invalid listen address "\n": expected HOST:PORT, e.g. :9731 or 127.0.0.1:9731"#),
        ("a\nb:1", #"invalid listen address "a\nb:1": "a\nb" is not an IPv4 address, [IPv6] address or localhost"#),
        (":9\t", #"invalid listen address ":9\t": port "9\t" is not a number from 0 to 65535"#),
        ("1.2.3:80", #"invalid listen address "1.2.3:80": "1.2.3" is not an IPv4 address, [IPv6] address or localhost"#),
    ])
    func errorsAreOneEscapedLine(text: String, message: String) {
        let error = #expect(throws: ServerError.self) { try ListenAddress(parsing: text) }
        #expect(error?.description == message)
        #expect(error?.description.contains("\n") == false)
    }

    @Test func anyHost() throws {
        #expect(try ListenAddress(parsing: ":9731").host == .any)
    }

    @Test(arguments: [
        (nil, false), ("", false), ("gzip", true), ("deflate, gzip;q=0.5", true), ("gzip;q=0", false), ("identity", false),
        ("*", true), ("*;q=0", false), ("gzip;q=0, *", false), ("br, *;q=0.1", true), ("GZIP", true),
        // Found by fuzzing (fuzz/corpus/http-headers/accept-encoding-semicolon): these crashed the server.
        (";", false), (";q=1", false), (", ;;, gzip", true), (";;;", false),
    ] as [(String?, Bool)])
    func acceptEncoding(header: String?, accepted: Bool) {
        #expect(Gzip.isAccepted(by: header) == accepted)
    }
}
