/// A parser for the YAML the exporter-toolkit web config is written in, and nothing more.
///
/// Accepted: block mappings and sequences by indentation (spaces), `- key: value` items, plain,
/// single- and double-quoted scalars, `|` literal blocks (inline PEM), one-line flow collections
/// of scalars (`[a, b]`, `{}`), comments, and one document (`---`, `...`). Everything else that
/// YAML allows (anchors, aliases, tags, folded and multi-line scalars, complex keys, directives,
/// several documents) is refused with the line and a sentence saying so, rather than guessed at:
/// this file decides who may read the metrics. Input is bytes, validated as UTF-8 line by line.
struct YAMLSubsetParser {
    /// Deeper nesting is refused, so hostile input cannot exhaust the stack.
    static let maxDepth = 32

    private struct Line {
        var number: Int
        var indent: Int
        /// The line after its indentation, without the line break.
        var content: ArraySlice<UInt8>
        var isBlank: Bool
    }

    /// The input without a byte-order mark; every slice below indexes into it.
    private let source: [UInt8]
    private var lines: [Line] = []
    private var position = 0
    private var depth = 0

    static func parse(_ bytes: [UInt8]) throws(YAMLSyntaxError) -> YAMLNode {
        var parser = try YAMLSubsetParser(bytes)
        return try parser.parseDocument()
    }

    private init(_ input: [UInt8]) throws(YAMLSyntaxError) {
        source = input.starts(with: [0xEF, 0xBB, 0xBF]) ? Array(input.dropFirst(3)) : input
        let bytes = source[...]
        var number = 0
        var start = bytes.startIndex
        while start <= bytes.endIndex {
            number += 1
            var end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.endIndex
            let next = end + 1
            if end > start && bytes[end - 1] == UInt8(ascii: "\r") { end -= 1 }
            let raw = bytes[start..<end]
            try Self.validate(raw, line: number)
            let indent = raw.prefix { $0 == UInt8(ascii: " ") }.count
            let content = raw.dropFirst(indent)
            let firstByte = content.first
            let isBlank = firstByte == nil || firstByte == UInt8(ascii: "#") || content.allSatisfy(Self.isSpace)
            if !isBlank && firstByte == UInt8(ascii: "\t") {
                throw YAMLSyntaxError(line: number, message: "tab character in indentation; YAML indents with spaces only")
            }
            lines.append(Line(number: number, indent: indent, content: content, isBlank: isBlank))
            start = next
        }
        // A final line break ends the last line; it does not start an empty one.
        if bytes.last == UInt8(ascii: "\n") { lines.removeLast() }
    }

    /// UTF-8 only, and no control characters except tab (YAML's printable set, roughly).
    private static func validate(_ raw: ArraySlice<UInt8>, line: Int) throws(YAMLSyntaxError) {
        for byte in raw where byte < 0x20 && byte != UInt8(ascii: "\t") || byte == 0x7F {
            throw YAMLSyntaxError(line: line, message: "control character 0x\(hexByte(byte)) is not allowed")
        }
        if raw.allSatisfy({ $0 < 0x80 }) { return }
        if String(validating: raw, as: UTF8.self) == nil {
            throw YAMLSyntaxError(line: line, message: "text is not valid UTF-8")
        }
    }

    // MARK: Document

    private mutating func parseDocument() throws(YAMLSyntaxError) -> YAMLNode {
        skipBlankLines()
        if let line = currentLine, line.indent == 0 {
            if line.content.first == UInt8(ascii: "%") {
                throw YAMLSyntaxError(line: line.number, message: "YAML directives (%) are not supported")
            }
            if Self.isMarker(line.content, "---") { position += 1 }
        }
        skipBlankLines()
        guard let first = currentLine, !Self.isMarker(first.content, "...") else {
            return YAMLNode(value: .null, line: 1)
        }
        let root: YAMLNode
        if first.content.first == UInt8(ascii: "{") || first.content.first == UInt8(ascii: "[") {
            // A whole document in flow style, e.g. `{}` for "nothing configured".
            let (flow, end) = try Self.parseFlow(first.content, line: first.number)
            try Self.expectEndOfLine(first.content[(first.content.startIndex + end)...], line: first.number)
            position += 1
            root = YAMLNode(value: flow, line: first.number)
        } else {
            root = try parseBlock(indent: first.indent)
        }
        skipBlankLines()
        if let line = currentLine {
            if line.indent == 0 && Self.isMarker(line.content, "...") {
                position += 1
                skipBlankLines()
                if let extra = currentLine {
                    throw YAMLSyntaxError(line: extra.number, message: "content after the end of the document (...)")
                }
            } else if line.indent == 0 && Self.isMarker(line.content, "---") {
                throw YAMLSyntaxError(line: line.number, message: "more than one YAML document; the web config is one document")
            } else {
                throw YAMLSyntaxError(line: line.number, message: "unexpected indentation (\(line.indent) spaces)")
            }
        }
        return root
    }

