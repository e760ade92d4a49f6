import Crypto

/// A webhook's signing secret: 32 random bytes, shown to the operator once as `whsec_` and their base64, as the
/// Standard Webhooks specification 1.0 writes secrets.
public struct WebhookSecret: Sendable, Equatable {
    /// The key of the HMAC.
    public var bytes: [UInt8]

    /// The secret with these bytes.
    public init(bytes: [UInt8]) {
        self.bytes = bytes
    }

    /// A new secret of 32 bytes from the system's secure random generator.
    public static func random() -> WebhookSecret {
        WebhookSecret(bytes: SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) })
    }

    /// The bytes in base64: how the store keeps them.
    public var base64: String { Base64.encode(bytes) }

    /// `whsec_` and the base64 of the bytes: what the operator hands to the receiver.
    public var text: String { "whsec_" + base64 }

    /// The secret whose ``base64`` is `base64`, or `nil`.
    public init?(base64: String) {
        guard let bytes = Base64.decode(base64), !bytes.isEmpty else { return nil }
        self.bytes = bytes
    }

    /// The signature of one attempt, Standard Webhooks 1.0: the base64 of HMAC-SHA256 over
    /// `id.timestamp.body` with this secret, without the `v1,` prefix.
    public func signature(eventID: String, timestamp: Int64, body: String) -> String {
        let key = SymmetricKey(data: bytes)
        var hmac = HMAC<SHA256>(key: key)
        hmac.update(data: Array("\(eventID).\(timestamp).".utf8))
        hmac.update(data: Array(body.utf8))
        return Base64.encode(Array(hmac.finalize()))
    }

    /// The `webhook-signature` header of one attempt: `v1,<signature>` for each secret, separated by spaces.
    public static func signatureHeader(
        secrets: [WebhookSecret], eventID: String, timestamp: Int64, body: String
    ) -> String {
        secrets.map { "v1," + $0.signature(eventID: eventID, timestamp: timestamp, body: body) }
            .joined(separator: " ")
    }
}

/// Standard base64 (RFC 4648 section 4, with padding).
enum Base64 {
    static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func encode(_ bytes: [UInt8]) -> String {
        var output: [UInt8] = []
        output.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let b0 = bytes[index]
            let b1 = index + 1 < bytes.count ? bytes[index + 1] : 0
            let b2 = index + 2 < bytes.count ? bytes[index + 2] : 0
            output.append(alphabet[Int(b0 >> 2)])
            output.append(alphabet[Int((b0 & 0x03) << 4 | b1 >> 4)])
            output.append(index + 1 < bytes.count ? alphabet[Int((b1 & 0x0F) << 2 | b2 >> 6)] : UInt8(ascii: "="))
            output.append(index + 2 < bytes.count ? alphabet[Int(b2 & 0x3F)] : UInt8(ascii: "="))
            index += 3
        }
        return String(decoding: output, as: UTF8.self)
    }

    static func decode(_ text: String) -> [UInt8]? {
        var values: [UInt8] = []
        for character in text.utf8 where character != UInt8(ascii: "=") {
            guard let value = alphabet.firstIndex(of: character) else { return nil }
            values.append(UInt8(value))
        }
        guard values.count % 4 != 1 else { return nil }
        var output: [UInt8] = []
        var index = 0
        while index < values.count {
            let chunk = values[index..<min(index + 4, values.count)].map { $0 } + [0, 0, 0, 0]
            output.append(chunk[0] << 2 | chunk[1] >> 4)
            if index + 2 < values.count { output.append(chunk[1] << 4 | chunk[2] >> 2) }
            if index + 3 < values.count { output.append(chunk[2] << 6 | chunk[3]) }
            index += 4
        }
        return output
    }
}
