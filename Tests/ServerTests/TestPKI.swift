import Foundation

/// Certificates made by the real `openssl` for each test run: a CA, an unrelated CA, and leaf
/// certificates signed by either, valid now or long expired. EC P-256 keys, so it takes
/// milliseconds. Files are `<name>.crt` and `<name>.key` in `directory`.
final class TestPKI {
    let directory: TemporaryDirectory
    private var serial = 1

    enum Usage: String {
        case server = "server_ext"
        case client = "client_ext"
    }

    /// Makes the trusted CA `ca` (and nothing else yet).
    init() throws {
        directory = try TemporaryDirectory("crisync-pki")
        try makeCA("ca")
    }

    func path(_ name: String) -> String { directory.file(name) }
    func certificate(_ name: String) -> String { directory.file("\(name).crt") }
    func key(_ name: String) -> String { directory.file("\(name).key") }

    func makeCA(_ name: String) throws {
        try Subprocess.check(
            "openssl",
            [
                "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key(name),
                "-out", certificate(name), "-days", "3", "-subj", "/CN=crisync test \(name)",
                "-addext", "basicConstraints=critical,CA:TRUE", "-addext", "keyUsage=critical,keyCertSign,cRLSign",
            ])
        try "".write(toFile: path("\(name).index"), atomically: false, encoding: .utf8)
    }

    /// Issues `<name>.crt`/`.key` signed by `signer`. Without dates it is valid from now for two
    /// days; `notBefore`/`notAfter` are openssl's `YYYYMMDDHHMMSSZ`.
    func issue(
        _ name: String, usage: Usage, signer: String = "ca", commonName: String? = nil, notBefore: String? = nil, notAfter: String? = nil
    ) throws {
        try Subprocess.check(
            "openssl",
            [
                "req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-keyout", key(name), "-out", path("\(name).csr"),
                "-subj", "/CN=\(commonName ?? name)",
            ])
        serial += 1
        try String(format: "%04X\n", serial).write(toFile: path("\(signer).serial"), atomically: false, encoding: .utf8)
        try caConfig(signer: signer).write(toFile: path("\(signer).cnf"), atomically: false, encoding: .utf8)
        var arguments = [
            "ca", "-batch", "-notext", "-config", path("\(signer).cnf"), "-cert", certificate(signer), "-keyfile", key(signer),
            "-extensions", usage.rawValue, "-in", path("\(name).csr"), "-out", certificate(name),
        ]
        if let notBefore, let notAfter {
            arguments += ["-startdate", notBefore, "-enddate", notAfter]
        } else {
            arguments += ["-days", "2"]
        }
        try Subprocess.check("openssl", arguments)
    }

    private func caConfig(signer: String) -> String {
        """
        [ca]
        default_ca = signer
        [signer]
        database = \(path("\(signer).index"))
        new_certs_dir = \(directory.path)
        serial = \(path("\(signer).serial"))
        policy = any_name
        default_md = sha256
        unique_subject = no
        [any_name]
        commonName = supplied
        [server_ext]
        basicConstraints = CA:FALSE
        keyUsage = critical,digitalSignature
        extendedKeyUsage = serverAuth
        subjectAltName = DNS:localhost,IP:127.0.0.1
        [client_ext]
        basicConstraints = CA:FALSE
        keyUsage = critical,digitalSignature
        extendedKeyUsage = clientAuth

        """
    }
}