    private static func isMarker(_ content: ArraySlice<UInt8>, _ marker: String) -> Bool {
        let bytes = Array(marker.utf8)
        guard content.starts(with: bytes) else { return false }
        let rest = content.dropFirst(bytes.count)
        return rest.isEmpty || isSpace(rest.first!) && isBlankOrComment(rest)
    }

    // MARK: Blocks

    private var currentLine: Line? { position < lines.count ? lines[position] : nil }

    private mutating func skipBlankLines() {
        while position < lines.count && lines[position].isBlank { position += 1 }
    }

    private mutating func nextSignificantLine() -> Line? {
        skipBlankLines()
        return currentLine
    }

    /// `---` or `...` at the left margin: the end of the (only) document.
    private static func isDocumentMarker(_ line: Line) -> Bool {
        line.indent == 0 && (isMarker(line.content, "---") || isMarker(line.content, "..."))
    }

    private static func isSequenceItem(_ content: ArraySlice<UInt8>) -> Bool {
        content.first == UInt8(ascii: "-") && (content.count == 1 || isSpace(content[content.startIndex + 1]))
    }

    private mutating func parseBlock(indent: Int) throws(YAMLSyntaxError) -> YAMLNode {
        depth += 1
        defer { depth -= 1 }
        guard let line = nextSignificantLine() else { return YAMLNode(value: .null, line: lines.last?.number ?? 1) }
        if depth > Self.maxDepth {
            throw YAMLSyntaxError(line: line.number, message: "nesting deeper than \(Self.maxDepth) levels")
        }
        return Self.isSequenceItem(line.content) ? try parseSequence(indent: indent) : try parseMapping(indent: indent)
    }

    private mutating func parseMapping(indent: Int) throws(YAMLSyntaxError) -> YAMLNode {
        var entries: [YAMLEntry] = []
        let startLine = currentLine?.number ?? 1
        while let line = nextSignificantLine(), line.indent == indent, !Self.isSequenceItem(line.content), !Self.isDocumentMarker(line) {
            let (key, valueStart) = try Self.parseKey(line.content, line: line.number)
            if entries.contains(where: { $0.key == key }) {
                throw YAMLSyntaxError(line: line.number, message: "key \"\(escapedForMessage(key))\" appears twice in the same mapping")
            }
            position += 1
            let value = try parseValue(line.content[valueStart...], line: line.number, parentIndent: indent, inMapping: true)
            entries.append(YAMLEntry(key: key, line: line.number, value: value))
        }
        if let line = nextSignificantLine(), line.indent == indent, Self.isSequenceItem(line.content) {
            throw YAMLSyntaxError(line: line.number, message: "a list item (-) where a \"key: value\" line was expected")
        }
        if let line = nextSignificantLine(), line.indent > indent {
            throw YAMLSyntaxError(line: line.number, message: "unexpected indentation (\(line.indent) spaces)")
        }
        return YAMLNode(value: .mapping(entries), line: startLine)
    }

    private mutating func parseSequence(indent: Int) throws(YAMLSyntaxError) -> YAMLNode {
        var items: [YAMLNode] = []
        let startLine = currentLine?.number ?? 1
        while let line = nextSignificantLine(), line.indent == indent, Self.isSequenceItem(line.content) {
            let afterDash = line.content.dropFirst()
            let rest = afterDash.drop(while: Self.isSpace)
            if Self.isBlankOrComment(rest) {
                position += 1
                if let next = nextSignificantLine(), next.indent > indent {
                    items.append(try parseBlock(indent: next.indent))
                } else {
                    items.append(YAMLNode(value: .null, line: line.number))
                }
            } else if Self.isSequenceItem(rest) || Self.keyEnd(rest) != nil {
                // `- key: value` or `- - x`: the rest of the line opens a block at its own column.
                let column = indent + (rest.startIndex - line.content.startIndex)
                lines[position] = Line(number: line.number, indent: column, content: rest, isBlank: false)
                items.append(try parseBlock(indent: column))
            } else {
                position += 1
                items.append(try parseValue(rest, line: line.number, parentIndent: indent, inMapping: false))
            }
        }
        if let line = nextSignificantLine(), line.indent > indent {
            throw YAMLSyntaxError(line: line.number, message: "unexpected indentation (\(line.indent) spaces)")
        }
        return YAMLNode(value: .sequence(items), line: startLine)
    }

