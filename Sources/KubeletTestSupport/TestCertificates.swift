import Foundation

/// A CA and a serving certificate it signed, made with the `openssl` command line tool as an
/// operator would make them, in PEM files. EC P-256 keys: instant to generate.
public struct TestCertificates: Sendable {
    public var directory: String
    public var caCertificatePath: String
    public var caKeyPath: String
    public var serverCertificatePath: String
    public var serverKeyPath: String

    /// The TLS files for ``FakeKubelet/start(tls:host:port:scenarioSource:)``.
    public var serverTLS: FakeKubeletTLS {
        FakeKubeletTLS(certificateChainPath: serverCertificatePath, privateKeyPath: serverKeyPath)
    }

    /// Makes `<name>-ca.crt`/`.key` and `<name>-server.crt`/`.key` in `directory`. The server
    /// certificate carries `subjectAltNames` (openssl syntax) and is valid for `days` days.
    public static func make(
        in directory: String, name: String = "kubelet",
        subjectAltNames: [String] = ["IP:127.0.0.1", "DNS:localhost"], days: Int = 2
    ) throws -> TestCertificates {
        let base = (directory as NSString).appendingPathComponent(name)
        let certificates = TestCertificates(
            directory: directory, caCertificatePath: base + "-ca.crt", caKeyPath: base + "-ca.key",
            serverCertificatePath: base + "-server.crt", serverKeyPath: base + "-server.key")
        let csrPath = base + "-server.csr"
        let extensionsPath = base + "-server.ext"
        let extensions = """
            basicConstraints = critical, CA:FALSE
            keyUsage = critical, digitalSignature, keyEncipherment
            extendedKeyUsage = serverAuth
            subjectAltName = \(subjectAltNames.joined(separator: ", "))

            """
        try Data(extensions.utf8).write(to: URL(fileURLWithPath: extensionsPath))
        let ecKey = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"]
        try runOpenSSL(
            ["req", "-x509"] + ecKey + [
                "-keyout", certificates.caKeyPath, "-out", certificates.caCertificatePath, "-days", String(days),
                "-subj", "/CN=crisync test CA \(name)",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            ])
        try runOpenSSL(
            ["req"] + ecKey + [
                "-keyout", certificates.serverKeyPath, "-out", csrPath, "-subj", "/CN=fake-kubelet \(name)",
            ])
        try runOpenSSL([
            "x509", "-req", "-in", csrPath, "-CA", certificates.caCertificatePath, "-CAkey", certificates.caKeyPath,
            "-CAcreateserial", "-out", certificates.serverCertificatePath, "-days", String(days),
            "-extfile", extensionsPath,
        ])
        return certificates
    }

    /// Runs `openssl` with these arguments; throws with its stderr when it fails.
    public static func runOpenSSL(_ arguments: [String]) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
        process.arguments = arguments
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        let stderr = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw FakeKubeletError(
                "openssl \(arguments.prefix(2).joined(separator: " ")) failed (\(process.terminationStatus)): "
                    + String(decoding: stderr, as: UTF8.self))
        }
    }
}

/// A fresh directory under the system temp dir, removed by ``remove()``.
public struct TemporaryDirectory: Sendable {
    public let path: String

    public init(prefix: String = "crisync-test") throws {
        var template = Array((NSTemporaryDirectory() as NSString).appendingPathComponent("\(prefix).XXXXXX").utf8CString)
        let created = template.withUnsafeMutableBufferPointer { buffer in
            buffer.baseAddress.flatMap { mkdtemp($0) }.map { String(cString: $0) }
        }
        guard let created else { throw FakeKubeletError("mkdtemp failed: \(String(cString: strerror(errno)))") }
        path = created
    }

    /// `path/name`.
    public func file(_ name: String) -> String {
        (path as NSString).appendingPathComponent(name)
    }

    /// Writes `contents` to `path/name` atomically (write a temp file, then rename, as
    /// Kubernetes does when it rotates a projected token) and returns the path.
    @discardableResult
    public func write(_ name: String, _ contents: String) throws -> String {
        let target = file(name)
        try Data(contents.utf8).write(to: URL(fileURLWithPath: target), options: .atomic)
        return target
    }

    public func remove() {
        try? FileManager.default.removeItem(atPath: path)
    }
}
