import CSQLite3
import SQLStore

/// One prepared statement (`sqlite3_stmt *`), finalized when the object goes away.
///
/// Statements are owned by their ``SQLiteConnection``, which caches them and resets them after every use (see
/// ``SQLiteConnection/withStatement(_:_:)``): a statement is never left mid-step holding a read snapshot or a
/// lock, whatever path the use took. Public only as the row type of the shared store (``SQLJobStore``).
public final class SQLiteStatement: SQLRow {
    /// The SQL text the statement was prepared from: its key in the connection's cache.
    let sql: String
    /// Set while a caller steps through the statement, so that a nested use of the same SQL prepares its own
    /// copy instead of resetting this one under the outer caller.
    var isInUse = false
    /// Whether the statement leaves the database as it is (`sqlite3_stmt_readonly`). Transaction control
    /// (`BEGIN`, `COMMIT`) counts as read-only: it writes nothing by itself.
    let isReadOnly: Bool

    /// The raw statement; internal so that extensions in other files (``SQLiteStatement/withTextBytes(at:_:)``)
    /// can read columns without copies.
    let handle: OpaquePointer
    /// The connection, only to read `sqlite3_errmsg` right after a failure. Not owned: the connection outlives
    /// its statements (it finalizes them before it closes).
    private let database: OpaquePointer

    /// Compiles `sql`. `persistent` tells SQLite that the statement will be kept and reused (the corresponding
    /// C function is `sqlite3_prepare_v3` with `SQLITE_PREPARE_PERSISTENT`).
    init(sql: String, database: OpaquePointer, persistent: Bool) throws {
        var statement: OpaquePointer?
        let flags = persistent ? UInt32(SQLITE_PREPARE_PERSISTENT) : 0
        let code = sqlite3_prepare_v3(database, sql, -1, flags, &statement, nil)
        guard code == SQLITE_OK else {
            // On failure SQLite sets *ppStmt to NULL: there is nothing to finalize.
            throw SQLiteError(code: code, database: database)
        }
        guard let statement else {
            // SQL made only of whitespace or comments compiles to no statement at all.
            throw SQLiteError(code: SQLITE_MISUSE, message: "no SQL statement in: \(sql)")
        }
        self.sql = sql
        self.handle = statement
        self.database = database
        self.isReadOnly = sqlite3_stmt_readonly(statement) != 0
    }

    deinit {
        sqlite3_finalize(handle)
    }

    // MARK: Parameters

    /// Binds `values` to parameters `?1`, `?2`, … in order.
    func bind(_ values: [SQLValue]) throws {
        for (offset, value) in values.enumerated() {
            // Parameter indexes are 1-based; SQLite refuses an index past the statement's own parameters with
            // SQLITE_RANGE rather than anything worse, so truncation cannot harm here.
            let index = Int32(truncatingIfNeeded: offset + 1)
            let code: Int32
            switch value {
            case .integer(let integer):
                code = sqlite3_bind_int64(handle, index, integer)
            case .text(let text):
                code = bind(text: text, at: index)
            case .bytes(let bytes):
                code = bind(blob: bytes, at: index)
            case .null:
                code = sqlite3_bind_null(handle, index)
            }
            guard code == SQLITE_OK else { throw SQLiteError(code: code, database: database) }
        }
    }

    private func bind(text: String, at index: Int32) -> Int32 {
        var text = text
        // The UTF-8 bytes with their exact length: `withCString` would cut the text at an embedded NUL.
        // SQLITE_TRANSIENT makes SQLite copy them before the buffer goes away.
        return text.withUTF8 { bytes in
            guard let base = bytes.baseAddress, !bytes.isEmpty else {
                // A NULL pointer would bind SQL NULL, not the empty text.
                return sqlite3_bind_text64(handle, index, "", 0, csqlite3_transient(), UInt8(SQLITE_UTF8))
            }
            return base.withMemoryRebound(to: CChar.self, capacity: bytes.count) { characters in
                sqlite3_bind_text64(
                    handle, index, characters, UInt64(bytes.count), csqlite3_transient(), UInt8(SQLITE_UTF8))
            }
        }
    }

    private func bind(blob bytes: [UInt8], at index: Int32) -> Int32 {
        bytes.withUnsafeBytes { raw in
            guard let base = raw.baseAddress, !raw.isEmpty else {
                // As with text: a NULL pointer would bind SQL NULL, not an empty blob.
                return sqlite3_bind_zeroblob(handle, index, 0)
            }
            return sqlite3_bind_blob64(handle, index, base, UInt64(raw.count), csqlite3_transient())
        }
    }

    // MARK: Stepping

    /// Runs the statement to its next row: `true` when a row is ready to read, `false` when it is done.
    /// The corresponding C function is `sqlite3_step`.
    func step() throws -> Bool {
        let code = sqlite3_step(handle)
        switch code {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default: throw SQLiteError(code: code, database: database)
        }
    }

    /// Makes the statement ready for its next use and forgets its parameters, releasing any read snapshot or
    /// lock it held. Its result repeats the last step's error, already reported, so it is not checked.
    func reset() {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
    }

    // MARK: Columns of the current row

    /// Whether the column holds SQL `NULL`.
    public func isNull(at column: Int32) -> Bool {
        sqlite3_column_type(handle, column) == SQLITE_NULL
    }

    /// The column as a 64-bit integer (0 for `NULL`).
    public func int64(at column: Int32) -> Int64 {
        sqlite3_column_int64(handle, column)
    }

    /// The column as text. Bytes that are not valid UTF-8 (a store edited by hand, a damaged page) become
    /// U+FFFD instead of stopping the process.
    public func text(at column: Int32) -> String {
        // `sqlite3_column_text` first, then `sqlite3_column_bytes`: the order SQLite documents as safe, since
        // the first call may convert the value and the second then measures the converted bytes.
        guard let characters = sqlite3_column_text(handle, column) else { return "" }
        let count = Int(sqlite3_column_bytes(handle, column))
        return String(decoding: UnsafeBufferPointer(start: characters, count: count), as: UTF8.self)
    }
}