    /// The value after `key:` or `- `; nested blocks start on the following lines.
    private mutating func parseValue(
        _ text: ArraySlice<UInt8>, line: Int, parentIndent: Int, inMapping: Bool
    ) throws(YAMLSyntaxError) -> YAMLNode {
        let rest = text.drop(while: Self.isSpace)
        if Self.isBlankOrComment(rest) {
            guard let next = nextSignificantLine() else { return YAMLNode(value: .null, line: line) }
            if next.indent > parentIndent { return try parseBlock(indent: next.indent) }
            // YAML lets a mapping's list sit at the key's own indentation.
            if inMapping && next.indent == parentIndent && Self.isSequenceItem(next.content) {
                return try parseBlock(indent: parentIndent)
            }
            return YAMLNode(value: .null, line: line)
        }
        let value: YAMLValue
        switch rest.first! {
        case UInt8(ascii: "|"):
            value = try parseLiteralBlock(header: rest, line: line, parentIndent: parentIndent)
            return YAMLNode(value: value, line: line)
        case UInt8(ascii: ">"):
            throw YAMLSyntaxError(line: line, message: "folded block scalars (>) are not supported; use | or a quoted string")
        case UInt8(ascii: "&"), UInt8(ascii: "*"):
            throw YAMLSyntaxError(line: line, message: "YAML anchors and aliases (& and *) are not supported")
        case UInt8(ascii: "!"):
            throw YAMLSyntaxError(line: line, message: "YAML tags (!) are not supported")
        case UInt8(ascii: "%"), UInt8(ascii: "@"), UInt8(ascii: "`"):
            throw YAMLSyntaxError(line: line, message: "a plain value cannot start with \"\(Character(Unicode.Scalar(rest.first!)))\"; quote it")
        case UInt8(ascii: "["), UInt8(ascii: "{"):
            let (flow, end) = try Self.parseFlow(rest, line: line)
            try Self.expectEndOfLine(rest[(rest.startIndex + end)...], line: line)
            value = flow
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            let (text, end) = try Self.parseQuoted(rest, line: line)
            try Self.expectEndOfLine(rest[(rest.startIndex + end)...], line: line)
            value = .scalar(text, quoted: true)
        default:
            if Self.isSequenceItem(rest) {
                throw YAMLSyntaxError(line: line, message: "a list cannot start on the same line as its key; put \"- item\" on the next line")
            }
            let plain = Self.plainScalar(rest, inFlow: false)
            if Self.keyEnd(plain) != nil {
                throw YAMLSyntaxError(line: line, message: "unexpected \":\" in a value; quote the value or nest the mapping on the next line")
            }
            value = Self.plainValue(plain)
        }
        if let next = nextSignificantLine(), next.indent > parentIndent {
            throw YAMLSyntaxError(
                line: next.number, message: "unexpected indentation: line \(line) already has a value (multi-line values are not supported)")
        }
        return YAMLNode(value: value, line: line)
    }

