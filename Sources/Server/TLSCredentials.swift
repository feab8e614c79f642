import CMicroHTTPDShim

/// A certificate chain, key, client CAs and policy turned into GnuTLS objects (in the C shim).
///
/// Owns one reference to the C credentials until `transfer()` hands it to the daemon's TLS state,
/// or until it is dropped.
final class TLSCredentials: @unchecked Sendable {
    // The C object is immutable and reference-counted with atomics; this holder is used by one
    // thread at a time (built, then transferred), which is what makes the unchecked Sendable safe.
    private var pointer: OpaquePointer?

    /// Builds credentials from PEM bytes. `describe` names the config field a failure is about.
    init(
        certificatePEM: [UInt8], keyPEM: [UInt8], clientCAPEM: [UInt8]?, clientAuth: ClientAuthType, priorities: String,
        describe: (crisync_tls_failure, String) -> WebConfigError
    ) throws(WebConfigError) {
        var failure = CRISYNC_TLS_OK
        var detail = [CChar](repeating: 0, count: 256)
        let created: OpaquePointer? = certificatePEM.withUnsafeBufferPointer { cert in
            keyPEM.withUnsafeBufferPointer { key in
                withOptionalBuffer(clientCAPEM) { ca in
                    priorities.withCString { priorities in
                        var settings = crisync_tls_settings(
                            cert_pem: cert.baseAddress, cert_pem_len: cert.count, key_pem: key.baseAddress, key_pem_len: key.count,
                            client_ca_pem: ca?.baseAddress, client_ca_pem_len: ca?.count ?? 0,
                            client_auth: clientAuth.cValue, priorities: priorities)
                        return crisync_tls_credentials_create(&settings, &failure, &detail, detail.count)
                    }
                }
            }
        }
        guard let created else {
            let reason = detail.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
            throw describe(failure, reason.isEmpty ? "GnuTLS could not build TLS credentials" : reason)
        }
        pointer = created
    }

    /// Hands the reference over (to `crisync_tls_server_create` or `_replace`); callable once.
    func transfer() -> OpaquePointer {
        defer { pointer = nil }
        return pointer!
    }

    deinit {
        if let pointer { crisync_tls_credentials_release(pointer) }
    }
}

/// The daemon's current credentials, swapped on reload; owned by the `HTTPServer`.
final class TLSServerState: @unchecked Sendable {
    // The C side locks around every access; this class only owns the pointer's lifetime.
    let pointer: OpaquePointer

    init?(_ initial: TLSCredentials) {
        let credentials = initial.transfer()
        guard let server = crisync_tls_server_create(credentials) else {
            crisync_tls_credentials_release(credentials)
            return nil
        }
        pointer = server
    }

    /// New handshakes use `credentials`; open connections keep what they started with.
    func replace(with credentials: TLSCredentials) {
        crisync_tls_server_replace(pointer, credentials.transfer())
    }

    /// Call only after the daemon has stopped.
    func destroy() {
        crisync_tls_server_destroy(pointer)
    }
}

extension ClientAuthType {
    var cValue: crisync_client_auth {
        switch self {
        case .noClientCert: CRISYNC_NO_CLIENT_CERT
        case .requestClientCert: CRISYNC_REQUEST_CLIENT_CERT
        case .requireAnyClientCert: CRISYNC_REQUIRE_ANY_CLIENT_CERT
        case .verifyClientCertIfGiven: CRISYNC_VERIFY_CLIENT_CERT_IF_GIVEN
        case .requireAndVerifyClientCert: CRISYNC_REQUIRE_AND_VERIFY_CLIENT_CERT
        }
    }
}

private func withOptionalBuffer<R>(_ bytes: [UInt8]?, _ body: (UnsafeBufferPointer<UInt8>?) -> R) -> R {
    guard let bytes else { return body(nil) }
    return bytes.withUnsafeBufferPointer { body($0) }
}
