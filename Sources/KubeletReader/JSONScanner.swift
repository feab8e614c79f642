/// A strict RFC 8259 reader over UTF-8 bytes: the caller asks for the values it wants, in document
/// order, and skips the others, which are checked but never built.
///
/// Why by hand: most of the kubelet's `/pods` body is spec, annotations and managedFields that
/// crisync never reads; Foundation's `JSONDecoder` still maps all of it and builds a dictionary
/// per decoded object, which cost ~13 ms per refresh at 1,000 containers.
///
/// Strict everywhere, skipped values included: escapes (`\uXXXX` surrogates must pair), UTF-8,
/// no raw control characters in strings, the number grammar, literals, no trailing commas, nothing
/// after the top-level value. Nesting is limited to ``maxDepth`` and skipping is a loop, not
/// recursion, so a deep body is an error and never a stack overflow.
///
/// Use it inside `withUnsafeBytes`: it keeps a pointer to the bytes, and so do the
/// ``JSONString`` and ``JSONNumber`` values it returns.
struct JSONScanner {
    /// `JSONDecoder`'s limit, kept so both accept the same bodies: the top-level value is level 1.
    static let maxDepth = 512

    private let bytes: UnsafeBufferPointer<UInt8>
    /// The next byte to read.
    private(set) var offset = 0
    /// Objects and arrays entered and not yet left.
    private var depth = 0
    /// Set on entering an object or array, cleared by its first `nextKey()`/`nextElement()`: the
    /// first member has no comma before it. One flag is enough because a container's first member
    /// is always asked for right after entering it, before anything else is entered.
    private var atFirstMember = false

    /// Starts at the top-level value; a UTF-8 byte order mark is skipped, as `JSONDecoder` does.
    init(_ bytes: UnsafeBufferPointer<UInt8>) {
        self.bytes = bytes
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { offset = 3 }
    }

    /// Checks a whole document without building anything: the syntax check alone.
    static func validate(_ bytes: UnsafeBufferPointer<UInt8>) throws(JSONReadError) {
        var scanner = JSONScanner(bytes)
        try scanner.skipValue()
        try scanner.finish()
    }

    /// After the top-level value: only whitespace may follow.
    mutating func finish() throws(JSONReadError) {
        skipWhitespace()
        guard offset == bytes.count else { throw unexpected("nothing after the top-level value") }
    }

    // MARK: Values

    /// The kind of the value at the offset, from its first byte; nothing is consumed.
    mutating func peekKind() throws(JSONReadError) -> JSONValueKind {
        skipWhitespace()
        guard offset < bytes.count else { throw endOfInput() }
        switch bytes[offset] {
        case .openBrace: return .object
        case .openBracket: return .array
        case .quote: return .string
        case .minus, UInt8(ascii: "0")...UInt8(ascii: "9"): return .number
        case UInt8(ascii: "t"), UInt8(ascii: "f"): return .bool
        case UInt8(ascii: "n"): return .null
        default: throw unexpected("a value")
        }
    }

    /// Consumes `null` (after ``peekKind()`` returned `.null`).
    mutating func consumeNull() throws(JSONReadError) {
        try consumeLiteral("null")
    }

    /// Consumes `true` or `false` (after ``peekKind()`` returned `.bool`).
    mutating func bool() throws(JSONReadError) -> Bool {
        if bytes[offset] == UInt8(ascii: "t") {
            try consumeLiteral("true")
            return true
        }
        try consumeLiteral("false")
        return false
    }

