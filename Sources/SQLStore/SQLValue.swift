/// A value bound to a statement parameter, in one of the types the schema uses.
public enum SQLValue: Sendable {
    /// A 64-bit integer.
    case integer(Int64)
    /// UTF-8 text.
    case text(String)
    /// Raw bytes: a `BLOB` in SQLite, a `bytea` in PostgreSQL.
    case bytes([UInt8])
    /// SQL `NULL`.
    case null

    /// `NULL` for `nil`: how optional columns (`updated_at`, `errors`, `revoked_at`) are written.
    @inlinable
    public static func integer(orNull value: Int64?) -> SQLValue {
        value.map { .integer($0) } ?? .null
    }

    /// `NULL` for `nil`.
    @inlinable
    public static func text(orNull value: String?) -> SQLValue {
        value.map { .text($0) } ?? .null
    }
}
