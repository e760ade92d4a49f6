import CSQLite3
import JobsCore
import SQLStore

extension SQLiteError: SQLEngineFailure {
    /// Whether a uniqueness rule (a `UNIQUE` index or the primary key) refused the change.
    public var isUniquenessViolation: Bool {
        code == CSQLITE3_CONSTRAINT_UNIQUE || code == CSQLITE3_CONSTRAINT_PRIMARYKEY
    }

    /// Whether a `REFERENCES` clause refused the change: the row it points to does not exist.
    public var isForeignKeyViolation: Bool { code == CSQLITE3_CONSTRAINT_FOREIGNKEY }

    /// The error classified for the API, which answers each kind differently (503 for `.unavailable`, 500 for
    /// `.internal`, …). `operation` says what was being done; the message keeps SQLite's code and text for the
    /// log and is never shown to clients.
    func storeError(while operation: String) -> StoreError {
        StoreError(kind, "SQLite failed while \(operation): \(description)")
    }

    /// How the API should treat this failure.
    var kind: StoreError.Kind {
        switch primaryCode {
        // Conditions that pass: another writer (past the busy timeout), a full disk, a store made read-only
        // or unreachable for a while. The next request may well succeed, so the API answers 503.
        case SQLITE_BUSY, SQLITE_LOCKED, SQLITE_FULL, SQLITE_READONLY, SQLITE_IOERR, SQLITE_CANTOPEN,
            SQLITE_PROTOCOL:
            .unavailable
        case SQLITE_CONSTRAINT:
            isUniquenessViolation ? .conflict : .invalid
        // A value larger than SQLite accepts (SQLITE_MAX_LENGTH) is the input's fault, not the store's.
        case SQLITE_TOOBIG:
            .invalid
        default:
            .internal
        }
    }
}

extension SQLiteConnection {
    /// What every call of the connection throws.
    public typealias Failure = SQLiteError
}