    /// Consumes a string (after ``peekKind()`` returned `.string`), checking its escapes and UTF-8.
    mutating func string() throws(JSONReadError) -> JSONString {
        let start = offset + 1
        var index = start
        var hasEscapes = false
        while true {
            // The common case, plain ASCII: eight bytes at a time (most of the body is strings),
            // then byte by byte up to the byte that ends the run.
            while index + 8 <= bytes.count,
                !anyByteEndsPlainRun(UnsafeRawPointer(bytes.baseAddress! + index).loadUnaligned(as: UInt64.self))
            {
                index += 8
            }
            while index < bytes.count {
                let byte = bytes[index]
                if byte == .quote || byte == .backslash || byte < 0x20 || byte >= 0x80 { break }
                index += 1
            }
            guard index < bytes.count else {
                offset = index
                throw endOfInput()
            }
            switch bytes[index] {
            case .quote:
                offset = index + 1
                return JSONString(raw: UnsafeBufferPointer(rebasing: bytes[start..<index]), hasEscapes: hasEscapes)
            case .backslash:
                hasEscapes = true
                index = try escapeEnd(at: index)
            case 0..<0x20:
                offset = index
                throw JSONReadError.syntax(offset: index, reason: "unescaped control character (\(describe(bytes[index]))) in a string")
            default:
                index = try utf8SequenceEnd(at: index)
            }
        }
    }

