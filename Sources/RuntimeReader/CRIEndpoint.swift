import Foundation

/// Where the runtime's CRI socket is. crisync speaks CRI over unix sockets only, as the kubelet does
/// on Linux.
public struct CRIEndpoint: Sendable, Hashable, CustomStringConvertible {
    /// Filesystem path of the unix socket.
    public let socketPath: String

    /// Parses `unix:///run/containerd/containerd.sock` or a plain path (`/run/containerd/containerd.sock`).
    public init(parsing text: String) throws(RuntimeReaderError) {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let path: String
        if let schemeEnd = trimmed.range(of: "://") {
            let scheme = trimmed[..<schemeEnd.lowerBound].lowercased()
            guard scheme == "unix" else {
                throw .invalidEndpoint(text, reason: "only unix:// sockets are supported, not \(scheme)://")
            }
            path = String(trimmed[schemeEnd.upperBound...])
            guard path.hasPrefix("/") else {
                throw .invalidEndpoint(text, reason: "a unix:// endpoint needs an absolute path (unix:///path)")
            }
        } else {
            path = trimmed
        }
        guard !path.isEmpty else { throw .invalidEndpoint(text, reason: "the socket path is empty") }
        guard !path.hasSuffix("/") else { throw .invalidEndpoint(text, reason: "the socket path names a directory") }
        self.socketPath = path
    }

    /// An endpoint for a socket path known to be a path (no parsing).
    public init(socketPath: String) {
        self.socketPath = socketPath
    }

    /// `unix://<path>`, the form used in every message.
    public var description: String { "unix://" + socketPath }
}
