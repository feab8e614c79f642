import Foundation
import KubeletReader
import Model

/// The `JSONDecoder`-based PodList decoder that `PodListDecoder` replaced, kept unchanged as the
/// reference for the differential tests: same input, same snapshot (or both refuse).
enum ReferencePodListDecoder {
    /// Decodes a PodList. Unknown fields are ignored and missing fields take Go's zero values;
    /// a body that is not JSON, not an object, or has a field of the wrong type is an error.
    /// Containers come app containers first, then init containers (`isInit == true`).
    static func decode(_ body: Data) throws(PodListDecodingError) -> KubeletSnapshot {
        let wire: PodListWire
        do {
            wire = try JSONDecoder().decode(PodListWire.self, from: body)
        } catch let error as DecodingError {
            throw PodListDecodingError(describe(error, body: body))
        } catch {
            throw PodListDecodingError("not a PodList: \(error)")
        }
        return KubeletSnapshot(pods: (wire.items ?? []).map(pod(from:)))
    }

    static func decode(_ body: [UInt8]) throws(PodListDecodingError) -> KubeletSnapshot {
        try decode(Data(body))
    }

    private static func pod(from wire: PodWire) -> KubeletPod {
        let status = wire.status
        let ready = status?.conditions?.last(where: { $0.type == "Ready" }).map { $0.status == "True" }
        let appContainers = (status?.containerStatuses ?? []).map { container(from: $0, isInit: false) }
        let initContainers = (status?.initContainerStatuses ?? []).map { container(from: $0, isInit: true) }
        return KubeletPod(
            name: wire.metadata?.name ?? "",
            namespace: wire.metadata?.namespace ?? "",
            uid: wire.metadata?.uid ?? "",
            deletionTimestamp: wire.metadata?.deletionTimestamp?.date,
            deletionGracePeriodSeconds: wire.metadata?.deletionGracePeriodSeconds?.value,
            nodeName: wire.spec?.nodeName,
            phase: status?.phase,
            ready: ready,
            containers: appContainers + initContainers)
    }

    private static func container(from wire: ContainerStatusWire, isInit: Bool) -> KubeletContainerStatus {
        KubeletContainerStatus(
            name: wire.name ?? "",
            containerID: wire.containerID.flatMap { $0.isEmpty ? nil : $0 },
            ready: wire.ready ?? false,
            started: wire.started,
            restartCount: wire.restartCount?.value ?? 0,
            state: state(from: wire.state),
            lastTerminated: wire.lastState?.terminated.map(termination(from:)),
            isInit: isInit)
    }

    /// The kubelet sets exactly one member; if a writer sets several, the order follows
    /// `kubectl describe` (running, waiting, terminated).
    private static func state(from wire: ContainerStateWire?) -> KubeletContainerState {
        if let running = wire?.running { return .running(startedAt: running.startedAt?.date) }
        if let waiting = wire?.waiting { return .waiting(reason: waiting.reason, message: waiting.message) }
        if let terminated = wire?.terminated { return .terminated(termination(from: terminated)) }
        return .unknown
    }

    private static func termination(from wire: TerminatedWire) -> KubeletTermination {
        KubeletTermination(
            exitCode: wire.exitCode?.value ?? 0,
            signal: wire.signal?.value,
            reason: wire.reason,
            message: wire.message,
            startedAt: wire.startedAt?.date,
            finishedAt: wire.finishedAt?.date,
            containerID: wire.containerID.flatMap { $0.isEmpty ? nil : $0 })
    }

    private static func describe(_ error: DecodingError, body: Data) -> String {
        switch error {
        case .typeMismatch(let type, let context):
            "at \(path(context)): expected \(typeName(type)): \(context.debugDescription)"
        case .valueNotFound(let type, let context):
            "at \(path(context)): expected \(typeName(type)), found null"
        case .keyNotFound(let key, let context):
            "at \(path(context)): missing key \"\(key.stringValue)\""
        case .dataCorrupted(let context):
            if context.codingPath.isEmpty {
                "invalid JSON (\(body.count) bytes): \(syntaxError(in: body) ?? context.debugDescription)"
            } else {
                "at \(path(context)): \(context.debugDescription)"
            }
        @unknown default:
            "\(error)"
        }
    }

    /// Foundation's `JSONDecoder` on Linux drops the position of a syntax error ("The given data
    /// was not valid JSON."); `JSONSerialization` keeps it ("Invalid value around character 12.").
    /// Only runs on the error path.
    private static func syntaxError(in body: Data) -> String? {
        do {
            _ = try JSONSerialization.jsonObject(with: body, options: .fragmentsAllowed)
            return nil
        } catch {
            return ((error as NSError).userInfo[NSDebugDescriptionErrorKey] as? String) ?? "\(error)"
        }
    }

    /// `items[3].status.containerStatuses[0].state`, the way `kubectl explain` names fields.
    private static func path(_ context: DecodingError.Context) -> String {
        guard !context.codingPath.isEmpty else { return "the top level" }
        var result = ""
        for key in context.codingPath {
            if let index = key.intValue {
                result += "[\(index)]"
            } else {
                result += result.isEmpty ? key.stringValue : ".\(key.stringValue)"
            }
        }
        return result
    }

    private static func typeName(_ type: Any.Type) -> String {
        switch type {
        case is String.Type: "a string"
        case is Bool.Type: "a boolean"
        case is Int32.Type: "a 32-bit integer"
        case is Int64.Type: "a 64-bit integer"
        case is [Any].Type: "an array"
        default:
            if "\(type)".hasPrefix("Array") { "an array" } else { "an object" }
        }
    }
}