    /// Consumes a number (after ``peekKind()`` returned `.number`), checking it against the grammar:
    /// `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    mutating func number() throws(JSONReadError) -> JSONNumber {
        let start = offset
        var isInteger = true
        if bytes[offset] == .minus { offset += 1 }
        guard offset < bytes.count else { throw endOfInput() }
        if bytes[offset] == .digitZero {
            offset += 1
            if offset < bytes.count, isDigit(bytes[offset]) {
                throw JSONReadError.syntax(offset: offset, reason: "leading zero in a number")
            }
        } else {
            try consumeDigits()
        }
        if offset < bytes.count, bytes[offset] == UInt8(ascii: ".") {
            isInteger = false
            offset += 1
            try consumeDigits()
        }
        if offset < bytes.count, bytes[offset] | 0x20 == UInt8(ascii: "e") {
            isInteger = false
            offset += 1
            if offset < bytes.count, bytes[offset] == .plus || bytes[offset] == .minus { offset += 1 }
            try consumeDigits()
        }
        return JSONNumber(text: UnsafeBufferPointer(rebasing: bytes[start..<offset]), isInteger: isInteger)
    }

    // MARK: Objects and arrays

    /// Consumes `{` (after ``peekKind()`` returned `.object`); then call ``nextKey()`` until nil.
    mutating func enterObject() throws(JSONReadError) {
        try enter()
    }

    /// The next key of the object being read, with its `:` consumed, or nil after its `}`.
    /// The caller reads or skips exactly one value after each key.
    mutating func nextKey() throws(JSONReadError) -> JSONString? {
        guard try nextMember(closedBy: .closeBrace) else { return nil }
        guard offset < bytes.count else { throw endOfInput() }
        guard bytes[offset] == .quote else { throw unexpected("a key string") }
        let key = try string()
        skipWhitespace()
        guard offset < bytes.count else { throw endOfInput() }
        guard bytes[offset] == .colon else { throw unexpected("':' after a key") }
        offset += 1
        return key
    }

    /// Consumes `[` (after ``peekKind()`` returned `.array`); then call ``nextElement()`` until false.
    mutating func enterArray() throws(JSONReadError) {
        try enter()
    }

    /// True when another element follows (read or skip it), false after the array's `]`.
    mutating func nextElement() throws(JSONReadError) -> Bool {
        try nextMember(closedBy: .closeBracket)
    }

    /// Checks and consumes the value at the offset, whatever it is, without building it.
    mutating func skipValue() throws(JSONReadError) {
        // The containers entered below the value being skipped, innermost on top: a loop with
        // this stack instead of recursion, so nesting costs no call stack.
        var open = NestingStack()
        while true {
            // A value starts here. A container with members goes on the stack and its first
            // member is read next.
            let kind = try peekKind()
            switch kind {
            case .string: _ = try string()
            case .number: _ = try number()
            case .bool: _ = try bool()
            case .null: try consumeNull()
            case .object, .array:
                let isArray = kind == .array
                try enter()
                atFirstMember = false
                skipWhitespace()
                if offset < bytes.count, bytes[offset] == (isArray ? .closeBracket : .closeBrace) {
                    offset += 1
                    depth -= 1
                } else {
                    if !isArray { try skipKey() }
                    open.push(isArray: isArray)
                    continue
                }
            }
            // A value is complete: leave the containers it completes, then go on to the next member.
            while let isArray = open.topIsArray {
                skipWhitespace()
                guard offset < bytes.count else { throw endOfInput() }
                let byte = bytes[offset]
                if byte == (isArray ? .closeBracket : .closeBrace) {
                    offset += 1
                    depth -= 1
                    open.pop()
                    continue
                }
                guard byte == .comma else {
                    throw unexpected(isArray ? "',' or ']' in an array" : "',' or '}' in an object")
                }
                try consumeComma(closedBy: isArray ? .closeBracket : .closeBrace)
                if !isArray { try skipKey() }
                break
            }
            if open.count == 0 { return }
        }
    }

    // MARK: Private

    private mutating func enter() throws(JSONReadError) {
        depth += 1
        guard depth <= Self.maxDepth else {
            throw JSONReadError.syntax(offset: offset, reason: "nested more than \(Self.maxDepth) levels deep")
        }
        offset += 1
        atFirstMember = true
    }

    /// Consumes the `,` before a member, or the closing byte (then false).
    private mutating func nextMember(closedBy close: UInt8) throws(JSONReadError) -> Bool {
        skipWhitespace()
        guard offset < bytes.count else { throw endOfInput() }
        let byte = bytes[offset]
        if byte == close {
            offset += 1
            depth -= 1
            atFirstMember = false
            return false
        }
        if atFirstMember {
            atFirstMember = false
            return true
        }
        guard byte == .comma else {
            throw unexpected(close == .closeBrace ? "',' or '}' in an object" : "',' or ']' in an array")
        }
        try consumeComma(closedBy: close)
        return true
    }

    /// Consumes the `,` at the offset; a member must follow: `[1,]` and `{"a":1,}` are not JSON.
    private mutating func consumeComma(closedBy close: UInt8) throws(JSONReadError) {
        offset += 1
        skipWhitespace()
        guard offset < bytes.count else { throw endOfInput() }
        if bytes[offset] == close { throw unexpected(close == .closeBrace ? "a key after ','" : "a value after ','") }
    }

    private mutating func skipKey() throws(JSONReadError) {
        skipWhitespace()
        guard offset < bytes.count else { throw endOfInput() }
        guard bytes[offset] == .quote else { throw unexpected("a key string") }
        _ = try string()
        skipWhitespace()
        guard offset < bytes.count else { throw endOfInput() }
        guard bytes[offset] == .colon else { throw unexpected("':' after a key") }
        offset += 1
    }

    private mutating func consumeLiteral(_ literal: StaticString) throws(JSONReadError) {
        let count = literal.utf8CodeUnitCount
        for index in 0..<count {
            guard offset + index < bytes.count else {
                offset += index
                throw endOfInput()
            }
            guard bytes[offset + index] == literal.utf8Start[index] else {
                offset += index
                throw unexpected("'\(literal)'")
            }
        }
        offset += count
    }

    /// One or more digits.
    private mutating func consumeDigits() throws(JSONReadError) {
        guard offset < bytes.count else { throw endOfInput() }
        guard isDigit(bytes[offset]) else { throw unexpected("a digit") }
        offset += 1
        while offset < bytes.count, isDigit(bytes[offset]) { offset += 1 }
    }

    /// The end of the escape sequence starting with the backslash at `index`.
    private func escapeEnd(at index: Int) throws(JSONReadError) -> Int {
        guard index + 1 < bytes.count else { throw JSONReadError.syntax(offset: bytes.count, reason: "unexpected end of input") }
        switch bytes[index + 1] {
        case .quote, .backslash, UInt8(ascii: "/"), UInt8(ascii: "b"), UInt8(ascii: "f"), UInt8(ascii: "n"),
            UInt8(ascii: "r"), UInt8(ascii: "t"):
            return index + 2
        case UInt8(ascii: "u"):
            let unit = try hexEscape(at: index)
            switch unit {
            case 0xD800...0xDBFF:
                // A high surrogate: the low one must follow as a second escape.
                guard index + 7 < bytes.count, bytes[index + 6] == .backslash, bytes[index + 7] == UInt8(ascii: "u"),
                    (0xDC00...0xDFFF).contains(try hexEscape(at: index + 6))
                else {
                    throw JSONReadError.syntax(offset: index, reason: "high surrogate \\u\(hex(unit)) not followed by a low surrogate")
                }
                return index + 12
            case 0xDC00...0xDFFF:
                throw JSONReadError.syntax(offset: index, reason: "low surrogate \\u\(hex(unit)) without a high surrogate")
            default:
                return index + 6
            }
        default:
            throw JSONReadError.syntax(offset: index, reason: "invalid escape: a backslash followed by \(describe(bytes[index + 1]))")
        }
    }

    /// The code unit of the `\uXXXX` escape whose backslash is at `index`.
    private func hexEscape(at index: Int) throws(JSONReadError) -> UInt16 {
        var unit: UInt16 = 0
        for position in index + 2..<index + 6 {
            guard position < bytes.count else { throw JSONReadError.syntax(offset: bytes.count, reason: "unexpected end of input") }
            guard let digit = hexValue(bytes[position]) else {
                throw JSONReadError.syntax(
                    offset: position, reason: "expected a hex digit in a \\u escape, found \(describe(bytes[position]))")
            }
            unit = unit << 4 | UInt16(digit)
        }
        return unit
    }

    /// The end of the UTF-8 sequence starting with the non-ASCII byte at `index` (Unicode's table
    /// of well-formed sequences: no overlong forms, no surrogates, nothing above U+10FFFF).
    private func utf8SequenceEnd(at index: Int) throws(JSONReadError) -> Int {
        let lead = bytes[index]
        let length: Int
        var secondRange: ClosedRange<UInt8> = 0x80...0xBF
        switch lead {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; secondRange = 0xA0...0xBF
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; secondRange = 0x80...0x9F
        case 0xF0: length = 4; secondRange = 0x90...0xBF
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; secondRange = 0x80...0x8F
        default: throw JSONReadError.syntax(offset: index, reason: "invalid UTF-8 (\(describe(lead)))")
        }
        for position in index + 1..<index + length {
            guard position < bytes.count else { throw JSONReadError.syntax(offset: bytes.count, reason: "unexpected end of input") }
            let range = position == index + 1 ? secondRange : 0x80...0xBF
            guard range.contains(bytes[position]) else {
                throw JSONReadError.syntax(offset: position, reason: "invalid UTF-8 (\(describe(bytes[position])))")
            }
        }
        return index + length
    }

    private mutating func skipWhitespace() {
        while offset < bytes.count, isWhitespace(bytes[offset]) { offset += 1 }
    }

    private func endOfInput() -> JSONReadError {
        .syntax(offset: bytes.count, reason: "unexpected end of input")
    }

    /// The byte at the offset is not what the grammar allows here.
    private func unexpected(_ expected: String) -> JSONReadError {
        guard offset < bytes.count else { return endOfInput() }
        return .syntax(offset: offset, reason: "expected \(expected), found \(describe(bytes[offset]))")
    }
}

