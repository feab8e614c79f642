/// Byte-level helpers shared by the parsers: procfs and cgroup files are ASCII, and parsing them
/// without building Strings keeps the per-PID cost near the cost of the system calls.

extension UInt8 {
    static let space = UInt8(ascii: " ")
    static let newline = UInt8(ascii: "\n")
    static let tab = UInt8(ascii: "\t")
    static let colon = UInt8(ascii: ":")
    static let comma = UInt8(ascii: ",")
    static let slash = UInt8(ascii: "/")
    static let minus = UInt8(ascii: "-")
    static let zero = UInt8(ascii: "0")
    static let openParen = UInt8(ascii: "(")
    static let closeParen = UInt8(ascii: ")")

    var isASCIIDigit: Bool { self >= .zero && self <= .zero + 9 }
    /// Space, tab or newline: the separators procfs uses.
    var isFieldSeparator: Bool { self == .space || self == .newline || self == .tab }
}

/// An unsigned decimal number filling `bytes` exactly; nil if empty, not all digits, or over `UInt64.max`.
func parseUInt64(_ bytes: UnsafeBufferPointer<UInt8>) -> UInt64? {
    guard !bytes.isEmpty else { return nil }
    var value: UInt64 = 0
    for byte in bytes {
        guard byte.isASCIIDigit else { return nil }
        let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
        let (sum, overflow2) = times10.addingReportingOverflow(UInt64(byte - .zero))
        if overflow1 || overflow2 { return nil }
        value = sum
    }
    return value
}

/// A signed decimal number (optional leading `-`) filling `bytes` exactly; nil if it does not fit `Int64`.
func parseInt64(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
    guard let first = bytes.first else { return nil }
    if first == .minus {
        guard let magnitude = parseUInt64(UnsafeBufferPointer(rebasing: bytes.dropFirst())) else { return nil }
        if magnitude == UInt64(Int64.max) + 1 { return Int64.min }
        guard magnitude <= UInt64(Int64.max) else { return nil }
        return -Int64(magnitude)
    }
    guard let magnitude = parseUInt64(bytes), magnitude <= UInt64(Int64.max) else { return nil }
    return Int64(magnitude)
}

/// A signed decimal number that fits `Int32`.
func parseInt32(_ bytes: UnsafeBufferPointer<UInt8>) -> Int32? {
    guard let value = parseInt64(bytes) else { return nil }
    return Int32(exactly: value)
}

/// The text of `bytes` for error messages: cut to `limit` bytes so a huge bad field cannot flood a
/// log, and with control characters escaped (`\n`) so every error stays on one line.
func excerpt(_ bytes: UnsafeBufferPointer<UInt8>, limit: Int = 80) -> String {
    let cut = UnsafeBufferPointer(rebasing: bytes.prefix(limit))
    var text = ""
    for scalar in String(decoding: cut, as: UTF8.self).unicodeScalars {
        if scalar.properties.generalCategory == .control {
            text += scalar.escaped(asASCII: true)
        } else {
            text.unicodeScalars.append(scalar)
        }
    }
    return bytes.count > limit ? text + "…" : text
}

/// Calls `body` once per line of `bytes` (split at `\n`, without it), with the 1-based line number.
/// A final line without `\n` is still a line; the empty remainder after a final `\n` is not.
func forEachLine(
    _ bytes: UnsafeBufferPointer<UInt8>, _ body: (_ line: UnsafeBufferPointer<UInt8>, _ number: Int) throws(KernelParseError) -> Void
) throws(KernelParseError) {
    var start = bytes.startIndex
    var number = 0
    while start < bytes.endIndex {
        var end = start
        while end < bytes.endIndex && bytes[end] != .newline { end += 1 }
        number += 1
        try body(UnsafeBufferPointer(rebasing: bytes[start..<end]), number)
        start = end + 1
    }
}

extension UnsafeBufferPointer<UInt8> {
    /// True if the bytes equal `literal`'s UTF-8 bytes.
    func equals(_ literal: StaticString) -> Bool {
        guard count == literal.utf8CodeUnitCount else { return false }
        let other = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        return elementsEqual(other)
    }
}
