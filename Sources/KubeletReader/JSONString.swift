import Foundation

/// A JSON string as written between its quotes, already checked by ``JSONScanner``, so reading
/// its value cannot fail. Nothing is copied until ``value`` is asked for.
struct JSONString {
    /// The bytes between the quotes, escapes as written.
    let raw: UnsafeBufferPointer<UInt8>
    /// False for the common case, where `raw` is the value's UTF-8 as it is.
    let hasEscapes: Bool

    var value: String {
        guard hasEscapes else { return String(decoding: raw, as: UTF8.self) }
        // An escape is never shorter than what it stands for, so `raw.count` bytes are enough.
        return String(unsafeUninitializedCapacity: raw.count) { unescape(into: $0) }
    }

    /// Runs `body` on the value's UTF-8 bytes without building a String.
    func withUTF8<Result>(_ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        guard hasEscapes else { return body(raw) }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: raw.count) { buffer in
            body(UnsafeBufferPointer(rebasing: buffer[..<unescape(into: buffer)]))
        }
    }

    /// Whether the value is `literal`, so keys can be matched in a `switch` without a String.
    ///
    /// Byte equality gives the same answer as `String`'s `==` (canonical equivalence) for the
    /// ASCII names and values this is used with: the only character canonically equivalent to an
    /// ASCII letter is U+212A KELVIN SIGN, and none of them contains a K.
    static func ~= (literal: StaticString, string: JSONString) -> Bool {
        string.withUTF8 { bytes in
            bytes.count == literal.utf8CodeUnitCount
                && (bytes.isEmpty || memcmp(bytes.baseAddress!, literal.utf8Start, bytes.count) == 0)
        }
    }

    /// Writes the value's UTF-8 to `output` and returns how many bytes that took. `raw` was
    /// checked by the scanner: every escape is complete and every surrogate paired.
    private func unescape(into output: UnsafeMutableBufferPointer<UInt8>) -> Int {
        var count = 0
        var index = 0
        while index < raw.count {
            let byte = raw[index]
            guard byte == .backslash else {
                output[count] = byte
                count += 1
                index += 1
                continue
            }
            let escaped = raw[index + 1]
            index += 2
            let replacement: UInt8
            switch escaped {
            case UInt8(ascii: "b"): replacement = 0x08
            case UInt8(ascii: "f"): replacement = 0x0C
            case UInt8(ascii: "n"): replacement = 0x0A
            case UInt8(ascii: "r"): replacement = 0x0D
            case UInt8(ascii: "t"): replacement = 0x09
            case UInt8(ascii: "u"):
                var scalar = hexUnit(at: index)
                index += 4
                if scalar >= 0xD800, scalar <= 0xDBFF {
                    scalar = 0x10000 + (scalar - 0xD800) << 10 + (hexUnit(at: index + 2) - 0xDC00)
                    index += 6
                }
                for unit in UTF8.encode(Unicode.Scalar(scalar)!)! {
                    output[count] = unit
                    count += 1
                }
                continue
            default: replacement = escaped  // `"`, `\` and `/` stand for themselves
            }
            output[count] = replacement
            count += 1
        }
        return count
    }

    private func hexUnit(at index: Int) -> UInt32 {
        var unit: UInt32 = 0
        for position in index..<index + 4 { unit = unit << 4 | UInt32(hexValue(raw[position])!) }
        return unit
    }
}
