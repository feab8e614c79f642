import ArgumentParser
import Foundation

/// `--color`: `auto` colours only a terminal, and only when `NO_COLOR` is unset or empty.
enum ExplainColorMode: String, ExpressibleByArgument, CaseIterable, Sendable {
    case auto, always, never
}

/// The few colours `explain` uses. Every meaning is also in the words, so the output reads the same
/// without colour (piped, `NO_COLOR`, `--color never`).
enum ExplainTone: Sendable, Hashable {
    case plain, bold, dim, red, boldRed, green, yellow

    var sgr: String {
        switch self {
        case .plain: "0"
        case .bold: "1"
        case .dim: "2"
        case .red: "31"
        case .boldRed: "1;31"
        case .green: "32"
        case .yellow: "33"
        }
    }
}

struct ExplainStyle: Sendable, Hashable {
    var colour: Bool

    static let plain = ExplainStyle(colour: false)
    static let coloured = ExplainStyle(colour: true)

    func apply(_ tone: ExplainTone, _ text: String) -> String {
        guard colour, tone != .plain, !text.isEmpty else { return text }
        return "\u{1B}[\(tone.sgr)m\(text)\u{1B}[0m"
    }

    /// `auto`: colour when standard output is a terminal and `NO_COLOR` is unset or empty (no-color.org).
    static func decide(_ mode: ExplainColorMode, outputIsTerminal: Bool, environment: [String: String]) -> ExplainStyle {
        switch mode {
        case .always: return .coloured
        case .never: return .plain
        case .auto:
            let noColor = !(environment["NO_COLOR"] ?? "").isEmpty
            return ExplainStyle(colour: outputIsTerminal && !noColor)
        }
    }
}

/// Plain-text layout for a terminal of a fixed width: safe strings, display widths, word wrap.
enum TerminalText {
    /// Cluster data (pod names, error messages) is user input: control characters (an escape sequence
    /// could rewrite the terminal) and bidirectional overrides (they reorder what is shown) become
    /// visible escapes such as `\x1b` or `\u{202e}`.
    static func sanitized(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: isUnsafe) else { return text }
        var out = ""
        for scalar in text.unicodeScalars {
            if isUnsafe(scalar) {
                out += scalar.value < 0x100 ? String(format: "\\x%02x", scalar.value) : String(format: "\\u{%x}", scalar.value)
            } else {
                out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    private static func isUnsafe(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x00...0x1F, 0x7F...0x9F: true
        case 0x200E, 0x200F, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }

    /// Columns `text` takes on a terminal: ANSI SGR sequences take none, wide (East Asian, emoji)
    /// characters two, combining marks none.
    static func displayWidth(_ text: String) -> Int {
        var width = 0
        var inEscape = false
        for scalar in text.unicodeScalars {
            if inEscape {
                if (0x40...0x7E).contains(scalar.value) && scalar != "[" { inEscape = false }
                continue
            }
            if scalar == "\u{1B}" {
                inEscape = true
                continue
            }
            width += scalarWidth(scalar)
        }
        return width
    }

    private static func scalarWidth(_ scalar: Unicode.Scalar) -> Int {
        let value = scalar.value
        if value < 0x20 || (0x7F..<0xA0).contains(value) { return 0 }
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format: return 0
        default: break
        }
        switch value {
        case 0x1100...0x115F, 0x2E80...0x303E, 0x3041...0x33FF, 0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF,
            0xAC00...0xD7A3, 0xF900...0xFAFF, 0xFE30...0xFE4F, 0xFF00...0xFF60, 0xFFE0...0xFFE6, 0x1F300...0x1F64F,
            0x1F900...0x1F9FF, 0x20000...0x3FFFD:
            return 2
        default:
            return 1
        }
    }

    /// `text` followed by spaces up to `width` columns (unchanged when already as wide).
    static func padded(_ text: String, to width: Int) -> String {
        let missing = width - displayWidth(text)
        return missing > 0 ? text + String(repeating: " ", count: missing) : text
    }

    /// Splits plain `text` into pieces of at most `width` columns (by characters).
    static func hardSplit(_ text: String, width: Int) -> [String] {
        var pieces: [String] = []
        var current = ""
        var currentWidth = 0
        for character in text {
            let characterWidth = displayWidth(String(character))
            if currentWidth + characterWidth > width, !current.isEmpty {
                pieces.append(current)
                current = ""
                currentWidth = 0
            }
            current.append(character)
            currentWidth += characterWidth
        }
        if !current.isEmpty || pieces.isEmpty { pieces.append(current) }
        return pieces
    }

    /// Word-wraps plain `text` to `width` columns; words longer than a line are split.
    static func wrap(_ text: String, width: Int) -> [String] {
        RichText([(text, .plain)]).wrapped(width: width, firstIndent: 0, hangingIndent: 0, style: .plain)
    }
}

/// Text made of spans of one tone each, wrapped as prose: spaces separate words, a word keeps
/// its spans together (`(` `DOWN` `)` stays one word), and styling happens after the layout so
/// escape codes never count as width.
struct RichText: Sendable {
    var spans: [(text: String, tone: ExplainTone)]

