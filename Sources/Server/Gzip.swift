import CZlib

/// gzip (RFC 1952) compression through zlib. Used once per published snapshot, never per request.
public enum Gzip {
    /// Compresses `input` into a gzip member. Level 6 is zlib's default: ~1 ms for 100 KB here.
    public static func compress(_ input: [UInt8], level: Int32 = 6) -> [UInt8] {
        var stream = z_stream()
        // deflateInit2 is a macro; 15 + 16 = 32 KiB window with a gzip header and trailer.
        let initResult = deflateInit2_(
            &stream, level, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY, ZLIB_VERSION, Int32(MemoryLayout<z_stream>.size))
        precondition(initResult == Z_OK, "deflateInit2 failed: \(initResult)")
        defer { deflateEnd(&stream) }
        var output = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(input.count))) + 32)
        let written: Int = input.withUnsafeBufferPointer { inputBuffer in
            output.withUnsafeMutableBufferPointer { outputBuffer in
                stream.next_in = UnsafeMutablePointer(mutating: inputBuffer.baseAddress)
                stream.avail_in = uInt(inputBuffer.count)
                stream.next_out = outputBuffer.baseAddress
                stream.avail_out = uInt(outputBuffer.count)
                let result = deflate(&stream, Z_FINISH)
                precondition(result == Z_STREAM_END, "deflate with a deflateBound-sized buffer did not finish: \(result)")
                return Int(stream.total_out)
            }
        }
        output.removeSubrange(written...)
        return output
    }

    /// Whether an `Accept-Encoding` header allows gzip (`gzip` or `*` with a non-zero quality).
    public static func isAccepted(by acceptEncoding: String?) -> Bool {
        guard let acceptEncoding else { return false }
        var accepted = false
        for item in acceptEncoding.split(separator: ",") {
            // `;` alone, or `;q=1` without a coding, splits into nothing: skip it (found by fuzzing;
            // indexing it crashed the exporter on a one-byte header).
            let parts = item.split(separator: ";")
            guard let first = parts.first else { continue }
            let coding = first.filter { $0 != " " && $0 != "\t" }.lowercased()
            guard coding == "gzip" || coding == "*" || coding == "x-gzip" else { continue }
            var q = 1.0
            for param in parts.dropFirst() {
                let kv = param.filter { $0 != " " && $0 != "\t" }.split(separator: "=", maxSplits: 1)
                if kv.count == 2, kv[0] == "q" { q = Double(kv[1]) ?? 0 }
            }
            if coding == "*" {
                accepted = accepted || q > 0
            } else {
                // An explicit gzip entry wins over `*`.
                return q > 0
            }
        }
        return accepted
    }
}
