import Model

/// The two listings decoded straight into Model values from their wire bytes: upstream's field
/// numbers (`ListContainersResponse`, `ListPodSandboxResponse` of CRI `runtime.v1`), only the fields
/// crisync reads, everything else skipped unread (annotations, images, runtime handlers, and every
/// label but the four `io.kubernetes.*` ones, whose keys are compared as bytes and never built).
/// As protobuf decoders do: a field given twice keeps its last value, an embedded message given
/// twice is merged, an enum value this subset does not know is kept as "unknown".
enum ListingDecoder {
    /// `ListContainersResponse`: `repeated Container containers = 1`.
    static func containers(_ bytes: UnsafeRawBufferPointer) throws(ProtobufWireError) -> [RuntimeContainer] {
        try elements(of: bytes, decode: container)
    }

    /// `ListPodSandboxResponse`: `repeated PodSandbox items = 1`.
    static func sandboxes(_ bytes: UnsafeRawBufferPointer) throws(ProtobufWireError) -> [RuntimeSandbox] {
        try elements(of: bytes, decode: sandbox)
    }

    /// The elements of a response's field 1 (both listings keep their items there).
    private static func elements<Element>(
        of bytes: UnsafeRawBufferPointer, decode: (inout ProtobufWireReader) throws(ProtobufWireError) -> Element
    ) throws(ProtobufWireError) -> [Element] {
        var reader = ProtobufWireReader(bytes)
        var elements: [Element] = []
        while let (number, wireType) = try reader.nextField() {
            guard number == 1 else {
                try reader.skip(field: number, wireType)
                continue
            }
            var element = try reader.message(field: number, wireType)
            elements.append(try decode(&element))
        }
        return elements
    }

    /// `Container`: id 1, pod_sandbox_id 2, metadata 3 (`ContainerMetadata`: name 1, attempt 2),
    /// state 6, created_at 7, labels 8.
    private static func container(_ reader: inout ProtobufWireReader) throws(ProtobufWireError) -> RuntimeContainer {
        var container = RuntimeContainer(id: "", sandboxID: "", name: "", state: .created)
        while let (number, wireType) = try reader.nextField() {
            switch number {
            case 1: container.id = try reader.string(field: number, wireType)
            case 2: container.sandboxID = try reader.string(field: number, wireType)
            case 3:
                var metadata = try reader.message(field: number, wireType)
                while let (number, wireType) = try metadata.nextField() {
                    switch number {
                    case 1: container.name = try metadata.string(field: number, wireType)
                    case 2: container.attempt = UInt32(truncatingIfNeeded: try metadata.varint(field: number, wireType))
                    default: try metadata.skip(field: number, wireType)
                    }
                }
            case 6: container.state = containerState(try reader.varint(field: number, wireType))
            case 7: container.createdAtNanos = Int64(bitPattern: try reader.varint(field: number, wireType))
            case 8: try label(&reader, field: number, wireType, into: &container.labels)
            default: try reader.skip(field: number, wireType)
            }
        }
        return container
    }

    /// `PodSandbox`: id 1, metadata 2 (`PodSandboxMetadata`: name 1, uid 2, namespace 3, attempt 4),
    /// state 3, created_at 4, labels 5.
    private static func sandbox(_ reader: inout ProtobufWireReader) throws(ProtobufWireError) -> RuntimeSandbox {
        var sandbox = RuntimeSandbox(id: "", name: "", namespace: "", uid: "", state: .ready)
        while let (number, wireType) = try reader.nextField() {
            switch number {
            case 1: sandbox.id = try reader.string(field: number, wireType)
            case 2:
                var metadata = try reader.message(field: number, wireType)
                while let (number, wireType) = try metadata.nextField() {
                    switch number {
                    case 1: sandbox.name = try metadata.string(field: number, wireType)
                    case 2: sandbox.uid = try metadata.string(field: number, wireType)
                    case 3: sandbox.namespace = try metadata.string(field: number, wireType)
                    case 4: sandbox.attempt = UInt32(truncatingIfNeeded: try metadata.varint(field: number, wireType))
                    default: try metadata.skip(field: number, wireType)
                    }
                }
            case 3: sandbox.state = sandboxState(try reader.varint(field: number, wireType))
            case 4: sandbox.createdAtNanos = Int64(bitPattern: try reader.varint(field: number, wireType))
            case 5: try label(&reader, field: number, wireType, into: &sandbox.labels)
            default: try reader.skip(field: number, wireType)
            }
        }
        return sandbox
    }

    /// One entry of the labels map (key 1, value 2; either may be absent, meaning empty). Only the
    /// four keys crisync reads are kept, matched as bytes (most labels are none of them, and no
    /// string is built for those); a key given again overrides, as in a map.
    private static func label(
        _ reader: inout ProtobufWireReader, field: Int, _ wireType: ProtobufWireReader.WireType,
        into labels: inout KubernetesLabels
    ) throws(ProtobufWireError) {
        var entry = try reader.message(field: field, wireType)
        var key = UnsafeRawBufferPointer(start: nil, count: 0)
        var value = UnsafeRawBufferPointer(start: nil, count: 0)
        while let (number, wireType) = try entry.nextField() {
            switch number {
            case 1: key = try entry.utf8(field: number, wireType)
            case 2: value = try entry.utf8(field: number, wireType)
            default: try entry.skip(field: number, wireType)
            }
        }
        func matches(_ name: String) -> Bool { key.elementsEqual(name.utf8) }
        // The four keys differ in length: the length picks the one to compare.
        switch key.count {
        case KubernetesLabels.namespaceKey.utf8.count where matches(KubernetesLabels.namespaceKey):
            labels.namespace = String(decoding: value, as: UTF8.self)
        case KubernetesLabels.podNameKey.utf8.count where matches(KubernetesLabels.podNameKey):
            labels.podName = String(decoding: value, as: UTF8.self)
        case KubernetesLabels.podUIDKey.utf8.count where matches(KubernetesLabels.podUIDKey):
            labels.podUID = String(decoding: value, as: UTF8.self)
        case KubernetesLabels.containerNameKey.utf8.count where matches(KubernetesLabels.containerNameKey):
            labels.containerName = String(decoding: value, as: UTF8.self)
        default: break
        }
    }

    /// An enum is an int32 on the wire; the CRI conversions decide what each value means (one this
    /// subset does not know included).
    private static func containerState(_ value: UInt64) -> RuntimeContainerState {
        let raw = Int(Int32(truncatingIfNeeded: value))
        return RuntimeContainerState(cri: Runtime_V1_ContainerState(rawValue: raw) ?? .UNRECOGNIZED(raw))
    }

    private static func sandboxState(_ value: UInt64) -> RuntimeSandboxState {
        let raw = Int(Int32(truncatingIfNeeded: value))
        return RuntimeSandboxState(cri: Runtime_V1_PodSandboxState(rawValue: raw) ?? .UNRECOGNIZED(raw))
    }
}
