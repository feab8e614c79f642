import CMicroHTTPDShim
import Glibc
import Synchronization

/// Checks `Authorization: Basic` credentials against `basic_auth_users` bcrypt hashes.
///
/// bcrypt is deliberately slow (tens of milliseconds at cost 10), and Prometheus sends the same
/// credentials on every scrape, so outcomes are cached, as exporter-toolkit does: keyed by an
/// HMAC (random per-process key) of user and password, never by the password itself. A cache hit
/// costs one header lookup, a base64 decode on the stack and one HMAC-SHA-256: no allocation.
/// Misses are checked one at a time (bcrypt is CPU-bound; two at once only slow both), an unknown
/// user is checked against a dummy hash so timing does not reveal which users exist, and the
/// hash comparison is constant-time (in the C shim).
final class BasicAuthenticator: Sendable {
    /// Outcomes remembered; when full the cache starts over (bounded memory under credential spraying).
    static let cacheCapacity = 256
    /// A cost-10 bcrypt hash of a random password nobody knows.
    private static let dummyHash = Array("$2b$10$53lqC3JKOLijGLKKOY9/U.7jyW5kaYAqvWuD3GbrnQijC9kp4rKKy".utf8CString)

    private struct User {
        var name: [UInt8]
        var hash: [CChar]
    }

    private struct State {
        var users: [User] = []
        var cache: [CredentialDigest: Bool] = [:]
        /// Bumped on every change of users, so a check that straddles a reload is not cached.
        var generation = 0
    }

    private let state = Mutex(State())
    private let bcrypt = Mutex(())
    private let key: [UInt8]
    private let enabled = Atomic<Bool>(false)

    init() {
        // The system generator (getrandom) is cryptographically secure.
        var generator = SystemRandomNumberGenerator()
        key = (0..<32).map { _ in generator.next() }
    }

    /// Whether requests need credentials at all (some users are configured).
    var isEnabled: Bool { enabled.load(ordering: .acquiring) }

    func replaceUsers(_ users: [BasicAuthUser]) {
        state.withLock { state in
            state.users = users.map { User(name: Array($0.name.utf8), hash: Array($0.passwordHash.utf8CString)) }
            state.cache.removeAll()
            state.generation += 1
        }
        enabled.store(!users.isEmpty, ordering: .releasing)
    }

    /// Whether the `Authorization` header value (a C string, or nil when absent) names a configured
    /// user with the right password.
    func authorize(_ header: UnsafePointer<CChar>?) -> Bool {
        guard let header else { return false }
        let length = strnlen(header, BasicAuthHeader.maxEncodedLength + 16)
        let value = UnsafeBufferPointer(start: UnsafeRawPointer(header).assumingMemoryBound(to: UInt8.self), count: length)
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: BasicAuthHeader.maxDecodedLength) { buffer in
            defer { buffer.update(repeating: 0) }
            guard let (decodedLength, colon) = BasicAuthHeader.decode(value, into: buffer) else { return false }
            let user = UnsafeBufferPointer(rebasing: buffer[..<colon])
            let password = UnsafeBufferPointer(rebasing: buffer[(colon + 1)..<decodedLength])
            return check(user: user, password: password)
        }
    }

    private func check(user: UnsafeBufferPointer<UInt8>, password: UnsafeBufferPointer<UInt8>) -> Bool {
        let digest = digest(user: user, password: password)
        if let cached = state.withLock({ $0.cache[digest] }) { return cached }

        let (hash, known, generation) = state.withLock { state in
            if let match = state.users.first(where: { $0.name.elementsEqual(user) }) {
                return (match.hash, true, state.generation)
            }
            return (Self.dummyHash, false, state.generation)
        }
        let matches = bcrypt.withLock { _ in
            hash.withUnsafeBufferPointer { crisync_password_matches(password.baseAddress, password.count, $0.baseAddress) == 1 }
        }
        let authorized = known && matches
        state.withLock { state in
            guard state.generation == generation else { return }
            if state.cache.count >= Self.cacheCapacity { state.cache.removeAll(keepingCapacity: true) }
            state.cache[digest] = authorized
        }
        return authorized
    }

    /// HMAC-SHA-256(key, len(user) ‖ user ‖ password): unambiguous, and useless to whoever reads memory.
    private func digest(user: UnsafeBufferPointer<UInt8>, password: UnsafeBufferPointer<UInt8>) -> CredentialDigest {
        var digest = CredentialDigest()
        var userLength = UInt64(user.count).littleEndian
        withUnsafeBytes(of: &userLength) { lengthBytes in
            key.withUnsafeBufferPointer { key in
                withUnsafeMutableBytes(of: &digest) { out in
                    _ = crisync_hmac_sha256(
                        key.baseAddress, key.count, lengthBytes.baseAddress!.assumingMemoryBound(to: UInt8.self), lengthBytes.count,
                        user.baseAddress, user.count, password.baseAddress, password.count,
                        out.baseAddress!.assumingMemoryBound(to: UInt8.self))
                }
            }
        }
        return digest
    }
}

/// 32 bytes of HMAC, hashable without allocating.
struct CredentialDigest: Hashable, Sendable {
    var words: (UInt64, UInt64, UInt64, UInt64) = (0, 0, 0, 0)

    static func == (lhs: CredentialDigest, rhs: CredentialDigest) -> Bool {
        lhs.words.0 == rhs.words.0 && lhs.words.1 == rhs.words.1 && lhs.words.2 == rhs.words.2 && lhs.words.3 == rhs.words.3
    }

    func hash(into hasher: inout Hasher) {
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }
}
