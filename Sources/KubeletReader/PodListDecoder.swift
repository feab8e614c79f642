import Foundation
import Model

/// Why a kubelet `/pods` body could not be decoded: one line with the byte offset of a syntax
/// error, or the path of the offending field (e.g. `items[3].status.containerStatuses[0].restartCount`).
public struct PodListDecodingError: Error, CustomStringConvertible, Sendable, Equatable {
    public var description: String

    public init(_ description: String) {
        self.description = description
    }
}

/// Turns the bytes of a kubelet `GET /pods` answer (a `v1.PodList`) into a ``Model/KubeletSnapshot``.
///
/// Pure and synchronous: no I/O, no shared state, so it can be fuzzed and benchmarked alone.
/// One pass over the bytes (``PodListFields`` over a ``JSONScanner``) that builds only the
/// fields crisync reads: a real body is mostly spec and managedFields, read every refresh.
public enum PodListDecoder {
    /// Decodes a PodList. Unknown fields are ignored and missing fields take Go's zero values;
    /// a body that is not strict JSON, not an object, or has a field of the wrong type is an error.
    /// Containers come app containers first, then init containers (`isInit == true`).
    public static func decode(_ body: Data) throws(PodListDecodingError) -> KubeletSnapshot {
        try body.withUnsafeBytes { decode($0.assumingMemoryBound(to: UInt8.self)) }.get()
    }

    /// Same as ``decode(_:)-(Data)`` on raw bytes.
    public static func decode(_ body: [UInt8]) throws(PodListDecodingError) -> KubeletSnapshot {
        try body.withUnsafeBufferPointer { decode($0) }.get()
    }

    private static func decode(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<KubeletSnapshot, PodListDecodingError> {
        do {
            return .success(try PodListFields.snapshot(in: bytes))
        } catch {
            return .failure(PodListDecodingError(describe(error, in: bytes)))
        }
    }

    /// A syntax error anywhere in the body wins over a field error, as it did with `JSONDecoder`
    /// (which parsed the whole body before decoding): a broken body is reported as broken, not
    /// as a wrong type in whatever field happened to come first. This second pass runs only on
    /// the error path.
    private static func describe(_ error: JSONReadError, in bytes: UnsafeBufferPointer<UInt8>) -> String {
        var error = error
        if case .value = error {
            do {
                try JSONScanner.validate(bytes)
            } catch let syntaxError {
                error = syntaxError
            }
        }
        switch error {
        case .syntax(let offset, let reason):
            return "invalid JSON (\(bytes.count) bytes): \(reason) at byte \(offset)"
        case .value(let path, let problem):
            let place = path.isEmpty ? "the top level" : JSONPathComponent.describe(innermostFirst: path)
            return "at \(place): \(problem)"
        }
    }
}
