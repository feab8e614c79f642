import Foundation
import KubeletReader
import Model

/// How `PodListDecoder` and the `JSONDecoder`-based reference agreed on one body.
enum Agreement: Equatable {
    case sameSnapshot
    case bothRefused
    /// Only `PodListDecoder` refused, with a syntax error, and the body is indeed not strict JSON:
    /// the reference let pass what it only skipped (a bad escape, a raw control character, invalid
    /// UTF-8 or a malformed number in a value it never decoded) and trailing commas.
    case onlyStrictRefused
}

/// The two decoders disagree where they must not.
struct Disagreement: Error, CustomStringConvertible {
    var description: String
}

/// Decodes `body` with both decoders: the same snapshot, both refusing, or the new decoder
/// refusing a body that is not strict JSON. Anything else is a ``Disagreement``.
func compareDecoders(_ body: [UInt8]) -> Result<Agreement, Disagreement> {
    let new = Result { () throws(PodListDecodingError) in try PodListDecoder.decode(body) }
    let reference = Result { () throws(PodListDecodingError) in try ReferencePodListDecoder.decode(body) }
    switch (new, reference) {
    case (.success(let snapshot), .success(let expected)):
        guard snapshot == expected else {
            return .failure(Disagreement(description: "different snapshots:\n\(snapshot)\nJSONDecoder: \(expected)"))
        }
        return .success(.sameSnapshot)
    case (.failure(let error), .failure):
        guard !error.description.contains("\n"), !error.description.contains("\r") else {
            return .failure(Disagreement(description: "an error on more than one line: \(error.description.debugDescription)"))
        }
        return .success(.bothRefused)
    case (.success, .failure(let error)):
        return .failure(Disagreement(description: "only JSONDecoder refused: \(error)"))
    case (.failure(let error), .success):
        guard error.description.hasPrefix("invalid JSON"), !isStrictJSON(body) else {
            return .failure(Disagreement(description: "only PodListDecoder refused: \(error)"))
        }
        return .success(.onlyStrictRefused)
    }
}

/// Counts of ``Agreement``s over many bodies, and the first disagreements.
struct AgreementTally {
    private(set) var counts: [Agreement: Int] = [:]
    private(set) var disagreements: [String] = []

    subscript(agreement: Agreement) -> Int { counts[agreement, default: 0] }

    mutating func compare(_ body: [UInt8], _ label: @autoclosure () -> String) {
        switch compareDecoders(body) {
        case .success(let agreement): counts[agreement, default: 0] += 1
        case .failure(let disagreement):
            if disagreements.count < 5 { disagreements.append("\(label()): \(disagreement)") }
        }
    }
}

/// Strict RFC 8259 JSON by an independent judge: Foundation's `JSONSerialization`, which checks
/// every value it builds, and accepts trailing commas, so those are looked for separately.
func isStrictJSON(_ body: [UInt8]) -> Bool {
    (try? JSONSerialization.jsonObject(with: Data(body), options: .fragmentsAllowed)) != nil && !hasTrailingComma(body)
}

/// A `,` followed (after whitespace) by `}` or `]`, outside strings.
func hasTrailingComma(_ body: [UInt8]) -> Bool {
    var inString = false
    var escaped = false
    for (index, byte) in body.enumerated() {
        if inString {
            if escaped {
                escaped = false
            } else if byte == UInt8(ascii: "\\") {
                escaped = true
            } else if byte == UInt8(ascii: "\"") {
                inString = false
            }
        } else if byte == UInt8(ascii: "\"") {
            inString = true
        } else if byte == UInt8(ascii: ",") {
            let next = body[(index + 1)...].first { ![0x20, 0x0A, 0x0D, 0x09].contains($0) }
            if next == UInt8(ascii: "}") || next == UInt8(ascii: "]") { return true }
        }
    }
    return false
}
