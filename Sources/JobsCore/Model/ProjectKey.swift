/// A project's public key: exactly 20 characters of `[A-Za-z0-9]`.
public struct ProjectKey: Hashable, Sendable, CustomStringConvertible {
    /// The number of characters of every project key.
    public static let length = 20

    /// The key's 20 characters.
    public let rawValue: String

    /// Accepts `text` only when it has the shape of a project key.
    public init?(_ text: String) {
        var count = 0
        for byte in text.utf8 {
            guard Self.isAlphanumeric(byte) else { return nil }
            count += 1
        }
        guard count == Self.length else { return nil }
        rawValue = text
    }

    /// The key itself.
    public var description: String { rawValue }

    /// A new random key, drawn from the system's secure generator.
    public static func random() -> ProjectKey {
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".utf8)
        let bytes = (0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] }
        return ProjectKey(String(decoding: bytes, as: UTF8.self))!
    }

    static func isAlphanumeric(_ byte: UInt8) -> Bool {
        (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A)
    }
}
