import CLibPQ

/// A failure reported by libpq or the server: the SQLSTATE when the server gave one, and the message.
///
/// The message is PostgreSQL's own text: it goes to the log through ``StoreError``, never to API clients.
struct PostgresError: Error, CustomStringConvertible {
    /// The five-character SQLSTATE (`23505` for a unique violation, `08006` for a lost connection, …); `nil` when
    /// libpq failed before the server answered.
    var sqlState: String?
    var message: String
    /// The connection is unusable (lost, refused, reset failed): the next operation reconnects.
    var isConnectionFailure = false
    /// The input cannot be stored as it is (text with NUL), found before anything was sent.
    var isInvalidInput = false

    init(sqlState: String?, message: String, isConnectionFailure: Bool = false, isInvalidInput: Bool = false) {
        self.sqlState = sqlState
        self.message = message
        self.isConnectionFailure = isConnectionFailure
        self.isInvalidInput = isInvalidInput
    }

    /// The error of a failed result (`PQresultErrorField`), or of the connection when there is no result.
    init(result: OpaquePointer?, connection: OpaquePointer) {
        let connectionBad = PQstatus(connection) != CONNECTION_OK
        guard let result else {
            self.init(
                sqlState: nil, message: Self.text(PQerrorMessage(connection)) ?? "no result from libpq",
                isConnectionFailure: connectionBad)
            return
        }
        let state = Self.text(PQresultErrorField(result, CLIBPQ_DIAG_SQLSTATE))
        let message = Self.text(PQresultErrorMessage(result)) ?? Self.text(PQerrorMessage(connection)) ?? "unknown error"
        self.init(
            sqlState: state, message: message,
            isConnectionFailure: connectionBad || state.map(Self.isConnectionState) ?? false)
    }

    var description: String {
        let trimmed = message.trimmingTrailingNewlines()
        return sqlState.map { "\(trimmed) (SQLSTATE \($0))" } ?? trimmed
    }

    /// SQLSTATEs saying the connection or the server went away: class 08 (connection exception) and the
    /// shutdown codes of class 57 (`57P01` admin shutdown, `57P02` crash shutdown, `57P03` cannot connect now).
    static func isConnectionState(_ state: String) -> Bool {
        state.hasPrefix("08") || state == "57P01" || state == "57P02" || state == "57P03"
    }

    static func text(_ pointer: UnsafePointer<CChar>?) -> String? {
        guard let pointer else { return nil }
        let text = String(cString: pointer)
        return text.isEmpty ? nil : text
    }
}

extension String {
    func trimmingTrailingNewlines() -> String {
        var text = Substring(self)
        while let last = text.last, last.isNewline || last == " " { text = text.dropLast() }
        return String(text)
    }
}
