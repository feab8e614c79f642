import Glibc

/// A `--web.listen-address` value: `:9731` (all interfaces, IPv6 and IPv4), `127.0.0.1:9731`,
/// `[::1]:9731`, or `localhost:9731`.
public struct ListenAddress: Sendable, Hashable, CustomStringConvertible {
    public enum Host: Sendable, Hashable {
        case any
        case ipv4(in_addr_t)
        case ipv6([UInt8])
    }

    public var host: Host
    public var port: UInt16
    public let description: String

    public init(parsing text: String) throws(ServerError) {
        description = text
        guard let colon = text.lastIndex(of: ":") else {
            throw .invalidListenAddress(text, reason: "expected HOST:PORT, e.g. :9731 or 127.0.0.1:9731")
        }
        var hostText = String(text[..<colon])
        let portText = text[text.index(after: colon)...]
        guard let port = UInt16(portText) else {
            throw .invalidListenAddress(text, reason: "port \(String(portText).debugDescription) is not a number from 0 to 65535")
        }
        self.port = port
        if hostText.hasPrefix("[") && hostText.hasSuffix("]") {
            hostText = String(hostText.dropFirst().dropLast())
            var address = in6_addr()
            guard inet_pton(AF_INET6, hostText, &address) == 1 else {
                throw .invalidListenAddress(text, reason: "\(hostText.debugDescription) is not an IPv6 address")
            }
            host = .ipv6(withUnsafeBytes(of: address) { Array($0) })
        } else if hostText.isEmpty {
            host = .any
        } else if hostText == "localhost" {
            host = .ipv4(inet_addr("127.0.0.1"))
        } else {
            var address = in_addr()
            guard inet_pton(AF_INET, hostText, &address) == 1 else {
                throw .invalidListenAddress(text, reason: "\(hostText.debugDescription) is not an IPv4 address, [IPv6] address or localhost")
            }
            host = .ipv4(address.s_addr)
        }
    }

    /// Creates, binds and listens on a TCP socket for this address, so errors (address in use,
    /// permission denied) are reported precisely before libmicrohttpd takes the socket over.
    func bindListeningSocket(backlog: Int32 = 128) throws(ServerError) -> Int32 {
        switch host {
        case .ipv4(let address):
            var addr = sockaddr_in()
            addr.sin_family = sa_family_t(AF_INET)
            addr.sin_port = port.bigEndian
            addr.sin_addr.s_addr = address
            return try bind(family: AF_INET, address: &addr, backlog: backlog, dualStack: false)
        case .ipv6(let bytes):
            var addr = sockaddr_in6()
            addr.sin6_family = sa_family_t(AF_INET6)
            addr.sin6_port = port.bigEndian
            withUnsafeMutableBytes(of: &addr.sin6_addr) { $0.copyBytes(from: bytes) }
            return try bind(family: AF_INET6, address: &addr, backlog: backlog, dualStack: false)
        case .any:
            var addr6 = sockaddr_in6()
            addr6.sin6_family = sa_family_t(AF_INET6)
            addr6.sin6_port = port.bigEndian
            addr6.sin6_addr = in6addr_any
            do {
                return try bind(family: AF_INET6, address: &addr6, backlog: backlog, dualStack: true)
            } catch let error where !error.isAddressInUse {
                // Kernels without IPv6: fall back to IPv4 only.
                var addr = sockaddr_in()
                addr.sin_family = sa_family_t(AF_INET)
                addr.sin_port = port.bigEndian
                addr.sin_addr.s_addr = INADDR_ANY
                return try bind(family: AF_INET, address: &addr, backlog: backlog, dualStack: false)
            }
        }
    }

    private func bind<Address>(family: Int32, address: inout Address, backlog: Int32, dualStack: Bool) throws(ServerError)
        -> Int32
    {
        let fd = socket(family, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .socketFailed(address: description, errno: errno) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        if family == AF_INET6 {
            var v6Only: Int32 = dualStack ? 0 : 1
            setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &v6Only, socklen_t(MemoryLayout<Int32>.size))
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                Glibc.bind(fd, $0, socklen_t(MemoryLayout<Address>.size))
            }
        }
        if bound != 0 {
            let code = errno
            close(fd)
            throw .bindFailed(address: description, errno: code)
        }
        if listen(fd, backlog) != 0 {
            let code = errno
            close(fd)
            throw .listenFailed(address: description, errno: code)
        }
        return fd
    }
}
