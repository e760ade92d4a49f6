/// An `Idempotency-Key` request header (draft-ietf-httpapi-idempotency-key-header): 1–255 printable ASCII
/// characters, bare or as the draft's quoted string (`"…"`, the same key without its quotes).
struct IdempotencyKey: Sendable, Equatable {
    static let maximumLength = 255

    /// The key, without quotes.
    let value: String

    /// The key of a request's `Idempotency-Key` headers; `nil` when it has none. Throws 400 for an empty, too long
    /// or non-printable value, or for two headers.
    init?(headers: [String]) throws(APIError) {
        guard let header = headers.first else { return nil }
        guard headers.count == 1 else {
            throw APIError(status: 400, message: "Invalid Idempotency-Key: sent more than once")
        }
        var bytes = Substring(header).utf8[...]
        if bytes.count >= 2, bytes.first == UInt8(ascii: "\""), bytes.last == UInt8(ascii: "\"") {
            bytes = bytes.dropFirst().dropLast()
            guard !bytes.contains(UInt8(ascii: "\"")), !bytes.contains(UInt8(ascii: "\\")) else {
                throw APIError(status: 400, message: "Invalid Idempotency-Key: malformed quoted string")
            }
        }
        guard !bytes.isEmpty else { throw APIError(status: 400, message: "Invalid Idempotency-Key: empty") }
        guard bytes.count <= Self.maximumLength else {
            throw APIError(
                status: 400, message: "Invalid Idempotency-Key: longer than \(Self.maximumLength) characters")
        }
        guard bytes.allSatisfy({ $0 >= 0x20 && $0 < 0x7F }) else {
            throw APIError(status: 400, message: "Invalid Idempotency-Key: only printable ASCII characters are allowed")
        }
        value = String(Substring(bytes))
    }
}
