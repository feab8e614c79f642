import Foundation
import KubeletReader
import Model
import Testing

/// How `PodListDecoder` reads the values of the fields crisync uses: each case is checked against
/// the expected value and against the `JSONDecoder` reference, so the table also records what
/// the reference did (its quirks included).
@Suite("PodList field values")
struct PodListFieldTests {
    /// A one-pod PodList whose only container has `member` in its status.
    static func container(_ member: String) -> [UInt8] {
        Array((#"{"items":[{"status":{"containerStatuses":[{"# + member + #"}]}}]}"#).utf8)
    }

    static func firstContainer(_ body: [UInt8]) throws -> KubeletContainerStatus {
        try #require(try PodListDecoder.decode(body).pods.first?.containers.first)
    }

    @Test(
        "restartCount and exit codes are 32-bit integers, converted as JSONDecoder converted them",
        arguments: [
            ("0", 0), ("7", 7), ("-0", 0), ("1.0", 1), ("1e2", 100), ("1E+2", 100), ("100e-2", 1), ("2147483647", .max),
            ("-2147483648", .min), ("2147483647.0", .max),
            // Through Double, as JSONDecoder did: the fraction is lost before it is checked.
            ("1.0000000000000000001", 1), ("1e-400", 0),
            ("2147483648", nil), ("-2147483649", nil), ("1.5", nil), ("1e400", nil), ("-1e-1", nil), ("1e10", nil),
        ] as [(String, Int32?)])
    func int32Values(text: String, expected: Int32?) throws {
        for member in [#""restartCount":"#, #""state":{"terminated":{"exitCode":"#] {
            let suffix = member.hasPrefix(#""state""#) ? "}}" : ""
            let body = Self.container(member + text + suffix)
            #expect(try compareDecoders(body).get() == (expected == nil ? .bothRefused : .sameSnapshot), "\(member)\(text)")
            guard let expected else { continue }
            let container = try Self.firstContainer(body)
            if case .terminated(let termination) = container.state {
                #expect(termination.exitCode == expected)
            } else {
                #expect(container.restartCount == expected)
            }
        }
    }

    @Test(
        "deletionGracePeriodSeconds is a 64-bit integer, converted as JSONDecoder converted it",
        arguments: [
            ("30", 30), ("9223372036854775807", .max), ("-9223372036854775808", .min), ("9007199254740993", 9_007_199_254_740_993),
            // From 2^53 on, JSONDecoder went through the decimal digits and cut the fraction off.
            ("9007199254740993.5", 9_007_199_254_740_993), ("9007199254740993e0", 9_007_199_254_740_993),
            ("9223372036854775808", nil), ("-9223372036854775809", nil), ("9223372036854775807.0", nil),
            // A quirk kept: JSONDecoder negated after converting the magnitude, so this one fails.
            ("-9223372036854775808.0", nil), ("1e19", nil),
        ] as [(String, Int64?)])
    func int64Values(text: String, expected: Int64?) throws {
        let body = Array((#"{"items":[{"metadata":{"deletionGracePeriodSeconds":"# + text + "}}]}").utf8)
        #expect(try compareDecoders(body).get() == (expected == nil ? .bothRefused : .sameSnapshot), "\(text)")
        if let expected {
            #expect(try PodListDecoder.decode(body).pods.first?.deletionGracePeriodSeconds == expected)
        }
    }

    @Test(
        "strings are unescaped, keys too",
        arguments: [
            (#""name":"web""#, "web"), (#""name":"we\u0062-\ud83d\ude00""#, "web-😀"), (#""name":"tab\there\n""#, "tab\there\n"),
            (#""name":"\"\\\/\b\f\r""#, "\"\\/\u{8}\u{C}\r"), (#""na\u006de":"escaped key""#, "escaped key"),
            (#""name":"caf\u00e9 café""#, "café café"), (#""name":"\u0000""#, "\u{0}"), (#""name":"""#, ""),
            (#""name":null"#, ""),
        ])
    func strings(member: String, expected: String) throws {
        let body = Self.container(member)
        #expect(try compareDecoders(body).get() == .sameSnapshot)
        #expect(try Self.firstContainer(body).name == expected)
    }

    @Test(
        "of duplicate keys the first counts, as with JSONDecoder",
        arguments: [
            (#""name":"a","name":"b""#, "a"), (#""name":null,"name":"b""#, ""), (#""name":"a","name":5"#, "a"),
            (#""name":"a","n\u0061me":"b""#, "a"), (#""name":"a","name":{"x":[1,2]}"#, "a"),
        ])
    func duplicateKeys(members: String, expected: String) throws {
        let body = Self.container(members)
        #expect(try compareDecoders(body).get() == .sameSnapshot)
        #expect(try Self.firstContainer(body).name == expected)
    }

    @Test(
        "nulls and wrong types, as with JSONDecoder",
        arguments: [
            // Accepted:
            (#"{"items":null}"#, true), (#"{"items":[{"metadata":null,"spec":null,"status":null}]}"#, true),
            (#"{"items":[{"status":{"conditions":null,"containerStatuses":null}}]}"#, true),
            (#"{"items":[{"status":{"containerStatuses":[{"state":null,"lastState":null}]}}]}"#, true),
            (#"{"items":[{"status":{"containerStatuses":[{"state":{"running":null,"waiting":{}}}]}}]}"#, true),
            (#"{"items":[{"status":{"conditions":[{"type":null,"status":null}]}}]}"#, true),
            (#"{"items":[],"items":null}"#, true),
            // Refused: a null element where an object belongs, or a value of another type, also
            // in fields crisync does not use.
            (#"{"items":[null]}"#, false), (#"{"items":[{"status":{"conditions":[null]}}]}"#, false),
            (#"{"items":[{"status":{"containerStatuses":[null]}}]}"#, false),
            (#"{"items":[{"status":{"conditions":[{"status":true}]}}]}"#, false),
            (#"{"items":[{"status":{"containerStatuses":[{"state":{"terminated":{},"running":[]}}]}}]}"#, false),
            (#"{"items":[{"status":{"containerStatuses":[{"lastState":{"waiting":{"reason":1}}}]}}]}"#, false),
            (#"{"items":[{"metadata":{"deletionTimestamp":""}}]}"#, false), (#"{"items":{}}"#, false),
            (#"{"items":[{"status":{"containerStatuses":[{"ready":"true"}]}}]}"#, false),
            (#"{"items":[{"status":{"containerStatuses":[{"started":0}]}}]}"#, false),
            (#"{"items":[{"status":{"containerStatuses":{}}}]}"#, false), ("[]", false), ("null", false),
        ])
    func nullsAndTypes(json: String, accepted: Bool) throws {
        #expect(try compareDecoders(Array(json.utf8)).get() == (accepted ? .sameSnapshot : .bothRefused), "\(json)")
    }

    @Test(
        "field errors name the path and the value found",
        arguments: [
            (#"{"items":[{"status":{"containerStatuses":[{"name":"a"},{"state":{"terminated":{"exitCode":"1"}}}]}}]}"#,
             #"at items[0].status.containerStatuses[1].state.terminated.exitCode: expected a 32-bit integer, found the string "1""#),
            (#"{"items":[{},{"status":{"conditions":[{},{"type":{}}]}}]}"#,
             "at items[1].status.conditions[1].type: expected a string, found an object"),
            (#"{"items":[null]}"#, "at items[0]: expected an object, found null"),
            (#"{"items":[{"metadata":{"deletionTimestamp":"2026-11-29T07:17:22\n"}}]}"#,
             #"at items[0].metadata.deletionTimestamp: not an RFC 3339 timestamp: "2026-11-29T07:17:22\n""#),
            ("null", "at the top level: expected an object, found null"),
        ])
    func fieldErrorMessages(json: String, expected: String) throws {
        let error = #expect(throws: PodListDecodingError.self) { try PodListDecoder.decode(Array(json.utf8)) }
        #expect(try #require(error).description == expected)
    }

    @Test("the Ready condition: the last one counts, True means ready")
    func readyCondition() throws {
        let json = #"""
            {"items":[{"status":{"conditions":[{"type":"Ready","status":"False"},{"type":"PodScheduled","status":"True"},
            {"status":"True","type":"Ready"},{"type":"ContainersReady","status":"False"}]}}]}
            """#
        #expect(try compareDecoders(Array(json.utf8)).get() == .sameSnapshot)
        #expect(try PodListDecoder.decode(Array(json.utf8)).pods.first?.ready == true)
    }

    @Test("several container states: running, then waiting, then terminated, whatever the order")
    func statePrecedence() throws {
        let json = #"{"items":[{"status":{"containerStatuses":[{"state":{"terminated":{"exitCode":3},"waiting":{"reason":"W"}}}]}}]}"#
        #expect(try compareDecoders(Array(json.utf8)).get() == .sameSnapshot)
        #expect(try Self.firstContainer(Array(json.utf8)).state == .waiting(reason: "W", message: nil))
    }
}
