import Foundation
import Model

/// A pod by namespace and name, the way scripts name it (`demo/stuck`).
public struct PodReference: Sendable, Hashable, CustomStringConvertible {
    public var namespace: String
    public var name: String

    public init(namespace: String, name: String) {
        self.namespace = namespace
        self.name = name
    }

    /// Parses `NAMESPACE/POD`.
    public init(parsing text: String) throws(LabError) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty else {
            throw .invalidPodReference(text)
        }
        self.init(namespace: String(parts[0]), name: String(parts[1]))
    }

    public var description: String { "\(namespace)/\(name)" }
}

/// The mirror kubelet's per-pod overrides, one small JSON file per pod in a directory that the
/// scenarios and shell scripts write while the mirror runs (it re-reads them every refresh):
///
///     <directory>/<namespace>_<pod>.json
///     {"deletionTimestamp": "2026-11-29T07:17:22Z", "deletionGracePeriodSeconds": 30}
///
/// Namespaces and pod names are DNS labels (no `_`), so the file name is unambiguous. A file is
/// written to a temporary name and renamed, so the mirror never reads half of one.
public struct PodOverrideStore: Sendable {
    public let directory: String

    public init(directory: String) {
        self.directory = directory
    }

    public static func fileName(for pod: PodReference) -> String {
        "\(pod.namespace)_\(pod.name).json"
    }

    /// The pod a file name stands for; nil for files that are not overrides (temporary files).
    public static func pod(fromFileName name: String) -> PodReference? {
        guard name.hasSuffix(".json"), !name.hasPrefix(".") else { return nil }
        let stem = name.dropLast(".json".count)
        guard let underscore = stem.firstIndex(of: "_") else { return nil }
        let namespace = stem[..<underscore]
        let pod = stem[stem.index(after: underscore)...]
        guard !namespace.isEmpty, !pod.isEmpty else { return nil }
        return PodReference(namespace: String(namespace), name: String(pod))
    }

    public func write(_ override: KubeletMirror.PodOverride, for pod: PodReference) throws(LabError) {
        let path = directory + "/" + Self.fileName(for: pod)
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try Self.encode(override).write(to: URL(fileURLWithPath: path), options: .atomic)
        } catch {
            throw .invalidOverride(file: path, reason: "cannot write: \(error.localizedDescription)")
        }
    }

    /// Removes the pod's override; no error when there is none.
    public func remove(for pod: PodReference) {
        try? FileManager.default.removeItem(atPath: directory + "/" + Self.fileName(for: pod))
    }

    /// Every override in the directory, and one line per file that could not be used. A missing
    /// directory is no overrides.
    public func read() -> (overrides: [PodReference: KubeletMirror.PodOverride], problems: [String]) {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return ([:], []) }
        var overrides: [PodReference: KubeletMirror.PodOverride] = [:]
        var problems: [String] = []
        for name in names.sorted() {
            guard let pod = Self.pod(fromFileName: name) else { continue }
            let path = directory + "/" + name
            do {
                guard let data = FileManager.default.contents(atPath: path) else {
                    throw LabError.invalidOverride(file: path, reason: "cannot read")
                }
                overrides[pod] = try Self.decode(data, file: path)
            } catch let error as LabError {
                problems.append(error.description)
            } catch {
                problems.append("\(path): \(error)")
            }
        }
        return (overrides, problems)
    }

    /// Overrides keyed by the pod UID the runtime gave each sandbox, as `KubeletMirror.pods` takes them.
    public static func byUID(
        _ overrides: [PodReference: KubeletMirror.PodOverride], sandboxes: [RuntimeSandbox]
    ) -> [String: KubeletMirror.PodOverride] {
        var result: [String: KubeletMirror.PodOverride] = [:]
        for sandbox in sandboxes where !sandbox.uid.isEmpty {
            if let override = overrides[PodReference(namespace: sandbox.namespace, name: sandbox.name)] {
                result[sandbox.uid] = override
            }
        }
        return result
    }

    // MARK: - The file format

    private struct FileJSON: Codable {
        var deletionTimestamp: String?
        var deletionGracePeriodSeconds: Int64?
    }

    public static func encode(_ override: KubeletMirror.PodOverride) -> Data {
        let file = FileJSON(
            deletionTimestamp: override.deletionTimestamp.map(timestamp),
            deletionGracePeriodSeconds: override.deletionGracePeriodSeconds)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        // Two optional fields of plain types: encoding cannot fail.
        return ((try? encoder.encode(file)) ?? Data()) + Data("\n".utf8)
    }

    public static func decode(_ data: Data, file: String) throws(LabError) -> KubeletMirror.PodOverride {
        let parsed: FileJSON
        do {
            parsed = try JSONDecoder().decode(FileJSON.self, from: data)
        } catch {
            throw .invalidOverride(file: file, reason: "not an override object: \(error.localizedDescription)")
        }
        var override = KubeletMirror.PodOverride(deletionGracePeriodSeconds: parsed.deletionGracePeriodSeconds)
        if let text = parsed.deletionTimestamp {
            guard let date = parseTimestamp(text) else {
                throw .invalidOverride(file: file, reason: "deletionTimestamp \"\(text)\" is not RFC 3339 (2026-11-29T07:17:22Z)")
            }
            override.deletionTimestamp = date
        }
        if let grace = override.deletionGracePeriodSeconds, grace < 0 {
            throw .invalidOverride(file: file, reason: "deletionGracePeriodSeconds must not be negative, got \(grace)")
        }
        return override
    }

    /// `2026-11-29T07:17:22Z`, whole seconds, as `metav1.Time` writes it.
    static func timestamp(_ date: Date) -> String {
        date.formatted(Date.ISO8601FormatStyle(timeZone: TimeZone(identifier: "UTC") ?? .current))
    }

    static func parseTimestamp(_ text: String) -> Date? {
        if let date = try? Date.ISO8601FormatStyle().parse(text) { return date }
        return try? Date.ISO8601FormatStyle(includingFractionalSeconds: true).parse(text)
    }
}
