import GRPCCore
import SwiftProtobuf

/// Decodes a listing into one of the lean views of `api.proto` (`ContainerListing`,
/// `SandboxListing`): the fields the view leaves out are skipped, not kept as unknown fields (which
/// would copy their bytes into every message).
struct ListingDeserializer<Message: SwiftProtobuf.Message>: MessageDeserializer {
    func deserialize<Bytes: GRPCContiguousBytes>(_ serializedMessageBytes: Bytes) throws -> Message {
        var options = BinaryDecodingOptions()
        options.discardUnknownFields = true
        do {
            return try serializedMessageBytes.withUnsafeBytes { buffer in
                try Message(serializedBytes: BorrowedBytes(buffer), options: options)
            }
        } catch {
            throw RPCError(code: .invalidArgument, message: "can't decode \(Message.self)", cause: error)
        }
    }
}

/// Bytes SwiftProtobuf reads in place (it only ever asks a decoding input for `withUnsafeBytes`).
private struct BorrowedBytes: SwiftProtobufContiguousBytes {
    let buffer: UnsafeRawBufferPointer

    init(_ buffer: UnsafeRawBufferPointer) {
        self.buffer = buffer
    }

    init(repeating: UInt8, count: Int) {
        preconditionFailure("decoding input only")
    }

    init<S: Sequence>(_ sequence: S) where S.Element == UInt8 {
        preconditionFailure("decoding input only")
    }

    var count: Int { buffer.count }

    func withUnsafeBytes<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(buffer)
    }

    mutating func withUnsafeMutableBytes<R>(_ body: (UnsafeMutableRawBufferPointer) throws -> R) rethrows -> R {
        preconditionFailure("decoding input only")
    }
}
