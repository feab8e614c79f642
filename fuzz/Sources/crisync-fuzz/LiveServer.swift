import Glibc

@testable import Server

/// A crisync HTTP server in this process (basic auth on, a short request deadline), fed each input
/// as raw bytes over loopback: libmicrohttpd parses them, crisync's handler answers.
///
/// A server crash crashes the fuzzer (input saved); an answer that is not HTTP, metrics served
/// without the password, or a server that stops answering `/healthz` is a broken invariant.
///
/// Not an invariant: closing promptly after the client's half-close. libmicrohttpd 0.9.75 sometimes
/// keeps such a connection until its idle timeout (e.g. after `\r\n\r\n`, found here); the
/// timeouts bound that, and LoadTests prove them.
final class LiveServer: @unchecked Sendable {
    // Set once before fuzzing starts and then only read, from libFuzzer's single thread.
    nonisolated(unsafe) static var shared: LiveServer!

    let server: HTTPServer
    private var exchanges = 0

    static func startShared() {
        let directory = "/tmp/crisync-fuzz-\(getpid())"
        mkdir(directory, 0o700)
        let config = "\(directory)/web.yml"
        // The hash of a random password nobody kept: no input can know it. Cost 4, so each new
        // credential the fuzzer invents costs about a millisecond, not tens.
        let text = "basic_auth_users:\n  prometheus: \"$2y$04$6ofQHTDULoQZia/KUL15TOUFpLughuy0UghtrRwyM7slxT8tBNgLW\"\n"
        let file = fopen(config, "w")
        fputs(text, file)
        fclose(file)
        do {
            let server = try HTTPServer.start(
                ServerConfiguration(
                    listenAddress: try ListenAddress(parsing: "127.0.0.1:0"), connectionTimeoutSeconds: 2, requestHeaderTimeoutSeconds: 2,
                    webConfigFile: config, webConfigCheckIntervalSeconds: 3600))
            server.publish(
                prometheusText: Array("# TYPE up gauge\nup 1\n".utf8), openMetricsText: Array("# TYPE up gauge\nup 1\n# EOF\n".utf8),
                landingPage: Array("<html></html>".utf8))
            shared = LiveServer(server: server)
        } catch {
            printError("crisync-fuzz: could not start the server: \(error)")
            exit(1)
        }
    }

    private init(server: HTTPServer) {
        self.server = server
    }

    func exchange(_ input: UnsafeBufferPointer<UInt8>) {
        let reply = send(input.prefix(65536))
        // Fewer than 8 bytes: a reply cut by the read deadline, nothing to judge.
        if reply.count >= 8 {
            invariant(reply.starts(with: Array("HTTP/1.".utf8)), "answer is not HTTP: \(String(decoding: reply.prefix(40), as: UTF8.self).debugDescription)")
            // Without the password (which no input knows), only /healthz may answer 200.
            if reply.starts(with: Array("HTTP/1.1 200".utf8)) || reply.starts(with: Array("HTTP/1.0 200".utf8)) {
                let text = String(decoding: reply, as: UTF8.self)
                invariant(!text.contains("up 1"), "metrics served without credentials")
            }
        }
        exchanges += 1
        if exchanges % 200 == 0 {
            let health = send(healthCheck, silence: 2_000_000)
            invariant(health.starts(with: Array("HTTP/1.1 200".utf8)), "the server stopped answering /healthz")
        }
    }

    private let healthCheck = Array("GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".utf8)

    /// Sends the bytes, half-closes, and reads until the server closes or is silent for 30 ms (on
    /// loopback an answer takes well under a millisecond; waiting for libmicrohttpd to notice the
    /// half-close would cost up to its idle timeout per input). Closes with RST so a long run does
    /// not fill the port range with TIME_WAIT.
    private func send(_ bytes: some Collection<UInt8>, silence microseconds: Int = 30_000) -> [UInt8] {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        invariant(fd >= 0, "socket failed")
        defer { close(fd) }
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
        var timeout = timeval(tv_sec: microseconds / 1_000_000, tv_usec: microseconds % 1_000_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = server.port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        invariant(connected == 0, "cannot connect to the server: errno \(errno)")
        let payload = Array(bytes)
        var offset = 0
        while offset < payload.count {
            let sent = payload[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if sent <= 0 { break }  // the server may close early (e.g. 431): fine
            offset += sent
        }
        shutdown(fd, Int32(SHUT_WR))
        var reply: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if count > 0 {
                reply.append(contentsOf: buffer[0..<count])
                // Once a response head is in, anything more follows at once: stop waiting sooner.
                if microseconds > 2_000, reply.count >= 4, reply.firstRange(of: [13, 10, 13, 10]) != nil {
                    var short = timeval(tv_sec: 0, tv_usec: 2_000)
                    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &short, socklen_t(MemoryLayout<timeval>.size))
                }
                continue
            }
            return reply
        }
    }
}
