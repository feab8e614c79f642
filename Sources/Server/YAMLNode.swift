/// A value of the small YAML subset the web config file is written in (see `YAMLSubsetParser`).
enum YAMLValue: Sendable, Equatable {
    /// An empty value, `~` or `null`.
    case null
    /// A scalar's text; `quoted` keeps `"true"` a string where `true` is a boolean.
    case scalar(String, quoted: Bool)
    case sequence([YAMLNode])
    /// Entries in file order; keys are unique.
    case mapping([YAMLEntry])
}

/// A value and the line (1-based) it starts on, so errors can point at it.
struct YAMLNode: Sendable, Equatable {
    var value: YAMLValue
    var line: Int
}

struct YAMLEntry: Sendable, Equatable {
    var key: String
    /// Line of the key.
    var line: Int
    var value: YAMLNode
}

/// Where and why the text is not YAML this parser accepts. Line is 1-based.
struct YAMLSyntaxError: Error, Equatable, Sendable {
    var line: Int
    var message: String
}

extension YAMLValue {
    /// A short name for error messages: "a mapping", "a string".
    var kindDescription: String {
        switch self {
        case .null: "nothing"
        case .scalar: "a string"
        case .sequence: "a list"
        case .mapping: "a mapping"
        }
    }
}

/// `text` with control characters, quotes and backslashes escaped (`\n`, `\"`), for quoting what a
/// file says inside a one-line message (found by fuzzing: a key written `"a\r"` split the line).
func escapedForMessage(_ text: String) -> String {
    String(text.debugDescription.dropFirst().dropLast())
}
