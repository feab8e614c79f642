import Foundation

/// Any JSON value, decoded strictly (a boolean is never a number).
indirect enum ExplainJSONValue: Decodable, Equatable {
    case null
    case bool(Bool)
    case number(Double)
    case string(String)
    case array([ExplainJSONValue])
    case object([String: ExplainJSONValue])

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([ExplainJSONValue].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: ExplainJSONValue].self))
        }
    }

    static func parse(_ text: String) throws -> ExplainJSONValue {
        try JSONDecoder().decode(ExplainJSONValue.self, from: Data(text.utf8))
    }

    subscript(key: String) -> ExplainJSONValue? {
        if case .object(let members) = self { return members[key] }
        return nil
    }
}

/// Validates a JSON value against the subset of JSON Schema (2020-12) that
/// `docs/explain-json.schema.json` uses: `type`, `const`, `enum`, `properties`, `required`,
/// `additionalProperties: false`, `items`, `pattern`, and local `$ref`s to `#/$defs/...`. Any other
/// keyword is reported as unsupported, so the schema cannot quietly rely on something unchecked.
struct ExplainSchemaValidator {
    let root: ExplainJSONValue
    static let annotations: Set<String> = ["$schema", "$id", "title", "description"]
    static let keywords: Set<String> = [
        "type", "const", "enum", "properties", "required", "additionalProperties", "items", "pattern", "$ref", "$defs",
    ]

    /// Every violation, as `path: problem`; empty when `value` conforms.
    func violations(of value: ExplainJSONValue) -> [String] {
        var problems: [String] = []
        check(value, against: root, path: "$", problems: &problems)
        return problems
    }

    /// Every property path the schema names (`containers[].kubelet.state`), for the documentation check.
    func propertyPaths() -> [String] {
        var paths: [String] = []
        collect(root, path: "", into: &paths)
        return paths
    }

    private func resolve(_ schema: ExplainJSONValue) -> ExplainJSONValue {
        guard case .string(let reference)? = schema["$ref"] else { return schema }
        let name = String(reference.dropFirst("#/$defs/".count))
        return root["$defs"]?[name] ?? .object([:])
    }

    private func collect(_ schema: ExplainJSONValue, path: String, into paths: inout [String]) {
        let schema = resolve(schema)
        if case .object(let properties)? = schema["properties"] {
            for (name, property) in properties.sorted(by: { $0.key < $1.key }) {
                let child = path.isEmpty ? name : "\(path).\(name)"
                paths.append(child)
                collect(property, path: child, into: &paths)
            }
        }
        if let items = schema["items"] { collect(items, path: path + "[]", into: &paths) }
    }

    private func check(_ value: ExplainJSONValue, against schemaValue: ExplainJSONValue, path: String, problems: inout [String]) {
        let schema = resolve(schemaValue)
        guard case .object(let rules) = schema else {
            problems.append("\(path): schema is not an object")
            return
        }
        for key in rules.keys where !Self.keywords.contains(key) && !Self.annotations.contains(key) {
            problems.append("\(path): unsupported schema keyword \(key)")
        }
        if case .string(let type)? = rules["type"], !Self.matches(value, type: type) {
            problems.append("\(path): expected \(type), got \(value)")
        }
        if let constant = rules["const"], constant != value {
            problems.append("\(path): expected \(constant), got \(value)")
        }
        if case .array(let allowed)? = rules["enum"], !allowed.contains(value) {
            problems.append("\(path): \(value) is not one of \(allowed)")
        }
        if case .string(let pattern)? = rules["pattern"], case .string(let text) = value {
            if text.range(of: pattern, options: .regularExpression) == nil {
                problems.append("\(path): \"\(text)\" does not match \(pattern)")
            }
        }
        if case .object(let members) = value {
            let properties: [String: ExplainJSONValue]
            if case .object(let declared)? = rules["properties"] { properties = declared } else { properties = [:] }
            if case .array(let required)? = rules["required"] {
                for case .string(let name) in required where members[name] == nil {
                    problems.append("\(path): missing required \(name)")
                }
            }
            for (name, member) in members.sorted(by: { $0.key < $1.key }) {
                if let property = properties[name] {
                    check(member, against: property, path: "\(path).\(name)", problems: &problems)
                } else if rules["additionalProperties"] == .bool(false) {
                    problems.append("\(path): undocumented property \(name)")
                }
            }
        }
        if case .array(let elements) = value, let items = rules["items"] {
            for (index, element) in elements.enumerated() {
                check(element, against: items, path: "\(path)[\(index)]", problems: &problems)
            }
        }
    }

    private static func matches(_ value: ExplainJSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("null", .null),
            ("number", .number):
            true
        case ("integer", .number(let number)): number == number.rounded()
        default: false
        }
    }
}
