import SQLStore

extension SQLValue {
    /// The text the server receives, or `nil` for SQL `NULL`; bytes are sent as `\x` followed by hex digits,
    /// which `bytea` reads in text form. Throws ``PostgresError`` (invalid input) for text holding NUL, which
    /// PostgreSQL's text cannot store (and a C string would silently cut).
    func serverText() throws -> String? {
        switch self {
        case .integer(let value):
            return String(value)
        case .text(let value):
            guard !value.utf8.contains(0) else {
                throw PostgresError(sqlState: nil, message: "text containing NUL cannot be stored", isInvalidInput: true)
            }
            return value
        case .bytes(let bytes):
            let hex = Array("0123456789abcdef".utf8)
            var text: [UInt8] = Array(#"\x"#.utf8)
            text.reserveCapacity(2 + bytes.count * 2)
            for byte in bytes {
                text.append(hex[Int(byte >> 4)])
                text.append(hex[Int(byte & 0x0F)])
            }
            return String(decoding: text, as: UTF8.self)
        case .null:
            return nil
        }
    }
}
