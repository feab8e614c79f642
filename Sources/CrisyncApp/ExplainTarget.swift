import Foundation

/// What `crisync-exporter explain` was asked about.
enum ExplainTarget: Sendable, Hashable, CustomStringConvertible {
    /// Every container of one pod: `NAMESPACE/POD`.
    case pod(namespace: String, name: String)
    /// One container (or sandbox), by its runtime ID or a unique prefix of it (as `crictl` accepts).
    case container(idPrefix: String)
    /// Every container with a finding on the node (`--all`).
    case all

    /// Parses the command's argument: `NAMESPACE/POD`, or a container ID with or without the
    /// kubelet's `containerd://` scheme.
    init(argument: String) throws(ExplainTargetError) {
        let text = argument.trimmingCharacters(in: .whitespaces)
        guard !text.isEmpty else { throw .empty }
        if let scheme = text.range(of: "://") {
            let id = String(text[scheme.upperBound...])
            guard !id.isEmpty, !id.contains("/") else { throw .malformed(argument) }
            self = .container(idPrefix: id)
            return
        }
        if let slash = text.firstIndex(of: "/") {
            let namespace = String(text[..<slash])
            let name = String(text[text.index(after: slash)...])
            guard !namespace.isEmpty, !name.isEmpty, !name.contains("/") else { throw .malformed(argument) }
            self = .pod(namespace: namespace, name: name)
            return
        }
        guard !text.contains(where: \.isWhitespace) else { throw .malformed(argument) }
        self = .container(idPrefix: text)
    }

    var description: String {
        switch self {
        case .pod(let namespace, let name): "\(namespace)/\(name)"
        case .container(let idPrefix): idPrefix
        case .all: "--all"
        }
    }

    /// `pod`, `container` or `all`: the `mode` of the JSON document.
    var mode: String {
        switch self {
        case .pod: "pod"
        case .container: "container"
        case .all: "all"
        }
    }
}

/// Why the argument of `explain` is not a target; reported like a flag error (exit 2).
enum ExplainTargetError: Error, CustomStringConvertible, Equatable {
    case empty
    case malformed(String)

    var description: String {
        switch self {
        case .empty: "explain: the target is empty; give NAMESPACE/POD, CONTAINER_ID or --all"
        case .malformed(let text): "explain: \"\(text)\" is neither NAMESPACE/POD nor a container ID"
        }
    }
}
