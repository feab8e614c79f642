import CMicroHTTPDShim
import Glibc

/// A web config read from disk: the settings, the TLS credentials built from the files they name,
/// and what every file involved looked like when it was read.
struct LoadedWebConfig: Sendable {
    var config: WebConfig
    var credentials: TLSCredentials?
    var stamps: [FileStamp]
}

/// Identity and version of one file as `stat` sees it (through symlinks, so a Kubernetes secret
/// volume's atomic `..data` swap counts as a change). Equal stamps: nothing to reload.
struct FileStamp: Sendable, Equatable {
    var path: String
    var device: UInt64 = 0
    var inode: UInt64 = 0
    var size: Int64 = 0
    var modifiedNanoseconds: Int64 = 0
    var changedNanoseconds: Int64 = 0
    /// 0 when `stat` succeeded.
    var errno: Int32 = 0

    init(path: String) {
        self.path = path
        var info = stat()
        guard stat(path, &info) == 0 else {
            errno = Glibc.errno
            return
        }
        device = UInt64(info.st_dev)
        inode = UInt64(info.st_ino)
        size = Int64(info.st_size)
        modifiedNanoseconds = Int64(info.st_mtim.tv_sec) * 1_000_000_000 + Int64(info.st_mtim.tv_nsec)
        changedNanoseconds = Int64(info.st_ctim.tv_sec) * 1_000_000_000 + Int64(info.st_ctim.tv_nsec)
    }

    /// Whether any of `stamps` no longer matches its file.
    static func anyChanged(_ stamps: [FileStamp]) -> Bool {
        stamps.contains { FileStamp(path: $0.path) != $0 }
    }
}

enum WebConfigLoader {
    /// Larger files are refused: a web config, a certificate chain or a CA bundle is kilobytes.
    static let maxFileBytes = 1 << 20

    /// Reads and validates the config and everything it names. On failure the stamps still cover
    /// the files read so far, so the next attempt happens only once one of them changes.
    static func load(file: String) -> (result: Result<LoadedWebConfig, WebConfigError>, stamps: [FileStamp]) {
        var stamps = [FileStamp(path: file)]
        do throws(WebConfigError) {
            let bytes: [UInt8]
            do {
                bytes = try readFile(file)
            } catch {
                throw .unreadable(file: file, reason: error.description)
            }
            let config = try WebConfigDecoder.decode(bytes, file: file)
            var credentials: TLSCredentials?
            if let tls = config.tls {
                for case .file(let path) in [tls.certificate, tls.key, tls.clientCA].compactMap({ $0 }) {
                    stamps.append(FileStamp(path: path))
                }
                credentials = try makeCredentials(tls, configFile: file)
            }
            return (.success(LoadedWebConfig(config: config, credentials: credentials, stamps: stamps)), stamps)
        } catch {
            return (.failure(error), stamps)
        }
    }

    private static func makeCredentials(_ tls: TLSServerSettings, configFile: String) throws(WebConfigError) -> TLSCredentials {
        let certificate = try read(tls.certificate, field: "tls_server_config.cert_file", configFile: configFile)
        let key = try read(tls.key, field: "tls_server_config.key_file", configFile: configFile)
        let clientCA = try tls.clientCA.map { source throws(WebConfigError) in
            try read(source, field: "tls_server_config.client_ca_file", configFile: configFile)
        }
        return try TLSCredentials(
            certificatePEM: certificate, keyPEM: key, clientCAPEM: clientCA, clientAuth: tls.clientAuth,
            priorities: tls.gnutlsPriorities
        ) { failure, reason in
            let field: String
            switch failure {
            case CRISYNC_TLS_BAD_CERT: field = name(tls.certificate, "tls_server_config.cert")
            case CRISYNC_TLS_BAD_KEY: field = name(tls.key, "tls_server_config.key")
            case CRISYNC_TLS_KEY_MISMATCH:
                field = "\(name(tls.certificate, "tls_server_config.cert")) and \(name(tls.key, "tls_server_config.key"))"
            case CRISYNC_TLS_BAD_CLIENT_CA: field = name(tls.clientCA ?? .inline(""), "tls_server_config.client_ca")
            case CRISYNC_TLS_BAD_PRIORITIES: field = "tls_server_config.min_version/max_version"
            default: field = "tls_server_config"
            }
            return .unusableTLSMaterial(file: configFile, field: field, reason: reason)
        }
    }

    /// `tls_server_config.cert_file /path` or `tls_server_config.cert` (inline).
    private static func name(_ source: PEMSource, _ inlineField: String) -> String {
        switch source {
        case .file(let path): "\(inlineField)_file \(path)"
        case .inline: "\(inlineField) (inline)"
        }
    }

    private static func read(_ source: PEMSource, field: String, configFile: String) throws(WebConfigError) -> [UInt8] {
        switch source {
        case .inline(let text):
            return Array(text.utf8)
        case .file(let path):
            do {
                return try readFile(path)
            } catch {
                throw .referencedFileUnreadable(file: configFile, field: field, path: path, reason: error.description)
            }
        }
    }

    /// Reads a whole regular file of at most `maxFileBytes`.
    static func readFile(_ path: String) throws(FileReadError) -> [UInt8] {
        let fd = open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileReadError(operation: "open", errno: errno) }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else { throw FileReadError(operation: "stat", errno: errno) }
        guard (info.st_mode & S_IFMT) == S_IFREG else { throw FileReadError(operation: "open", errno: EISDIR, notRegular: true) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let count = chunk.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if count < 0 {
                if errno == EINTR { continue }
                throw FileReadError(operation: "read", errno: errno)
            }
            if count == 0 { return bytes }
            bytes.append(contentsOf: chunk[0..<count])
            if bytes.count > maxFileBytes { throw FileReadError(operation: "read", errno: EFBIG, tooLarge: true) }
        }
    }
}

/// One line: which system call failed and why.
struct FileReadError: Error, CustomStringConvertible {
    var operation: String
    var errno: Int32
    var notRegular = false
    var tooLarge = false

    var description: String {
        if notRegular { return "not a regular file" }
        if tooLarge { return "larger than \(WebConfigLoader.maxFileBytes) bytes" }
        return "\(operation): \(errnoText(errno))"
    }
}