/// What a JSON value is, as told by its first byte.
enum JSONValueKind {
    case object, array, string, number, bool, null

    /// For messages: "found an object".
    var description: String {
        switch self {
        case .object: "an object"
        case .array: "an array"
        case .string: "a string"
        case .number: "a number"
        case .bool: "a boolean"
        case .null: "null"
        }
    }
}

/// Why JSON bytes were refused.
enum JSONReadError: Error {
    /// Not JSON: what is wrong and the byte offset where it was found.
    case syntax(offset: Int, reason: String)
    /// JSON, but a value the reader refused. The path (`items`, `3`, `status`) is innermost
    /// first: each reader on the way out adds its own component, so it costs nothing until then.
    case value(path: [JSONPathComponent], problem: String)

    /// The same error, one level further out.
    func inside(_ component: JSONPathComponent) -> JSONReadError {
        guard case .value(let path, let problem) = self else { return self }
        return .value(path: path + [component], problem: problem)
    }
}

/// A step of a path into a JSON document.
enum JSONPathComponent: Sendable {
    case key(String)
    case index(Int)

    /// `items[3].status.containerStatuses[0]`, the way `kubectl explain` names fields; the path is
    /// innermost first, as ``JSONReadError/value(path:problem:)`` builds it.
    static func describe(innermostFirst path: [JSONPathComponent]) -> String {
        var result = ""
        for component in path.reversed() {
            switch component {
            case .key(let key): result += result.isEmpty ? key : ".\(key)"
            case .index(let index): result += "[\(index)]"
            }
        }
        return result
    }
}

