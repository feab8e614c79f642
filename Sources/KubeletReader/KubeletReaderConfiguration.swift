/// How to reach the kubelet. Mirrors the `--kubelet.*` flags.
public struct KubeletReaderConfiguration: Sendable, Equatable {
    /// How the kubelet's serving certificate is checked on `https://` URLs.
    public enum CertificateVerification: Sendable, Equatable {
        /// Chain to the CA and name match with the URL's host. The default.
        case full
        /// Chain to the CA, any name. Kubelets with self-signed serving certificates (the default
        /// without `serverTLSBootstrap`) name the node, not `127.0.0.1`, so a reader on the node
        /// that trusts that certificate as its CA needs this. Not the default: it accepts any
        /// certificate the CA signed, for any host.
        case noHostnameVerification
        /// No verification at all (`--kubelet.insecure-skip-tls-verify`): anyone on the path can
        /// impersonate the kubelet. For tests and emergencies only.
        case insecureSkipVerify
    }

    /// Base URL; `/pods` is appended. `https://` or `http://` (the read-only port, tests).
    public var url: String
    /// File holding the bearer token, re-read on every request (projected tokens rotate).
    /// nil sends no `Authorization` header.
    public var tokenFile: String?
    /// PEM file with the CA certificate(s) that sign the kubelet's serving certificate, re-read
    /// on every request and re-parsed when it changed. nil trusts the system's roots.
    public var caFile: String?
    public var certificateVerification: CertificateVerification
    /// Deadline for one whole request: connect, TLS, headers and body, in seconds.
    public var timeoutSeconds: Double
    /// Largest body accepted, in bytes; a bigger one is refused while streaming, unbuffered.
    public var maxBodyBytes: Int

    /// `https://127.0.0.1:10250`, the kubelet's authenticated port on the node.
    public static let defaultURL = "https://127.0.0.1:10250"
    public static let defaultTimeoutSeconds = 5.0
    /// 64 MiB.
    public static let defaultMaxBodyBytes = 64 << 20

    public init(
        url: String = KubeletReaderConfiguration.defaultURL,
        tokenFile: String? = nil,
        caFile: String? = nil,
        certificateVerification: CertificateVerification = .full,
        timeoutSeconds: Double = KubeletReaderConfiguration.defaultTimeoutSeconds,
        maxBodyBytes: Int = KubeletReaderConfiguration.defaultMaxBodyBytes
    ) {
        self.url = url
        self.tokenFile = tokenFile
        self.caFile = caFile
        self.certificateVerification = certificateVerification
        self.timeoutSeconds = timeoutSeconds
        self.maxBodyBytes = maxBodyBytes
    }

    /// `url` with `/pods` appended (one slash, whatever the base ends with).
    public var podsURL: String {
        url.hasSuffix("/") ? url + "pods" : url + "/pods"
    }
}
