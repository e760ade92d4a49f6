/// A value bound to a statement parameter, in one of the storage classes the schema uses.
enum SQLiteValue {
    case integer(Int64)
    case text(String)
    case blob([UInt8])
    case null

    /// `NULL` for `nil`: how optional columns (`updated_at`, `errors`, `revoked_at`) are written.
    static func integer(orNull value: Int64?) -> SQLiteValue {
        value.map { .integer($0) } ?? .null
    }

    /// `NULL` for `nil`.
    static func text(orNull value: String?) -> SQLiteValue {
        value.map { .text($0) } ?? .null
    }
}
