import Crypto

/// The SHA-256 of an API key: all the store ever keeps of it.
public struct APIKeyHash: Hashable, Sendable {
    /// The 32 bytes of the digest.
    public let bytes: [UInt8]

    /// The hash whose digest is `bytes`; `nil` unless they are 32.
    public init?(bytes: [UInt8]) {
        guard bytes.count == 32 else { return nil }
        self.bytes = bytes
    }

    /// Hashes a key as presented by a client.
    public init(of key: some StringProtocol) {
        bytes = Array(SHA256.hash(data: Array(key.utf8)))
    }
}

/// A secret organization API key, as generated: `jobs_` followed by 40 characters of `[A-Za-z0-9]`
/// (about 238 bits from the system's secure generator).
///
/// The recognisable prefix lets secret scanners find leaked keys. The key is shown once, when created; the store
/// keeps only its ``APIKeyHash`` and its ``hint``.
public struct APIKey: Sendable {
    /// What every key starts with.
    public static let prefix = "jobs_"
    static let randomLength = 40

    /// The key itself, as the client presents it.
    public let secret: String

    /// A new random key.
    public static func generate() -> APIKey {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)
        let random = (0..<randomLength).map { _ in
            alphabet[Int.random(in: 0..<alphabet.count, using: &generator)]
        }
        return APIKey(secret: prefix + String(decoding: random, as: UTF8.self))
    }

    init(secret: String) { self.secret = secret }

    /// What the store keeps of the key.
    public var hash: APIKeyHash { APIKeyHash(of: secret) }

    /// The prefix and the next four characters: enough to tell keys apart in a list, useless to an attacker.
    public var hint: String { String(secret.prefix(Self.prefix.count + 4)) + "…" }
}

/// What a request's `Authorization` header holds, read as RFC 6750 says.
enum BearerCredentials: Equatable, Sendable {
    /// No header at all.
    case missing
    /// A header of another scheme, or `Bearer` without a token.
    case malformed
    /// A bearer token (not yet checked against the store).
    case token(Substring)

    /// Longest token worth hashing: anything longer cannot be one of ours.
    static let maximumTokenLength = 512

    /// Reads an `Authorization` header value; `nil` is a missing header.
    init(header: String?) {
        guard let header else { self = .missing; return }
        let utf8 = header.utf8
        // Scheme: "Bearer", any case, then one or more spaces.
        let scheme = "bearer".utf8
        guard utf8.count > scheme.count,
            zip(utf8.prefix(scheme.count), scheme).allSatisfy({ $0 | 0x20 == $1 })
        else {
            self = header.utf8.allSatisfy({ $0 == UInt8(ascii: " ") }) ? .missing : .malformed
            return
        }
        let rest = header.utf8.dropFirst(scheme.count)
        guard rest.first == UInt8(ascii: " ") else { self = .malformed; return }
        let token = Substring(rest.drop(while: { $0 == UInt8(ascii: " ") }))
        // Trailing spaces are tolerated; anything else outside b64token (a space inside included) makes the token
        // invalid, not missing. Only the trailing ones go: cutting at the first space accepted `Bearer <key> x `.
        var trimmed = token
        while trimmed.utf8.last == UInt8(ascii: " ") { trimmed = Substring(trimmed.utf8.dropLast()) }
        self = trimmed.isEmpty ? .malformed : .token(trimmed)
    }

    /// Whether `token` has the RFC 6750 `b64token` shape and a plausible length.
    static func isWellFormed(_ token: Substring) -> Bool {
        guard token.utf8.count <= maximumTokenLength else { return false }
        // A header's text is contiguous: check its bytes in place, which costs a fraction of walking the view.
        return token.utf8.withContiguousStorageIfAvailable(isWellFormed) ?? isWellFormed(Array(token.utf8))
    }

    private static func isWellFormed<Bytes: Sequence<UInt8>>(_ token: Bytes) -> Bool {
        var seenPadding = false
        for byte in token {
            if byte == UInt8(ascii: "=") { seenPadding = true; continue }
            guard !seenPadding else { return false }
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"),
                UInt8(ascii: "~"), UInt8(ascii: "+"), UInt8(ascii: "/"):
                continue
            default:
                return false
            }
        }
        return true
    }
}
