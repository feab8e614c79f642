import Foundation
import NIOSSL
import Synchronization

/// Reads a small file whole, refusing files larger than `limitBytes` (a token or CA bundle is a
/// few KB; anything huge is a wrong path, e.g. a device, and must not be slurped).
func readSmallFile(_ path: String, limitBytes: Int) throws(SmallFileError) -> [UInt8] {
    let descriptor = open(path, O_RDONLY | O_CLOEXEC)
    guard descriptor >= 0 else { throw SmallFileError(reason: String(cString: strerror(errno))) }
    defer { close(descriptor) }
    var bytes: [UInt8] = []
    var chunk = [UInt8](repeating: 0, count: 16 << 10)
    while true {
        let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
        if count < 0 {
            if errno == EINTR { continue }
            throw SmallFileError(reason: String(cString: strerror(errno)))
        }
        if count == 0 { return bytes }
        bytes += chunk[0..<count]
        if bytes.count > limitBytes { throw SmallFileError(reason: "larger than \(limitBytes) bytes") }
    }
}

struct SmallFileError: Error {
    var reason: String
}

/// The bearer token, read fresh on every request: projected service-account tokens are rotated
/// by the kubelet (about hourly) by replacing the file, and an old token expires.
struct TokenFile: Sendable {
    let path: String

    /// 64 KiB: real tokens are ~1 KB JWTs.
    static let limitBytes = 64 << 10

    func read() throws(KubeletReaderError) -> String {
        let bytes: [UInt8]
        do {
            bytes = try readSmallFile(path, limitBytes: Self.limitBytes)
        } catch {
            throw .tokenFileUnreadable(path: path, reason: error.reason)
        }
        let token = String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else { throw .tokenFileUnreadable(path: path, reason: "empty") }
        // A header value cannot carry a line break; a token with one is not a token.
        guard !token.contains(where: { $0.isNewline }) else {
            throw .tokenFileUnreadable(path: path, reason: "holds more than one line")
        }
        return token
    }
}

/// The CA bundle, re-read on every request (a few KB) and re-parsed only when its bytes change.
///
/// Comparing contents rather than the modification time also catches a replacement within the
/// same clock tick, and a Kubernetes ConfigMap/Secret volume swap (a symlink flip that may keep
/// old timestamps). The certificates go into the TLS configuration by value, so a changed CA
/// gives a different configuration and new connections; `.file(path)` would be cached by path.
final class CAFile: Sendable {
    let path: String
    private let cache = Mutex<(bytes: [UInt8], certificates: [NIOSSLCertificate])?>(nil)

    /// 4 MiB: a system bundle is ~200 KB.
    static let limitBytes = 4 << 20

    init(path: String) {
        self.path = path
    }

    func certificates() throws(KubeletReaderError) -> [NIOSSLCertificate] {
        let bytes: [UInt8]
        do {
            bytes = try readSmallFile(path, limitBytes: Self.limitBytes)
        } catch {
            throw .caFileInvalid(path: path, reason: error.reason)
        }
        if let cached = cache.withLock({ $0 }), cached.bytes == bytes { return cached.certificates }
        let certificates: [NIOSSLCertificate]
        do {
            certificates = try NIOSSLCertificate.fromPEMBytes(bytes)
        } catch {
            throw .caFileInvalid(path: path, reason: "not a PEM certificate bundle (\(error))")
        }
        guard !certificates.isEmpty else {
            throw .caFileInvalid(path: path, reason: "holds no PEM certificate")
        }
        cache.withLock { $0 = (bytes, certificates) }
        return certificates
    }
}