/// The kinds of the containers that `skipValue` is inside: one bit each, 64 in a register and
/// the rest in an array that is only allocated past 64 levels.
private struct NestingStack {
    private var bits: UInt64 = 0
    private var spilled: [UInt64] = []
    private(set) var count = 0

    var topIsArray: Bool? { count == 0 ? nil : bits & 1 == 1 }

    mutating func push(isArray: Bool) {
        if count > 0, count % 64 == 0 {
            spilled.append(bits)
            bits = 0
        }
        bits = bits << 1 | (isArray ? 1 : 0)
        count += 1
    }

    mutating func pop() {
        bits >>= 1
        count -= 1
        if count > 0, count % 64 == 0 { bits = spilled.removeLast() }
    }
}

/// Whether any of the eight bytes in `word` is a quote, a backslash, a control character or
/// non-ASCII. The classic has-zero-byte trick: `(x - 0x01…) & ~x` sets the high bit of a zero
/// byte of x, and subtracting 0x20 from each byte sets it below 0x20; a borrow can mark more
/// bytes, but only next to one that matches, and the byte loop finds which.
private func anyByteEndsPlainRun(_ word: UInt64) -> Bool {
    let ones: UInt64 = 0x0101_0101_0101_0101
    let quotes = word ^ (ones &* UInt64(UInt8.quote))
    let backslashes = word ^ (ones &* UInt64(UInt8.backslash))
    let special = (quotes &- ones) & ~quotes | (backslashes &- ones) & ~backslashes | (word &- ones &* 0x20) | word
    return special & (ones &* 0x80) != 0
}

private func isDigit(_ byte: UInt8) -> Bool {
    byte &- .digitZero < 10
}

private func isWhitespace(_ byte: UInt8) -> Bool {
    byte == 0x20 || byte == 0x0A || byte == 0x0D || byte == 0x09
}

func hexValue(_ byte: UInt8) -> UInt8? {
    switch byte {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - .digitZero
    case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
    default: nil
    }
}

private func hex(_ unit: UInt16) -> String {
    let digits = String(unit, radix: 16, uppercase: true)
    return String(repeating: "0", count: 4 - digits.count) + digits
}

/// A byte for a message: `'x'` when printable ASCII, else `byte 0x0A`.
private func describe(_ byte: UInt8) -> String {
    guard byte >= 0x21, byte < 0x7F else {
        return "byte 0x" + (byte < 0x10 ? "0" : "") + String(byte, radix: 16, uppercase: true)
    }
    return "'\(Character(UnicodeScalar(byte)))'"
}

extension UInt8 {
    static let quote = UInt8(ascii: "\"")
    static let backslash = UInt8(ascii: "\\")
    static let openBrace = UInt8(ascii: "{")
    static let closeBrace = UInt8(ascii: "}")
    static let openBracket = UInt8(ascii: "[")
    static let closeBracket = UInt8(ascii: "]")
    static let comma = UInt8(ascii: ",")
    static let colon = UInt8(ascii: ":")
    static let minus = UInt8(ascii: "-")
    static let plus = UInt8(ascii: "+")
    // Not `zero`: UInt8.zero is 0.
    static let digitZero = UInt8(ascii: "0")
}
