/// Protobuf's binary wire format read in place: the fields of a message in the order they were
/// written, each value read where it lies, length-delimited fields as readers of their own bytes.
///
/// Why by hand: the two listings are decoded on every refresh, and SwiftProtobuf decodes each
/// repeated element through generic code that looks its type's metadata up at run time, element
/// after element (about a sixth of a refresh's CPU at 1,000 containers went to decoding them).
///
/// Strict where a decoder must be: a field number of 0, a varint longer than ten bytes, a length
/// past the end, groups (deprecated, never in CRI) and strings that are not UTF-8 are errors.
struct ProtobufWireReader {
    /// How a field's value is written (the tag's low three bits).
    enum WireType: UInt8 {
        case varint = 0, fixed64 = 1, lengthDelimited = 2, startGroup = 3, endGroup = 4, fixed32 = 5
    }

    private let bytes: UnsafeRawBufferPointer
    /// The next byte to read; the reader ends at `end`.
    private(set) var offset: Int
    private let end: Int

    init(_ bytes: UnsafeRawBufferPointer) {
        self.init(bytes, from: 0, to: bytes.count)
    }

    private init(_ bytes: UnsafeRawBufferPointer, from offset: Int, to end: Int) {
        self.bytes = bytes
        self.offset = offset
        self.end = end
    }

    /// The next field's number and wire type; nil at the end of the message.
    mutating func nextField() throws(ProtobufWireError) -> (number: Int, wireType: WireType)? {
        guard offset < end else { return nil }
        let start = offset
        let tag = try varint()
        guard tag <= UInt64(UInt32.max), tag >> 3 != 0 else {
            throw ProtobufWireError(offset: start, reason: "invalid tag \(tag) (field number 0 or too large)")
        }
        guard let wireType = WireType(rawValue: UInt8(tag & 7)) else {
            throw ProtobufWireError(offset: start, reason: "invalid wire type \(tag & 7) of field \(tag >> 3)")
        }
        return (Int(tag >> 3), wireType)
    }

    mutating func varint() throws(ProtobufWireError) -> UInt64 {
        var result: UInt64 = 0
        var shift: UInt64 = 0
        let start = offset
        while offset < end {
            let byte = bytes[offset]
            offset += 1
            result |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return result }
            shift += 7
            guard shift < 70 else { throw ProtobufWireError(offset: start, reason: "varint longer than 10 bytes") }
        }
        throw ProtobufWireError(offset: end, reason: "message ends inside a varint")
    }

    /// A varint field's value, after checking the field was written as one.
    mutating func varint(field: Int, _ wireType: WireType) throws(ProtobufWireError) -> UInt64 {
        try expect(.varint, field: field, wireType)
        return try varint()
    }

    /// A length-delimited field's bytes as a reader of their own (an embedded message).
    mutating func message(field: Int, _ wireType: WireType) throws(ProtobufWireError) -> ProtobufWireReader {
        try expect(.lengthDelimited, field: field, wireType)
        let (start, count) = try lengthDelimited()
        return ProtobufWireReader(bytes, from: start, to: start + count)
    }

    /// A string field, checked to be UTF-8.
    mutating func string(field: Int, _ wireType: WireType) throws(ProtobufWireError) -> String {
        String(decoding: try utf8(field: field, wireType), as: UTF8.self)
    }

    /// A string field's bytes, checked to be UTF-8, without building the string.
    mutating func utf8(field: Int, _ wireType: WireType) throws(ProtobufWireError) -> UnsafeRawBufferPointer {
        try expect(.lengthDelimited, field: field, wireType)
        let (start, count) = try lengthDelimited()
        let raw = UnsafeRawBufferPointer(rebasing: bytes[start..<start + count])
        // Labels are ASCII: checked eight bytes at a time, and only text with other bytes validated.
        var index = 0
        while index + 8 <= count, raw.loadUnaligned(fromByteOffset: index, as: UInt64.self) & 0x8080_8080_8080_8080 == 0 {
            index += 8
        }
        while index < count, raw[index] < 0x80 { index += 1 }
        if index < count, String(validating: raw.assumingMemoryBound(to: UInt8.self), as: UTF8.self) == nil {
            throw ProtobufWireError(offset: start, reason: "field \(field) is not UTF-8")
        }
        return raw
    }

    /// Reads past a field this reader does not want.
    mutating func skip(field: Int, _ wireType: WireType) throws(ProtobufWireError) {
        switch wireType {
        case .varint: _ = try varint()
        case .fixed64: try advance(8)
        case .fixed32: try advance(4)
        case .lengthDelimited: _ = try lengthDelimited()
        case .startGroup, .endGroup:
            throw ProtobufWireError(offset: offset, reason: "field \(field) is a group (not used by CRI)")
        }
    }

    private mutating func lengthDelimited() throws(ProtobufWireError) -> (start: Int, count: Int) {
        let lengthOffset = offset
        let length = try varint()
        guard length <= UInt64(end - offset) else {
            throw ProtobufWireError(offset: lengthOffset, reason: "length \(length) runs past the end of the message")
        }
        let start = offset
        offset += Int(length)
        return (start, Int(length))
    }

    private mutating func advance(_ count: Int) throws(ProtobufWireError) {
        guard end - offset >= count else { throw ProtobufWireError(offset: end, reason: "message ends inside a fixed-size value") }
        offset += count
    }

    private func expect(_ expected: WireType, field: Int, _ wireType: WireType) throws(ProtobufWireError) {
        guard wireType == expected else {
            throw ProtobufWireError(offset: offset, reason: "field \(field) has wire type \(wireType.rawValue), expected \(expected.rawValue)")
        }
    }
}

/// Bytes that are not the protobuf message expected: where, and why.
struct ProtobufWireError: Error, CustomStringConvertible {
    let offset: Int
    let reason: String

    var description: String { "malformed protobuf at byte \(offset): \(reason)" }
}
