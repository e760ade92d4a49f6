import CLibPQ

/// A failure reported by libpq or the server: the SQLSTATE when the server gave one, and the message.
///
/// The message is PostgreSQL's own text, on one line: it goes to the log through ``StoreError``, never to API
/// clients. For a server error it is the primary message only: the `DETAIL` of a constraint violation repeats the
/// row's values (a user id), which no log line may carry.
public struct PostgresError: Error, CustomStringConvertible {
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
        let message = Self.text(PQresultErrorField(result, CLIBPQ_DIAG_MESSAGE_PRIMARY))
            ?? Self.text(PQresultErrorMessage(result)) ?? Self.text(PQerrorMessage(connection)) ?? "unknown error"
        self.init(
            sqlState: state, message: message,
            isConnectionFailure: connectionBad || state.map(Self.isConnectionState) ?? false)
    }

    public var description: String {
        let line = Self.oneLine(message)
        return sqlState.map { "\(line) (SQLSTATE \($0))" } ?? line
    }

    /// `text` on one line: libpq's messages run over several (`…failed: Connection refused\n\tIs the server
    /// running…`); each break, with the indentation around it, becomes `; `.
    static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isNewline)
            .map { line in
                var part = Substring(line)
                while let first = part.first, first == " " || first == "\t" { part = part.dropFirst() }
                while let last = part.last, last == " " || last == "\t" { part = part.dropLast() }
                return part
            }
            .filter { !$0.isEmpty }
            .joined(separator: "; ")
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
