import CSQLite3

extension SQLiteStatement {
    /// Runs `body` with the column's text as SQLite holds it: its bytes, not checked for UTF-8, NUL included,
    /// no copy. The same bytes ``text(at:)`` decodes; empty for `NULL`. The pointer is valid only during `body`
    /// (SQLite frees it at the next step, reset or conversion of the column).
    public func withTextBytes<Result>(
        at column: Int32, _ body: (UnsafeBufferPointer<UInt8>) throws -> Result
    ) rethrows -> Result {
        // `sqlite3_column_text` first, then `sqlite3_column_bytes`, as in ``text(at:)``.
        guard let characters = sqlite3_column_text(handle, column) else {
            return try body(UnsafeBufferPointer(start: nil, count: 0))
        }
        let count = Int(sqlite3_column_bytes(handle, column))
        return try body(UnsafeBufferPointer(start: characters, count: count))
    }
}
