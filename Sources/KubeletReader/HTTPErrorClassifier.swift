import AsyncHTTPClient
import Foundation
import NIOCore
import NIOSSL

/// The one place where errors from async-http-client, SwiftNIO and BoringSSL become
/// ``KubeletReaderError`` values with a cause a person can act on.
struct HTTPErrorClassifier {
    let url: String
    let timeoutSeconds: Double

    func classify(_ error: any Error) -> KubeletReaderError {
        switch error {
        case let error as KubeletReaderError:
            return error
        case let error as HTTPClientError:
            return classify(error)
        case let error as NIOSSLError:
            return .tlsFailure(url: url, reason: describe(error))
        case let error as NIOSSLExtraError:
            return .tlsFailure(url: url, reason: "\(error)")
        case let error as BoringSSLError:
            return .tlsFailure(url: url, reason: describe(error))
        case let error as IOError:
            return classify(errno: error.errnoCode, description: "\(error)")
        case is CancellationError:
            return .connectionFailed(url: url, reason: "the read was cancelled")
        default:
            return classifyByDescription(error)
        }
    }

    private func classify(_ error: HTTPClientError) -> KubeletReaderError {
        switch error {
        case .deadlineExceeded, .readTimeout, .connectTimeout, .tlsHandshakeTimeout, .getConnectionFromPoolTimeout,
            .writeTimeout:
            return .timeout(url: url, seconds: timeoutSeconds)
        case .remoteConnectionClosed:
            return .connectionFailed(
                url: url, reason: "the kubelet closed the connection before a complete answer (an https port read as http?)")
        case .bodyLengthMismatch:
            return .connectionFailed(url: url, reason: "the body ended before its Content-Length")
        case .cancelled:
            return .connectionFailed(url: url, reason: "the request was cancelled")
        default:
            return .connectionFailed(url: url, reason: "\(error)")
        }
    }

    private func classify(errno code: Int32, description: String) -> KubeletReaderError {
        switch code {
        case ECONNREFUSED:
            return .connectionRefused(url: url)
        case ETIMEDOUT:
            return .timeout(url: url, seconds: timeoutSeconds)
        default:
            return .connectionFailed(url: url, reason: description)
        }
    }

    /// NIOPosix's `NIOConnectionError` (one failure per address tried) is not visible from here
    /// without depending on NIOPosix; its description lists the underlying errno text.
    private func classifyByDescription(_ error: any Error) -> KubeletReaderError {
        let text = "\(error)"
        if text.contains("Connection refused") || text.contains("ECONNREFUSED") {
            return .connectionRefused(url: url)
        }
        return .connectionFailed(url: url, reason: text)
    }

    private func describe(_ error: NIOSSLError) -> String {
        switch error {
        case .handshakeFailed(let boringError):
            return describe(boringError)
        case .uncleanShutdown:
            return "the server closed the connection during the handshake"
        default:
            return "\(error)"
        }
    }

    /// BoringSSL's error strings name the reason in capitals (`CERTIFICATE_VERIFY_FAILED`);
    /// the common ones get a hint, all keep the original text.
    private func describe(_ error: BoringSSLError) -> String {
        let text = "\(error)"
        let hints: [(String, String)] = [
            ("CERTIFICATE_VERIFY_FAILED", "the kubelet's certificate is not signed by a trusted CA (check --kubelet.ca-file)"),
            ("WRONG_VERSION_NUMBER", "the server does not speak TLS (a plain http port?)"),
            ("UNSUPPORTED_PROTOCOL", "no TLS version in common (TLS 1.2 is the minimum)"),
            ("TLSV1_ALERT", "the server refused the handshake"),
            ("SSLV3_ALERT", "the server refused the handshake"),
        ]
        if let hint = hints.first(where: { text.contains($0.0) })?.1 {
            return "\(hint): \(text)"
        }
        return text
    }
}
