import Foundation
import KubeletReader
import Model
import Testing

/// The JSON grammar as `PodListDecoder` applies it, in values it skips as much as in values it
/// reads; and, for the values it reads, that it reads them as the `JSONDecoder` reference did.
@Suite("PodList JSON syntax")
struct JSONSyntaxTests {
    /// `value` where a PodList has a field crisync does not read.
    static func skipped(_ value: [UInt8]) -> [UInt8] {
        Array(#"{"kind":"PodList","metadata":{"x":"#.utf8) + value + Array(#"},"items":[]}"#.utf8)
    }

    static let validValues = [
        #""plain""#, #""""#, #""\"\\\/\b\f\n\r\t""#, #""\u00e9\u20AC\u0000""#, #""\ud83d\ude00\uD83D\uDE00""#,
        "\"é€😀\u{7F}\u{2028}\"", "0", "-0", "1e5", "1E+2", "1e-2", "-1.5e-3", "123.456", "0.0", "1e400",
        "123456789012345678901234567890", "true", "false", "null", "{}", "[]", #"[1,[2,{"a":[]}]]"#,
        " [ 1 ,\n\t2\r\n] ", #"{"a":{"b":{"c":null}},"a":1}"#, #"{"":0}"#,
    ]

    @Test("valid JSON is accepted where it is skipped", arguments: validValues)
    func acceptsSkipped(value: String) throws {
        let body = Self.skipped(Array(value.utf8))
        #expect(try PodListDecoder.decode(body).pods.isEmpty)
        #expect(try compareDecoders(body).get() == .sameSnapshot)
    }

    static let invalidValues: [(String, [UInt8])] = [
        ("an unknown escape", Array(#""\x""#.utf8)),
        ("a short \\u escape", Array(#""\u12""#.utf8)),
        ("a \\u escape with a non-hex digit", Array(#""\u12zz""#.utf8)),
        ("a lone high surrogate", Array(#""\ud800""#.utf8)),
        ("a lone low surrogate", Array(#""\udc00""#.utf8)),
        ("a high surrogate before a non-surrogate", Array(#""\ud83d\u0041""#.utf8)),
        ("a high surrogate before text", Array(#""\ud83dx""#.utf8)),
        ("a raw control character", Array("\"a\u{01}b\"".utf8)),
        ("a raw newline", Array("\"a\nb\"".utf8)),
        ("a raw tab", Array("\"a\tb\"".utf8)),
        ("a byte that is never UTF-8", [0x22, 0xFF, 0x22]),
        ("a lone continuation byte", [0x22, 0x80, 0x22]),
        ("an overlong encoding", [0x22, 0xC0, 0x80, 0x22]),
        ("an overlong three-byte encoding", [0x22, 0xE0, 0x80, 0x80, 0x22]),
        ("a UTF-8 encoded surrogate", [0x22, 0xED, 0xA0, 0x80, 0x22]),
        ("a code point above U+10FFFF", [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22]),
        ("a truncated sequence", [0x22, 0xE2, 0x82, 0x22]),
        ("an unterminated string", Array(#""abc"#.utf8)),
        ("a leading zero", Array("01".utf8)),
        ("a negative leading zero", Array("-01".utf8)),
        ("two zeros", Array("00".utf8)),
        ("a trailing point", Array("1.".utf8)),
        ("a leading point", Array(".5".utf8)),
        ("a plus sign", Array("+1".utf8)),
        ("a lone minus", Array("-".utf8)),
        ("an empty exponent", Array("1e".utf8)),
        ("an exponent with only a sign", Array("1e+".utf8)),
        ("hexadecimal", Array("0x1".utf8)),
        ("Infinity", Array("Infinity".utf8)),
        ("NaN", Array("NaN".utf8)),
        ("two minus signs", Array("--1".utf8)),
        ("two points", Array("1.2.3".utf8)),
        ("minus point", Array("-.5".utf8)),
        ("a short true", Array("tru".utf8)),
        ("a short null", Array("nul".utf8)),
        ("a capital True", Array("True".utf8)),
        ("NULL", Array("NULL".utf8)),
        ("a literal with more letters", Array("falsey".utf8)),
        ("a trailing comma in an array", Array("[1,]".utf8)),
        ("a trailing comma in an object", Array(#"{"a":1,}"#.utf8)),
        ("a leading comma", Array("[,1]".utf8)),
        ("an object with only a comma", Array("{,}".utf8)),
        ("no comma between elements", Array("[1 2]".utf8)),
        ("no colon", Array(#"{"a" 1}"#.utf8)),
        ("no comma between members", Array(#"{"a":1 "b":2}"#.utf8)),
        ("a number as a key", Array("{1:1}".utf8)),
        ("single quotes", Array("{'a':1}".utf8)),
        ("a key without a value", Array(#"{"a"}"#.utf8)),
        ("an unclosed array", Array("[".utf8)),
        ("a closing bracket for a brace", Array("[}".utf8)),
        ("nothing", []),
    ]

    @Test("invalid JSON is refused where it is skipped, with a syntax error", arguments: invalidValues)
    func refusesSkipped(what: String, value: [UInt8]) throws {
        let body = Self.skipped(value)
        let error = #expect(throws: PodListDecodingError.self, "\(what)") { try PodListDecoder.decode(body) }
        #expect(try #require(error).description.hasPrefix("invalid JSON"), "\(what)")
        // The reference refused it too, or let it pass unread: never a different snapshot.
        #expect(try compareDecoders(body).get() != .sameSnapshot, "\(what)")
    }

    @Test(
        "the body as a whole",
        arguments: [
            ("leading and trailing whitespace", Array(" \r\n\t{\"items\":[]} \r\n\t".utf8), true),
            ("a UTF-8 byte order mark", [0xEF, 0xBB, 0xBF] + Array(#"{"items":[]}"#.utf8), true),
            ("garbage after the object", Array(#"{"items":[]}x"#.utf8), false),
            ("a second object", Array(#"{"items":[]}{}"#.utf8), false),
            ("a comma after the object", Array(#"{"items":[]},"#.utf8), false),
            ("a form feed after the object (not JSON whitespace)", Array("{\"items\":[]}\u{0C}".utf8), false),
            ("a NUL after the object", Array(#"{"items":[]}"#.utf8) + [0], false),
            ("nothing", [], false),
            ("only whitespace", Array("  \n".utf8), false),
            ("a string", Array(#""items""#.utf8), false),
            ("null", Array("null".utf8), false),
        ])
    func wholeBody(what: String, body: [UInt8], accepted: Bool) throws {
        let result = Result { () throws(PodListDecodingError) in try PodListDecoder.decode(body) }
        #expect(((try? result.get()) != nil) == accepted, "\(what): \(result)")
        #expect(try compareDecoders(body).get() == (accepted ? .sameSnapshot : .bothRefused), "\(what)")
    }

    /// A body nested `levels` deep in all, in a skipped field.
    static func nested(_ levels: Int) -> [UInt8] {
        Array(("{\"x\":" + String(repeating: "[", count: levels - 1) + String(repeating: "]", count: levels - 1) + "}").utf8)
    }

    @Test("nesting: 512 levels are accepted, 513 refused, as JSONDecoder did")
    func nestingLimit() throws {
        #expect(try compareDecoders(Self.nested(512)).get() == .sameSnapshot)
        #expect(try compareDecoders(Self.nested(513)).get() == .bothRefused)
        let error = #expect(throws: PodListDecodingError.self) { try PodListDecoder.decode(Self.nested(513)) }
        #expect(try #require(error).description.contains("nested more than 512 levels deep at byte 516"))
        // Objects count as arrays do, and so do the levels of the fields read.
        func objects(_ levels: Int) -> [UInt8] {
            Array(("{\"items\":[{\"metadata\":" + String(repeating: "{\"a\":", count: levels - 3) + "1"
                + String(repeating: "}", count: levels - 3) + "}]}").utf8)
        }
        #expect(try compareDecoders(objects(512)).get() == .sameSnapshot)
        #expect(try compareDecoders(objects(513)).get() == .bothRefused)
        #expect(throws: PodListDecodingError.self) { try PodListDecoder.decode(Self.nested(1_000_000)) }
    }

    @Test(
        "syntax errors name the byte",
        arguments: [
            (#"{"items":[}"#, "expected a value, found '}' at byte 10"),
            (#"{"items":[]} x"#, "expected nothing after the top-level value, found 'x' at byte 13"),
            (#"{"a":"\x"}"#, "invalid escape: a backslash followed by 'x' at byte 6"),
            (#"{"a":"\ud800"}"#, "high surrogate \\uD800 not followed by a low surrogate at byte 6"),
            (#"{"a":01}"#, "leading zero in a number at byte 6"),
            (#"{"a":1,}"#, "expected a key after ',', found '}' at byte 7"),
            (#"{"a":[1,]}"#, "expected a value after ',', found ']' at byte 8"),
            (#"{"a":tru}"#, "expected 'true', found '}' at byte 8"),
            (#"{"a":"x"#, "unexpected end of input at byte 7"),
            ("{\"a\":\"\u{01}\"}", "unescaped control character (byte 0x01) in a string at byte 6"),
        ])
    func syntaxErrorMessages(json: String, expected: String) throws {
        let error = #expect(throws: PodListDecodingError.self) { try PodListDecoder.decode(Array(json.utf8)) }
        let description = try #require(error).description
        #expect(description == "invalid JSON (\(json.utf8.count) bytes): \(expected)")
    }

    @Test("a syntax error anywhere wins over a wrong type before it, as with JSONDecoder")
    func syntaxBeforeTypes() throws {
        let json = #"{"items":[{"spec":{"nodeName":7}}], "x": [1,]}"#
        let error = #expect(throws: PodListDecodingError.self) { try PodListDecoder.decode(Array(json.utf8)) }
        #expect(try #require(error).description.hasPrefix("invalid JSON"))
    }
}
