import Foundation

/// The fields crisync needs from containerd's verbose `ContainerStatus` info: `info["info"]` holds a
/// JSON document (the container's CRI metadata, its OCI runtime spec, its task PID).
public struct ContainerdInfo: Sendable, Hashable {
    /// `pid`: the task's init process on the host; nil when absent or 0 (not running, never started).
    /// Stale (non-zero, the old process) after a containerd restart.
    public var pid: Int32?
    /// `sandboxID`: the pod sandbox the container belongs to.
    public var sandboxID: String?
    /// `runtimeSpec.linux.cgroupsPath`, e.g. `/kubepods/pod<uid>/<id>` (cgroupfs driver) or
    /// `kubepods-besteffort-pod<uid>.slice:cri-containerd:<id>` (systemd driver).
    public var cgroupsPath: String?

    public init(pid: Int32? = nil, sandboxID: String? = nil, cgroupsPath: String? = nil) {
        self.pid = pid
        self.sandboxID = sandboxID
        self.cgroupsPath = cgroupsPath
    }
}

/// Parses containerd's `info["info"]` JSON. Pure: bytes in, values out.
public enum ContainerInfoParser {
    /// The key of the verbose info map that holds the JSON document.
    public static let infoKey = "info"

    /// Parses the JSON text of `info["info"]`.
    ///
    /// Missing fields are nil (other runtimes write other documents); anything that is not a JSON
    /// object, or a field of the wrong type, is `RuntimeReaderError.malformedInfo`.
    public static func parse(
        _ json: String, containerID: String, endpoint: String
    ) throws(RuntimeReaderError) -> ContainerdInfo {
        let document: InfoDocument
        do {
            document = try JSONDecoder().decode(InfoDocument.self, from: Data(json.utf8))
        } catch let error as DecodingError {
            throw .malformedInfo(endpoint: endpoint, containerID: containerID, reason: error.oneLine)
        } catch {
            throw .malformedInfo(endpoint: endpoint, containerID: containerID, reason: "\(error)")
        }
        var info = ContainerdInfo(sandboxID: document.sandboxID, cgroupsPath: document.runtimeSpec?.linux?.cgroupsPath)
        if let pid = document.pid, pid != 0 {
            guard let narrowed = Int32(exactly: pid), narrowed > 0 else {
                throw .malformedInfo(endpoint: endpoint, containerID: containerID, reason: "pid \(pid) is not a valid PID")
            }
            info.pid = narrowed
        }
        if info.sandboxID?.isEmpty == true { info.sandboxID = nil }
        if info.cgroupsPath?.isEmpty == true { info.cgroupsPath = nil }
        return info
    }

    /// Parses the verbose info map of a `ContainerStatusResponse`; an empty result when it has no
    /// `info` key (a non-verbose answer, or a runtime that writes none).
    public static func parse(
        infoMap: [String: String], containerID: String, endpoint: String
    ) throws(RuntimeReaderError) -> ContainerdInfo {
        guard let json = infoMap[infoKey] else { return ContainerdInfo() }
        return try parse(json, containerID: containerID, endpoint: endpoint)
    }
}

/// The shape containerd 1.6 writes (`pkg/cri/server/container_status.go`), reduced to what we read.
private struct InfoDocument: Decodable {
    var pid: Int64?
    var sandboxID: String?
    var runtimeSpec: RuntimeSpec?

    enum CodingKeys: String, CodingKey {
        case pid, sandboxID, runtimeSpec
    }

    init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        // Foundation reports a fractional number for an integer as "not valid JSON"; name the field.
        if let pid = try? container.decodeIfPresent(Int64.self, forKey: .pid) {
            self.pid = pid
        } else if let number = try? container.decodeIfPresent(Double.self, forKey: .pid) {
            throw DecodingError.dataCorruptedError(
                forKey: .pid, in: container, debugDescription: "expected an integer, found \(number)")
        } else {
            self.pid = try container.decodeIfPresent(Int64.self, forKey: .pid)
        }
        sandboxID = try container.decodeIfPresent(String.self, forKey: .sandboxID)
        runtimeSpec = try container.decodeIfPresent(RuntimeSpec.self, forKey: .runtimeSpec)
    }

    struct RuntimeSpec: Decodable {
        var linux: Linux?
    }

    struct Linux: Decodable {
        var cgroupsPath: String?
    }
}

extension DecodingError {
    /// "pid: expected Int64" rather than the multi-line debug dump.
    fileprivate var oneLine: String {
        func path(_ context: Context) -> String {
            let keys = context.codingPath.map { $0.intValue.map { "[\($0)]" } ?? $0.stringValue }
            return keys.isEmpty ? "document" : keys.joined(separator: ".")
        }
        switch self {
        case .typeMismatch(let type, let context):
            return "\(path(context)): expected \(type)"
        case .valueNotFound(let type, let context):
            return "\(path(context)): expected \(type), found null"
        case .keyNotFound(let key, let context):
            return "\(path(context)): missing key \(key.stringValue)"
        case .dataCorrupted(let context):
            let underlying = (context.underlyingError as? NSError)?.userInfo[NSDebugDescriptionErrorKey] as? String
            return "\(path(context)): \(underlying ?? context.debugDescription)"
        @unknown default:
            return "\(self)"
        }
    }
}
