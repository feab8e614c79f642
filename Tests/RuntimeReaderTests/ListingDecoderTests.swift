import Model
import SwiftProtobuf
import Testing

@testable import RuntimeReader

/// The hand-written listing decoder against SwiftProtobuf's decoding of the full upstream messages:
/// the same Model values for every listing, and an error wherever SwiftProtobuf finds one in a
/// listing cut short.
@Suite("Listings decoded from their wire bytes")
struct ListingDecoderTests {
    /// `bytes` as the one element of a listing (field 1, length-delimited).
    static func response(_ element: [UInt8]) -> [UInt8] {
        var length = UInt64(element.count)
        var bytes: [UInt8] = [0x0A]
        while length >= 0x80 {
            bytes.append(UInt8(length & 0x7F) | 0x80)
            length >>= 7
        }
        return bytes + [UInt8(length)] + element
    }

    /// Containers covering what a listing can hold: every state (and one this subset does not
    /// know), negative and large numbers, attempts past 32 bits' worth of varint, non-ASCII text,
    /// labels crisync reads, others it skips, and fields it never reads (image, annotations).
    static func containers(_ count: Int) -> [Runtime_V1_Container] {
        (0..<count).map { index in
            var container = Runtime_V1_Container()
            container.id = String(repeating: String(index, radix: 16), count: 64 / max(1, String(index, radix: 16).count))
            if index % 5 != 0 { container.podSandboxID = "sandbox-\(index / 3)" }
            if index % 7 != 0 { container.metadata.name = index % 4 == 0 ? "ctr-é-\(index)" : "ctr-\(index)" }
            container.metadata.attempt = UInt32(index % 3 == 0 ? index : Int(UInt32.max) - index)
            container.state = index % 11 == 0 ? .UNRECOGNIZED(7) : Runtime_V1_ContainerState(rawValue: index % 4) ?? .containerUnknown
            container.createdAt = index % 6 == 0 ? -Int64(index) : 1_790_000_000_000_000_000 + Int64(index)
            container.image.image = "registry.example/app:\(index)"
            container.imageRef = "sha256:\(index)"
            var labels = ["team": "t\(index % 4)", "app.kubernetes.io/name": "x"]
            if index % 2 == 0 { labels[KubernetesLabels.namespaceKey] = "ns-\(index % 9)" }
            if index % 3 != 0 { labels[KubernetesLabels.podNameKey] = "pod-\(index / 3)" }
            if index % 4 != 1 { labels[KubernetesLabels.podUIDKey] = "uid-\(index / 3)" }
            if index % 5 != 2 { labels[KubernetesLabels.containerNameKey] = index % 8 == 0 ? "" : "c-ü-\(index)" }
            container.labels = labels
            container.annotations = ["io.kubernetes.container.hash": "\(index * 7919)"]
            return container
        }
    }

    static func sandboxes(_ count: Int) -> [Runtime_V1_PodSandbox] {
        (0..<count).map { index in
            var sandbox = Runtime_V1_PodSandbox()
            sandbox.id = "sandbox-\(index)"
            sandbox.metadata.name = "pod-\(index)"
            if index % 3 != 0 { sandbox.metadata.uid = "uid-\(index)" }
            sandbox.metadata.namespace = index % 4 == 0 ? "ñs" : "ns-\(index % 5)"
            sandbox.metadata.attempt = UInt32(index)
            sandbox.state = index % 9 == 0 ? .UNRECOGNIZED(5) : index % 2 == 0 ? .sandboxReady : .sandboxNotready
            sandbox.createdAt = Int64(index) * 1_000_000_007
            sandbox.labels = [KubernetesLabels.podNameKey: "pod-\(index)", "other": "\(index)"]
            sandbox.annotations = ["kubernetes.io/config.seen": "2026-11-29"]
            sandbox.runtimeHandler = index % 2 == 0 ? "runc" : ""
            return sandbox
        }
    }

    /// SwiftProtobuf's reading of the full messages, as Model values.
    static func reference(_ container: Runtime_V1_Container) -> RuntimeContainer {
        RuntimeContainer(
            id: container.id, sandboxID: container.podSandboxID, name: container.metadata.name,
            attempt: container.metadata.attempt, state: RuntimeContainerState(cri: container.state),
            createdAtNanos: container.createdAt, labels: KubernetesLabels(labels: container.labels))
    }

    static func reference(_ sandbox: Runtime_V1_PodSandbox) -> RuntimeSandbox {
        RuntimeSandbox(
            id: sandbox.id, name: sandbox.metadata.name, namespace: sandbox.metadata.namespace, uid: sandbox.metadata.uid,
            attempt: sandbox.metadata.attempt, state: RuntimeSandboxState(cri: sandbox.state),
            createdAtNanos: sandbox.createdAt, labels: KubernetesLabels(labels: sandbox.labels))
    }