    /// `|`, `|-` or `|+`: the following lines indented deeper than the key, kept verbatim.
    private mutating func parseLiteralBlock(header: ArraySlice<UInt8>, line: Int, parentIndent: Int) throws(YAMLSyntaxError) -> YAMLValue {
        var indicators = header.dropFirst()
        var chomping = UInt8(ascii: " ")
        if let first = indicators.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            chomping = first
            indicators = indicators.dropFirst()
        }
        if let first = indicators.first, first >= UInt8(ascii: "0") && first <= UInt8(ascii: "9") {
            throw YAMLSyntaxError(line: line, message: "block indentation indicators (|2) are not supported")
        }
        guard Self.isBlankOrComment(indicators.drop(while: Self.isSpace)), indicators.first.map(Self.isSpace) ?? true else {
            throw YAMLSyntaxError(line: line, message: "unexpected text after \"|\"")
        }
        var blockIndent: Int?
        var collected: [ArraySlice<UInt8>] = []
        while position < lines.count {
            let candidate = lines[position]
            let onlySpaces = candidate.content.allSatisfy(Self.isSpace)
            if onlySpaces {
                collected.append([])
                position += 1
                continue
            }
            if candidate.indent <= parentIndent { break }
            let indent = blockIndent ?? candidate.indent
            if candidate.indent < indent {
                throw YAMLSyntaxError(line: candidate.number, message: "line is indented less than the first line of its | block")
            }
            blockIndent = indent
            let raw = candidate.content
            // The slice keeps the spaces beyond the block's own indentation.
            collected.append(source[(raw.startIndex - (candidate.indent - indent))..<raw.endIndex])
            position += 1
        }
        if blockIndent == nil {
            throw YAMLSyntaxError(line: line, message: "empty | block; indent its lines deeper than the key")
        }
        var trailingBlankLines = 0
        while collected.last?.isEmpty == true {
            collected.removeLast()
            trailingBlankLines += 1
        }
        var text = collected.map { String(decoding: $0, as: UTF8.self) }.joined(separator: "\n")
        switch chomping {
        case UInt8(ascii: "-"): break
        case UInt8(ascii: "+"): text += String(repeating: "\n", count: trailingBlankLines + 1)
        default: text += "\n"
        }
        return .scalar(text, quoted: true)
    }

    // MARK: Keys and scalars (single line)

    /// Parses `key:` at the start of a line; returns the key and where its value starts.
    private static func parseKey(_ content: ArraySlice<UInt8>, line: Int) throws(YAMLSyntaxError) -> (String, Int) {
        guard let first = content.first else { throw YAMLSyntaxError(line: line, message: "expected \"key: value\"") }
        switch first {
        case UInt8(ascii: "?"):
            throw YAMLSyntaxError(line: line, message: "complex mapping keys (?) are not supported")
        case UInt8(ascii: "&"), UInt8(ascii: "*"):
            throw YAMLSyntaxError(line: line, message: "YAML anchors and aliases (& and *) are not supported")
        case UInt8(ascii: "!"):
            throw YAMLSyntaxError(line: line, message: "YAML tags (!) are not supported")
        case UInt8(ascii: "["), UInt8(ascii: "{"):
            throw YAMLSyntaxError(line: line, message: "expected \"key: value\"; a flow collection cannot be a key")
        default:
            break
        }
        guard let colon = keyEnd(content) else {
            throw YAMLSyntaxError(line: line, message: "expected \"key: value\", found no \":\" after the key")
        }
        let keyText: String
        if first == UInt8(ascii: "\"") || first == UInt8(ascii: "'") {
            keyText = try parseQuoted(content, line: line).0
        } else {
            keyText = String(decoding: trimmed(content[..<colon]), as: UTF8.self)
        }
        return (keyText, colon + 1)
    }

    /// The index of the `:` that ends a key at the start of `content` (followed by a space or the
    /// end of the line), or nil when the text is not a `key:` form.
    private static func keyEnd(_ content: ArraySlice<UInt8>) -> Int? {
        var index = content.startIndex
        if let first = content.first, first == UInt8(ascii: "\"") || first == UInt8(ascii: "'") {
            guard let (_, end) = try? parseQuoted(content, line: 0) else { return nil }
            index = content.startIndex + end
            while index < content.endIndex && isSpace(content[index]) { index += 1 }
            guard index < content.endIndex, content[index] == UInt8(ascii: ":") else { return nil }
            let after = index + 1
            return after == content.endIndex || isSpace(content[after]) ? index : nil
        }
        while index < content.endIndex {
            let byte = content[index]
            if byte == UInt8(ascii: "#") && (index == content.startIndex || isSpace(content[index - 1])) { return nil }
            if byte == UInt8(ascii: ":") {
                let after = index + 1
                if after == content.endIndex || isSpace(content[after]) {
                    return index == content.startIndex ? nil : index
                }
            }
            index += 1
        }
        return nil
    }

    /// A plain scalar runs to a comment (` #`) or the end of the line; in flow context also to `,`, `]`, `}`.
    private static func plainScalar(_ text: ArraySlice<UInt8>, inFlow: Bool) -> ArraySlice<UInt8> {
        var index = text.startIndex
        while index < text.endIndex {
            let byte = text[index]
            if byte == UInt8(ascii: "#") && index > text.startIndex && isSpace(text[index - 1]) { break }
            if inFlow && (byte == UInt8(ascii: ",") || byte == UInt8(ascii: "]") || byte == UInt8(ascii: "}")) { break }
            index += 1
        }
        return trimmed(text[text.startIndex..<index])
    }

    private static func plainValue(_ plain: ArraySlice<UInt8>) -> YAMLValue {
        let text = String(decoding: plain, as: UTF8.self)
        switch text {
        case "", "~", "null", "Null", "NULL": return .null
        default: return .scalar(text, quoted: false)
        }
    }

    /// A quoted scalar starting at `text.first`; returns its value and the offset just past the closing quote.
    private static func parseQuoted(_ text: ArraySlice<UInt8>, line: Int) throws(YAMLSyntaxError) -> (String, Int) {
        let quote = text.first!
        var out: [UInt8] = []
        var index = text.startIndex + 1
        while index < text.endIndex {
            let byte = text[index]
            if byte == quote {
                if quote == UInt8(ascii: "'") && index + 1 < text.endIndex && text[index + 1] == quote {
                    out.append(quote)
                    index += 2
                    continue
                }
                return (String(decoding: out, as: UTF8.self), index + 1 - text.startIndex)
            }
            if byte == UInt8(ascii: "\\") && quote == UInt8(ascii: "\"") {
                index = try unescape(text, at: index, into: &out, line: line)
                continue
            }
            out.append(byte)
            index += 1
        }
        throw YAMLSyntaxError(line: line, message: "unterminated quoted string (multi-line strings are not supported)")
    }

    /// Decodes one double-quoted escape starting at the backslash; returns the index after it.
    private static func unescape(
        _ text: ArraySlice<UInt8>, at backslash: Int, into out: inout [UInt8], line: Int
    ) throws(YAMLSyntaxError) -> Int {
        guard backslash + 1 < text.endIndex else {
            throw YAMLSyntaxError(line: line, message: "unterminated quoted string (multi-line strings are not supported)")
        }
        let simple: [UInt8: UInt8] = [
            UInt8(ascii: "\\"): UInt8(ascii: "\\"), UInt8(ascii: "\""): UInt8(ascii: "\""), UInt8(ascii: "/"): UInt8(ascii: "/"),
            UInt8(ascii: "n"): 0x0A, UInt8(ascii: "t"): 0x09, UInt8(ascii: "r"): 0x0D, UInt8(ascii: "0"): 0x00,
            UInt8(ascii: " "): 0x20,
        ]
        let code = text[backslash + 1]
        if let replacement = simple[code] {
            out.append(replacement)
            return backslash + 2
        }
        let digits: Int
        switch code {
        case UInt8(ascii: "x"): digits = 2
        case UInt8(ascii: "u"): digits = 4
        case UInt8(ascii: "U"): digits = 8
        default:
            throw YAMLSyntaxError(line: line, message: "unsupported escape \"\\\(Character(Unicode.Scalar(code)))\" in a double-quoted string")
        }
        let start = backslash + 2
        guard start + digits <= text.endIndex,
            let value = UInt32(String(decoding: text[start..<start + digits], as: UTF8.self), radix: 16),
            let scalar = Unicode.Scalar(value)
        else {
            throw YAMLSyntaxError(line: line, message: "invalid \\\(Character(Unicode.Scalar(code))) escape in a double-quoted string")
        }
        out.append(contentsOf: Array(String(Character(scalar)).utf8))
        return start + digits
    }

    /// `[a, "b"]` or `{k: v}` on one line, scalars only; returns the value and the offset past the bracket.
    private static func parseFlow(_ text: ArraySlice<UInt8>, line: Int) throws(YAMLSyntaxError) -> (YAMLValue, Int) {
        let isMapping = text.first == UInt8(ascii: "{")
        let close = isMapping ? UInt8(ascii: "}") : UInt8(ascii: "]")
        var items: [YAMLNode] = []
        var entries: [YAMLEntry] = []
        var index = text.startIndex + 1
        func skipSpaces() { while index < text.endIndex && isSpace(text[index]) { index += 1 } }
        while true {
            skipSpaces()
            guard index < text.endIndex else {
                throw YAMLSyntaxError(line: line, message: "unterminated flow collection (they must fit on one line)")
            }
            if text[index] == close { return (isMapping ? .mapping(entries) : .sequence(items), index + 1 - text.startIndex) }
            var key: String?
            if isMapping {
                let (parsedKey, end) = try flowScalar(text[index...], line: line, stopAtColon: true)
                index = end
                skipSpaces()
                guard index < text.endIndex, text[index] == UInt8(ascii: ":") else {
                    throw YAMLSyntaxError(line: line, message: "expected \":\" after a key in a { } mapping")
                }
                index += 1
                skipSpaces()
                guard case .scalar(let keyText, _) = parsedKey else {
                    throw YAMLSyntaxError(line: line, message: "empty key in a { } mapping")
                }
                if entries.contains(where: { $0.key == keyText }) {
                    throw YAMLSyntaxError(line: line, message: "key \"\(escapedForMessage(keyText))\" appears twice in the same mapping")
                }
                key = keyText
            }
            let (value, end) = try flowScalar(text[index...], line: line, stopAtColon: false)
            index = end
            if let key {
                entries.append(YAMLEntry(key: key, line: line, value: YAMLNode(value: value, line: line)))
            } else {
                guard value != .null else { throw YAMLSyntaxError(line: line, message: "empty item in a [ ] list") }
                items.append(YAMLNode(value: value, line: line))
            }
            skipSpaces()
            guard index < text.endIndex else {
                throw YAMLSyntaxError(line: line, message: "unterminated flow collection (they must fit on one line)")
            }
            if text[index] == UInt8(ascii: ",") {
                index += 1
            } else if text[index] != close {
                throw YAMLSyntaxError(line: line, message: "expected \",\" or \"\(Character(Unicode.Scalar(close)))\" in a flow collection")
            }
        }
    }

    /// One scalar inside a flow collection; returns it and the absolute index after it.
    private static func flowScalar(_ text: ArraySlice<UInt8>, line: Int, stopAtColon: Bool) throws(YAMLSyntaxError) -> (YAMLValue, Int) {
        guard let first = text.first else { throw YAMLSyntaxError(line: line, message: "unterminated flow collection") }
        switch first {
        case UInt8(ascii: "\""), UInt8(ascii: "'"):
            let (value, length) = try parseQuoted(text, line: line)
            return (.scalar(value, quoted: true), text.startIndex + length)
        case UInt8(ascii: "["), UInt8(ascii: "{"):
            throw YAMLSyntaxError(line: line, message: "nested flow collections are not supported")
        case UInt8(ascii: "&"), UInt8(ascii: "*"), UInt8(ascii: "!"):
            throw YAMLSyntaxError(line: line, message: "YAML anchors, aliases and tags are not supported")
        default:
            var index = text.startIndex
            while index < text.endIndex {
                let byte = text[index]
                if byte == UInt8(ascii: ",") || byte == UInt8(ascii: "]") || byte == UInt8(ascii: "}") { break }
                if byte == UInt8(ascii: "#") && index > text.startIndex && isSpace(text[index - 1]) { break }
                if stopAtColon && byte == UInt8(ascii: ":") && (index + 1 == text.endIndex || isSpace(text[index + 1])) { break }
                index += 1
            }
            return (plainValue(trimmed(text[text.startIndex..<index])), index)
        }
    }

    private static func expectEndOfLine(_ rest: ArraySlice<UInt8>, line: Int) throws(YAMLSyntaxError) {
        let tail = rest.drop(while: isSpace)
        guard tail.isEmpty || (tail.first == UInt8(ascii: "#") && (rest.first.map(isSpace) ?? false)) else {
            throw YAMLSyntaxError(line: line, message: "unexpected text after the value")
        }
    }

    // MARK: Bytes

    private static func isSpace(_ byte: UInt8) -> Bool { byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") }

    private static func isBlankOrComment(_ text: ArraySlice<UInt8>) -> Bool {
        let rest = text.drop(while: isSpace)
        return rest.isEmpty || rest.first == UInt8(ascii: "#")
    }

    private static func trimmed(_ text: ArraySlice<UInt8>) -> ArraySlice<UInt8> {
        var slice = text.drop(while: isSpace)
        while let last = slice.last, isSpace(last) { slice = slice.dropLast() }
        return slice
    }
}

/// Two hex digits, for error messages about bytes.
func hexByte(_ byte: UInt8) -> String {
    let digits = Array("0123456789ABCDEF")
    return String([digits[Int(byte >> 4)], digits[Int(byte & 0x0F)]])
}