    init(_ spans: [(String, ExplainTone)]) {
        self.spans = spans.map { (TerminalText.sanitized($0.0), $0.1) }
    }

    init(_ text: String, _ tone: ExplainTone = .plain) {
        self.init([(text, tone)])
    }

    static func + (a: RichText, b: RichText) -> RichText {
        var joined = a
        joined.spans += b.spans
        return joined
    }

    private typealias Word = [(text: String, tone: ExplainTone)]

    /// Spaces separate words, except inside a `backtick` command, which stays on one line when it
    /// fits one (a command broken across lines is easy to copy wrongly).
    private var words: [Word] {
        var words: [Word] = []
        var current: Word = []
        var inCode = false
        func endWord() {
            if !current.isEmpty { words.append(current) }
            current = []
        }
        for span in spans {
            var fragment = ""
            for character in span.text {
                if character == "`" { inCode.toggle() }
                if character == " " && !inCode {
                    if !fragment.isEmpty { current.append((fragment, span.tone)) }
                    fragment = ""
                    endWord()
                } else {
                    fragment.append(character)
                }
            }
            if !fragment.isEmpty { current.append((fragment, span.tone)) }
        }
        endWord()
        return words
    }

    /// Lines of at most `width` columns: the first indented by `firstIndent` spaces, the others by
    /// `hangingIndent`.
    func wrapped(width: Int, firstIndent: Int, hangingIndent: Int, style: ExplainStyle) -> [String] {
        var lines: [String] = []
        // The current line as runs of one tone each: adjacent words of the same tone share one run
        // (and one escape sequence), the space between them included.
        var runs: [(text: String, tone: ExplainTone)] = [(String(repeating: " ", count: firstIndent), .plain)]
        var lineWidth = firstIndent
        var lineHasWord = false

        func add(_ text: String, _ tone: ExplainTone) {
            if let last = runs.last, last.tone == tone {
                runs[runs.count - 1].text += text
            } else {
                runs.append((text, tone))
            }
        }
        func add(_ word: Word) {
            for fragment in word { add(fragment.text, fragment.tone) }
        }
        func addSpace(before word: Word) {
            let next = word.first?.tone ?? .plain
            add(" ", runs.last?.tone == next ? next : .plain)
        }
        func breakLine() {
            lines.append(runs.map { style.apply($0.tone, $0.text) }.joined())
            runs = [(String(repeating: " ", count: hangingIndent), .plain)]
            lineWidth = hangingIndent
            lineHasWord = false
        }

        func place(_ word: Word) {
            let wordWidth = word.reduce(0) { $0 + TerminalText.displayWidth($1.text) }
            let needed = wordWidth + (lineHasWord ? 1 : 0)
            if lineWidth + needed <= width {
                if lineHasWord { addSpace(before: word) }
                add(word)
                lineWidth += needed
                lineHasWord = true
                return
            }
            if lineHasWord { breakLine() }
            if lineWidth + wordWidth <= width {
                add(word)
                lineWidth += wordWidth
                lineHasWord = true
                return
            }
            // A command too long for one line wraps at its spaces after all.
            if word.contains(where: { $0.text.contains(" ") }) {
                for part in Self.splitAtSpaces(word) { place(part) }
                return
            }
            // A single word longer than a whole line: split it, keeping each piece's tone.
            for (fragment, tone) in word {
                for piece in TerminalText.hardSplit(fragment, width: max(1, width - hangingIndent)) {
                    let pieceWidth = TerminalText.displayWidth(piece)
                    if lineWidth + pieceWidth > width, lineHasWord { breakLine() }
                    add(piece, tone)
                    lineWidth += pieceWidth
                    lineHasWord = true
                }
            }
        }

        for word in words { place(word) }
        if lineHasWord || lines.isEmpty { breakLine() }
        return lines.map { line in
            var line = line
            while line.last == " " { line.removeLast() }
            return line
        }
    }

    private static func splitAtSpaces(_ word: Word) -> [Word] {
        var parts: [Word] = []
        var current: Word = []
        for (text, tone) in word {
            let pieces = text.split(separator: " ", omittingEmptySubsequences: false)
            for (index, piece) in pieces.enumerated() {
                if index > 0 {
                    if !current.isEmpty { parts.append(current) }
                    current = []
                }
                if !piece.isEmpty { current.append((String(piece), tone)) }
            }
        }
        if !current.isEmpty { parts.append(current) }
        return parts
    }
}