    static func decodeContainers(_ bytes: [UInt8]) throws -> [RuntimeContainer] {
        try bytes.withUnsafeBytes { try ListingDecoder.containers($0) }
    }

    @Test func containersDecodeAsSwiftProtobufDecodesThem() throws {
        var response = Runtime_V1_ListContainersResponse()
        response.containers = Self.containers(300)
        let bytes: [UInt8] = try response.serializedBytes()
        let reference = try Runtime_V1_ListContainersResponse(serializedBytes: bytes).containers.map(Self.reference)
        let decoded = try Self.decodeContainers(bytes)
        #expect(decoded.count == 300)
        for (index, (ours, theirs)) in zip(decoded, reference).enumerated() {
            #expect(ours == theirs, "container \(index)")
        }
        #expect(decoded.contains { $0.state == .unknown } && decoded.contains { $0.labels.namespace == nil })
    }

    @Test func sandboxesDecodeAsSwiftProtobufDecodesThem() throws {
        var response = Runtime_V1_ListPodSandboxResponse()
        response.items = Self.sandboxes(120)
        let bytes: [UInt8] = try response.serializedBytes()
        let reference = try Runtime_V1_ListPodSandboxResponse(serializedBytes: bytes).items.map(Self.reference)
        let decoded = try bytes.withUnsafeBytes { try ListingDecoder.sandboxes($0) }
        #expect(decoded == reference)
        #expect(decoded.contains { $0.state == .notReady } && decoded.contains { $0.uid.isEmpty })
    }

    @Test func anEmptyListingIsEmpty() throws {
        #expect(try Self.decodeContainers([]).isEmpty)
        #expect(try [UInt8]().withUnsafeBytes { try ListingDecoder.sandboxes($0) }.isEmpty)
    }

    /// A listing cut short anywhere: where SwiftProtobuf finds it malformed, so does the decoder;
    /// where the cut falls between fields (a shorter, valid listing), both read the same values.
    @Test func aListingCutShortIsAnErrorWhereverSwiftProtobufSaysSo() throws {
        var response = Runtime_V1_ListContainersResponse()
        response.containers = Self.containers(4)
        let bytes: [UInt8] = try response.serializedBytes()
        var errors = 0
        for length in 0..<bytes.count {
            let prefix = Array(bytes[..<length])
            let reference = try? Runtime_V1_ListContainersResponse(serializedBytes: prefix).containers.map(Self.reference)
            let decoded = try? Self.decodeContainers(prefix)
            #expect(decoded == reference, "cut at \(length) of \(bytes.count)")
            if reference == nil { errors += 1 }
        }
        #expect(errors > bytes.count / 2, "most cuts fall inside a field")
    }

    @Test func malformedBytesAreNamed() throws {
        func error(_ bytes: [UInt8]) -> String? {
            do {
                _ = try Self.decodeContainers(bytes)
                return nil
            } catch let error as ProtobufWireError {
                return error.description
            } catch {
                return "\(error)"
            }
        }
        #expect(error([0x0A, 0x05, 0x0A]) == "malformed protobuf at byte 1: length 5 runs past the end of the message")
        #expect(error([0x00]) == "malformed protobuf at byte 0: invalid tag 0 (field number 0 or too large)")
        #expect(error([0x0F]) == "malformed protobuf at byte 0: invalid wire type 7 of field 1")
        #expect(error([0x0B]) == "malformed protobuf at byte 1: field 1 has wire type 3, expected 2")
        #expect(error(Array(repeating: 0xFF, count: 11)) == "malformed protobuf at byte 0: varint longer than 10 bytes")
        // A container whose id (field 1) is not UTF-8.
        #expect(error(Self.response([0x0A, 0x02, 0xC3, 0x28])) == "malformed protobuf at byte 4: field 1 is not UTF-8")
        // A container whose state (field 6, a varint) comes length-delimited.
        #expect(error(Self.response([0x32, 0x00])) == "malformed protobuf at byte 3: field 6 has wire type 2, expected 0")
    }

    /// Every single-byte change of a real-shaped listing is read or refused, never a crash.
    @Test func everyByteFlipIsReadOrRefused() throws {
        var response = Runtime_V1_ListContainersResponse()
        response.containers = Self.containers(3)
        let bytes: [UInt8] = try response.serializedBytes()
        var refused = 0
        for index in bytes.indices {
            for flip: UInt8 in [0x01, 0x80, 0xFF] {
                var changed = bytes
                changed[index] ^= flip
                if (try? Self.decodeContainers(changed)) == nil { refused += 1 }
            }
        }
        #expect(refused > 0)
    }
}
