import Foundation

/// How the fake kubelet answers `GET /pods`.
public enum FakeKubeletMode: Sendable, Equatable {
    /// 200 with the scenario's PodList body.
    case ok
    /// 401 with a `Status` JSON body (message "Unauthorized"), whatever the token.
    case unauthorized
    /// 403 with the kubelet's own plain-text body naming the user and the missing permission.
    case forbidden
    /// 500 with a `Status` JSON body.
    case serverError
    /// Waits this long, then answers 200 with the body.
    case slowHead(Duration)
    /// Sends the head and half the body, waits this long, then sends the rest.
    case slowBody(Duration)
    /// Sends the head, then the body 16 bytes at a time with this pause between pieces: never
    /// silent long enough for a read timeout, yet endlessly slow.
    case trickle(Duration)
    /// 200 with `Content-Type: application/json` and a body that is not JSON.
    case garbage
    /// 200 with the first half of the body and a `Content-Length` that matches the half:
    /// valid HTTP, truncated JSON.
    case truncated
    /// 200 announcing the full length, then the connection is closed after half the body.
    case droppedMidBody
    /// 200 with a body of `bytes` bytes streamed in 64 KiB chunks (a valid, empty PodList padded
    /// with spaces), announced with `Content-Length` or sent chunked. Sending stops when the
    /// client goes away.
    case huge(bytes: Int, declaresLength: Bool)

    /// Parses a `--mode-file` line: `ok`, `401`, `403`, `500`, `slow [seconds]` (default 30),
    /// `slow-body [seconds]`, `trickle [milliseconds]` (default 100), `garbage`, `truncated`, `dropped`, `huge [bytes] [chunked]`
    /// (default 100 MB with a Content-Length). nil for anything else.
    public init?(modeLine: String) {
        let words = modeLine.split(whereSeparator: \.isWhitespace).map(String.init)
        guard let word = words.first?.lowercased() else {
            self = .ok
            return
        }
        let number = words.dropFirst().first.flatMap { Double($0) }
        switch word {
        case "ok", "200": self = .ok
        case "401", "unauthorized": self = .unauthorized
        case "403", "forbidden": self = .forbidden
        case "500", "error": self = .serverError
        case "slow": self = .slowHead(.milliseconds(Int64((number ?? 30) * 1000)))
        case "slow-body": self = .slowBody(.milliseconds(Int64((number ?? 30) * 1000)))
        case "trickle": self = .trickle(.milliseconds(Int64(number ?? 100)))
        case "garbage": self = .garbage
        case "truncated": self = .truncated
        case "dropped": self = .droppedMidBody
        case "huge":
            self = .huge(bytes: Int(number ?? 100_000_000), declaresLength: !words.contains("chunked"))
        default: return nil
        }
    }
}

/// What the fake kubelet serves right now.
public struct FakeKubeletScenario: Sendable, Equatable {
    public var mode: FakeKubeletMode
    /// The `/pods` body for 200 answers (usually from ``KubeletPodListEncoder``).
    public var podListBody: [UInt8]
    /// When set, a request without `Authorization: Bearer <token>` gets 401 (checked before `mode`).
    public var requiredToken: String?

    public init(mode: FakeKubeletMode = .ok, podListBody: [UInt8] = KubeletPodListEncoder.encode([]), requiredToken: String? = nil) {
        self.mode = mode
        self.podListBody = podListBody
        self.requiredToken = requiredToken
    }
}

/// PEM files for serving HTTPS.
public struct FakeKubeletTLS: Sendable, Equatable {
    public var certificateChainPath: String
    public var privateKeyPath: String

    public init(certificateChainPath: String, privateKeyPath: String) {
        self.certificateChainPath = certificateChainPath
        self.privateKeyPath = privateKeyPath
    }
}

/// One request the fake kubelet received.
public struct FakeKubeletRequest: Sendable, Equatable {
    public var method: String
    public var uri: String
    /// The `Authorization` header as sent, e.g. `Bearer abc`; nil when absent.
    public var authorization: String?
}
