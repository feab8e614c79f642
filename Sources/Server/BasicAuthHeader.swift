/// Parses an `Authorization: Basic <base64(user:password)>` header value without allocating.
///
/// Strict like Go's `Request.BasicAuth`: the scheme is `Basic` (any case) and one space, then
/// standard base64 with padding, nothing else; the user name ends at the first `:`.
enum BasicAuthHeader {
    /// Longest base64 text decoded; longer credentials are refused outright.
    static let maxEncodedLength = 1024
    /// What `decode` may write: `maxEncodedLength` base64 characters decode to at most this many bytes.
    static let maxDecodedLength = maxEncodedLength / 4 * 3

    /// Decodes `value` into `output` (at least `maxDecodedLength` bytes). Returns the decoded
    /// length and the index of the `:` separating user and password, or nil when malformed.
    static func decode(_ value: UnsafeBufferPointer<UInt8>, into output: UnsafeMutableBufferPointer<UInt8>) -> (length: Int, colon: Int)? {
        let scheme = lowercaseScheme
        guard value.count > scheme.count, value.count - scheme.count <= maxEncodedLength, output.count >= maxDecodedLength
        else { return nil }
        for index in 0..<scheme.count {
            let byte = value[index]
            let lowered = byte >= UInt8(ascii: "A") && byte <= UInt8(ascii: "Z") ? byte + 32 : byte
            guard lowered == scheme[index] else { return nil }
        }
        let encoded = UnsafeBufferPointer(rebasing: value[scheme.count...])
        guard encoded.count % 4 == 0 else { return nil }
        var written = 0
        var index = 0
        while index < encoded.count {
            let isLastQuad = index + 4 == encoded.count
            var quad: UInt32 = 0
            var padding = 0
            for offset in 0..<4 {
                let byte = encoded[index + offset]
                if byte == UInt8(ascii: "=") {
                    // Padding only at the very end: "xx==" or "xxx=".
                    guard isLastQuad, offset >= 2, offset == 3 || encoded[index + 3] == UInt8(ascii: "=") else { return nil }
                    padding += 1
                    quad <<= 6
                    continue
                }
                guard padding == 0, let sextet = sextet(byte) else { return nil }
                quad = quad << 6 | UInt32(sextet)
            }
            let bytes = 3 - padding
            for shift in 0..<bytes {
                output[written] = UInt8(truncatingIfNeeded: quad >> (16 - 8 * shift))
                written += 1
            }
            index += 4
        }
        guard let colon = UnsafeBufferPointer(rebasing: output[..<written]).firstIndex(of: UInt8(ascii: ":")) else { return nil }
        return (written, colon)
    }

    private static let lowercaseScheme: [UInt8] = Array("basic ".utf8)

    private static func sextet(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): byte - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): byte - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"): 62
        case UInt8(ascii: "/"): 63
        default: nil
        }
    }
}
