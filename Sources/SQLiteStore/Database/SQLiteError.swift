import CSQLite3

/// A failure reported by SQLite: its extended result code and the text of `sqlite3_errmsg` at the moment it
/// happened.
///
/// It never leaves this module: ``SQLiteJobStore`` turns it into a `StoreError` at its boundary (see
/// `SQLiteError+StoreError.swift`), keeping the code and text in the message for the log.
public struct SQLiteError: Error, CustomStringConvertible {
    /// The extended result code (`SQLITE_CONSTRAINT_UNIQUE`, `SQLITE_BUSY_SNAPSHOT`, …).
    var code: Int32
    /// SQLite's own explanation, in English.
    var message: String

    init(code: Int32, message: String) {
        self.code = code
        self.message = message
    }

    /// The error the connection `database` reports now. Read it right after the failing call: the next call on
    /// the connection replaces it.
    init(code: Int32, database: OpaquePointer?) {
        self.code = code
        if let database, let text = sqlite3_errmsg(database) {
            message = String(cString: text)
        } else {
            // Without a connection (open ran out of memory) only the generic text of the code is known.
            message = String(cString: sqlite3_errstr(code))
        }
    }

    /// The primary result code: the low byte of the extended one (`SQLITE_CONSTRAINT` for
    /// `SQLITE_CONSTRAINT_UNIQUE`).
    var primaryCode: Int32 { code & 0xFF }

    public var description: String {
        "\(Self.name(ofPrimaryCode: primaryCode)) (extended code \(code)): \(message)"
    }

    /// The C name of a primary result code, for logs; SQLite has no function that gives it.
    static func name(ofPrimaryCode code: Int32) -> String {
        switch code {
        case SQLITE_OK: "SQLITE_OK"
        case SQLITE_ERROR: "SQLITE_ERROR"
        case SQLITE_INTERNAL: "SQLITE_INTERNAL"
        case SQLITE_PERM: "SQLITE_PERM"
        case SQLITE_ABORT: "SQLITE_ABORT"
        case SQLITE_BUSY: "SQLITE_BUSY"
        case SQLITE_LOCKED: "SQLITE_LOCKED"
        case SQLITE_NOMEM: "SQLITE_NOMEM"
        case SQLITE_READONLY: "SQLITE_READONLY"
        case SQLITE_INTERRUPT: "SQLITE_INTERRUPT"
        case SQLITE_IOERR: "SQLITE_IOERR"
        case SQLITE_CORRUPT: "SQLITE_CORRUPT"
        case SQLITE_NOTFOUND: "SQLITE_NOTFOUND"
        case SQLITE_FULL: "SQLITE_FULL"
        case SQLITE_CANTOPEN: "SQLITE_CANTOPEN"
        case SQLITE_PROTOCOL: "SQLITE_PROTOCOL"
        case SQLITE_EMPTY: "SQLITE_EMPTY"
        case SQLITE_SCHEMA: "SQLITE_SCHEMA"
        case SQLITE_TOOBIG: "SQLITE_TOOBIG"
        case SQLITE_CONSTRAINT: "SQLITE_CONSTRAINT"
        case SQLITE_MISMATCH: "SQLITE_MISMATCH"
        case SQLITE_MISUSE: "SQLITE_MISUSE"
        case SQLITE_NOLFS: "SQLITE_NOLFS"
        case SQLITE_AUTH: "SQLITE_AUTH"
        case SQLITE_FORMAT: "SQLITE_FORMAT"
        case SQLITE_RANGE: "SQLITE_RANGE"
        case SQLITE_NOTADB: "SQLITE_NOTADB"
        case SQLITE_NOTICE: "SQLITE_NOTICE"
        case SQLITE_WARNING: "SQLITE_WARNING"
        case SQLITE_ROW: "SQLITE_ROW"
        case SQLITE_DONE: "SQLITE_DONE"
        default: "SQLite result code \(code)"
        }
    }
}
