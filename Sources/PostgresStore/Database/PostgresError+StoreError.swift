import JobsCore
import SQLStore

extension PostgresError: SQLEngineFailure {
    /// A uniqueness rule refused the change (`23505`).
    public var isUniquenessViolation: Bool { sqlState == "23505" }

    /// A `REFERENCES` clause refused the change (`23503`): the row it points to does not exist.
    public var isForeignKeyViolation: Bool { sqlState == "23503" }

    /// The error classified for the API (503 for `.unavailable`, 500 for `.internal`, …). `operation` says what
    /// was being done; the message keeps PostgreSQL's SQLSTATE and text for the log, never for clients.
    func storeError(while operation: String) -> StoreError {
        StoreError(kind, "PostgreSQL failed while \(operation): \(description)")
    }

    /// How the API should treat this failure.
    var kind: StoreError.Kind {
        if isInvalidInput { return .invalid }
        if isConnectionFailure { return .unavailable }
        guard let sqlState else { return .internal }
        switch sqlState {
        // The database does not exist: the operator has not created it (or named the wrong one).
        case "3D000":
            return .notInitialized
        // Conditions that pass: a serialization failure or deadlock (the loser may retry), too many connections
        // or another resource exhausted (class 53), the server shutting down or starting (57P0x), a lock or
        // statement timeout (55P03, 57014), a read-only standby (25006).
        case "40001", "40P01", "55P03", "57014", "25006":
            return .unavailable
        case _ where sqlState.hasPrefix("53") || sqlState.hasPrefix("57P") || sqlState.hasPrefix("08"):
            return .unavailable
        case "23505":
            return .conflict
        // Other integrity rules (foreign key, check, not null) and data exceptions (a value out of range,
        // an invalid character): the input's fault, not the store's.
        case _ where sqlState.hasPrefix("23") || sqlState.hasPrefix("22"):
            return .invalid
        default:
            return .internal
        }
    }
}

extension PostgresConnection {
    /// What every call of the connection throws.
    public typealias Failure = PostgresError
}
