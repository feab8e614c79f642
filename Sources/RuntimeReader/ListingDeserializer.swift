import GRPCCore
import Model

/// gRPC's deserializer for a listing: the wire bytes, read in place by ``ListingDecoder``.
struct ListingDeserializer<Listing: Sendable>: MessageDeserializer {
    let name: String
    let decode: @Sendable (UnsafeRawBufferPointer) throws(ProtobufWireError) -> Listing

    func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws -> Listing {
        do {
            return try serializedMessageBytes.withUnsafeBytes { buffer in try decode(buffer) }
        } catch {
            throw RPCError(code: .invalidArgument, message: "can't decode \(name)", cause: error)
        }
    }
}

extension ListingDeserializer where Listing == [RuntimeContainer] {
    static var containers: Self { .init(name: "ListContainersResponse", decode: ListingDecoder.containers) }
}

extension ListingDeserializer where Listing == [RuntimeSandbox] {
    static var sandboxes: Self { .init(name: "ListPodSandboxResponse", decode: ListingDecoder.sandboxes) }
}
