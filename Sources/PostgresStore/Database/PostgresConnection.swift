import CLibPQ
import SQLStore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One libpq connection (`PGconn`), owned: closed (`PQfinish`) when released.
///
/// Not shared between threads (libpq allows a connection to be used by one thread at a time). Statements run
/// through ``execute(_:_:)`` are prepared once per connection (`PQprepare`) and then only executed
/// (`PQexecPrepared`). A connection that was lost (the server restarted, the network dropped) is reset by the next
/// call to ``execute(_:_:)`` or ``writeTransaction(_:)``; if the server is still unreachable that call throws a
/// connection failure at once, which the store reports as unavailable. Public only as the connection of the
/// shared store (``SQLJobStore``).
public final class PostgresConnection: SQLEngineConnection {

    private let handle: OpaquePointer
    /// The prepared statements of the current session: SQL text → statement name. Emptied by a reset.
    private var prepared: [String: String] = [:]
    private var preparedCount = 0
    /// Whether a transaction is open: a connection lost inside one is not silently reset until it ends.
    private var inTransaction = false
    /// When the last reconnection failed (monotonic milliseconds), and why; `nil` once connected again.
    private var lastFailedReset: Int64?
    private var lastResetError = ""
    /// How long a call waits for the server's answer before it gives the connection up; `nil` for no limit.
    private let answerTimeout: Duration?
    /// Set when a call gave up waiting: the session's state is unknown, so the next call starts a new one.
    private var abandoned = false

    /// Connects with `url` (a `postgresql://` URI or a `key=value` string). Defaults that the URL may override
    /// (``PostgresOptions`` says why): a 5-second connect timeout, TCP keepalives (idle 30 s, then every 10 s,
    /// 3 probes), `tcp_user_timeout` 30 s, application name `jobs-api`, and with `statementTimeoutMilliseconds`
    /// the session's `statement_timeout` (through `options`). The client encoding is always UTF-8.
    init(url: String, statementTimeoutMilliseconds: Int? = nil) throws {
        // With expand_dbname, the URL's own settings override the keywords before it, and later ones override it.
        var pairs: [(String, String)] = [
            ("connect_timeout", "5"),
            ("keepalives", "1"),
            ("keepalives_idle", "30"),
            ("keepalives_interval", "10"),
            ("keepalives_count", "3"),
            ("tcp_user_timeout", "30000"),
            ("fallback_application_name", "jobs-api"),
        ]
        if let statementTimeoutMilliseconds {
            pairs.append(("options", "-c statement_timeout=\(statementTimeoutMilliseconds)"))
        }
        pairs += [("dbname", url), ("client_encoding", "UTF8")]
        answerTimeout = statementTimeoutMilliseconds.map { .milliseconds($0) + PostgresOptions.answerGrace }
        let keywords = pairs.map { strdup($0.0) }
        let values = pairs.map { strdup($0.1) }
        defer {
            keywords.forEach { free($0) }
            values.forEach { free($0) }
        }
        let keywordPointers = keywords.map { UnsafePointer($0) } + [nil]
        let valuePointers = values.map { UnsafePointer($0) } + [nil]
        guard let connection = PQconnectdbParams(keywordPointers, valuePointers, 1) else {
            throw PostgresError(sqlState: nil, message: "libpq could not allocate a connection", isConnectionFailure: true)
        }
        handle = connection
        // libpq prints the server's notices on stderr by default; none of them concerns an operator.
        PQsetNoticeProcessor(connection, { _, _ in }, nil)
        guard PQstatus(connection) == CONNECTION_OK else {
            let message = PostgresError.text(PQerrorMessage(connection)) ?? "connection failed"
            // PQfinish runs in deinit; this object is abandoned with the error.
            throw PostgresError(sqlState: Self.sqlState(ofConnectionMessage: message), message: message,
                isConnectionFailure: true)
        }
    }

    deinit {
        PQfinish(handle)
    }

    /// A failed connection attempt has no result to carry a SQLSTATE; a missing database is told by its message
    /// (`database "…" does not exist`), which the server sends in English before any locale applies.
    private static func sqlState(ofConnectionMessage message: String) -> String? {
        message.contains("does not exist") && message.contains("database") ? "3D000" : nil
    }

    // MARK: Statements

    /// Runs `sql` with `parameters` ($1, $2, …) as a prepared statement of this connection and returns its rows.
    /// Throws ``PostgresError`` for any failure.
    @discardableResult
    func execute(_ sql: String, _ parameters: [SQLValue] = []) throws -> PostgresResult {
        try reconnectIfLost()
        let texts = try parameters.map { try $0.serverText() }
        let name = try statementName(for: sql, parameterCount: parameters.count)
        let copies = texts.map { $0.map { strdup($0) } ?? nil }
        defer { copies.forEach { free($0) } }
        let pointers = copies.map { $0.map { UnsafePointer($0) } }
        let sent = pointers.withUnsafeBufferPointer { buffer in
            PQsendQueryPrepared(handle, name, Int32(buffer.count), buffer.baseAddress, nil, nil, 0)
        }
        return try checked(awaitResult(sent: sent))
    }

    /// Runs `sql` as it is, with no parameters (as `PQexec` does): transaction control and schema changes. `sql`
    /// may hold several statements.
    func executeScript(_ sql: String) throws {
        try reconnectIfLost()
        _ = try checked(awaitResult(sent: PQsendQuery(handle, sql)))
    }

    /// The answer to the query just sent (`sent` is what `PQsend…` returned): the first error result, or else the
    /// last result, as `PQexec` gives. Waits at most ``answerTimeout``: a server that stopped answering (hung, or
    /// cut off by the network while the socket stays open) must not hold the calling thread; the connection is
    /// then abandoned and the call throws a connection failure. The corresponding C functions are `PQconsumeInput`,
    /// `PQisBusy` and `PQgetResult`.
    private func awaitResult(sent: Int32) throws -> OpaquePointer? {
        guard sent != 0 else { return nil }
        let deadline = answerTimeout.map { ContinuousClock.now + $0 }
        while PQisBusy(handle) != 0 {
            var waiting = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
            var timeout: Int32 = -1
            if let deadline {
                let remaining = ContinuousClock.now.duration(to: deadline)
                guard remaining > .zero else {
                    abandoned = true
                    throw PostgresError(
                        sqlState: nil,
                        message: "no answer from the server within \(answerTimeout.map(Self.describe) ?? "")",
                        isConnectionFailure: true)
                }
                let (seconds, attoseconds) = remaining.components
                timeout = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
            }
            let ready = poll(&waiting, 1, timeout)
            if ready < 0, errno != EINTR { break }
            if ready > 0, PQconsumeInput(handle) == 0 { break }
        }
        var chosen: OpaquePointer?
        while let result = PQgetResult(handle) {
            if let kept = chosen, PQresultStatus(kept) == PGRES_FATAL_ERROR {
                PQclear(result)
            } else {
                if let kept = chosen { PQclear(kept) }
                chosen = result
            }
        }
        return chosen
    }

    /// `1500 ms`.
    private static func describe(_ duration: Duration) -> String {
        let (seconds, attoseconds) = duration.components
        return "\(seconds * 1000 + attoseconds / 1_000_000_000_000_000) ms"
    }

    /// The prepared statement's name for `sql`, preparing it on first use in this session.
    private func statementName(for sql: String, parameterCount: Int) throws -> String {
        if let name = prepared[sql] { return name }
        preparedCount += 1
        let name = "jobs_\(preparedCount)"
        _ = try checked(awaitResult(sent: PQsendPrepare(handle, name, sql, Int32(parameterCount), nil)))
        prepared[sql] = name
        return name
    }

    /// The result when the statement succeeded; otherwise it is freed and its error thrown.
    private func checked(_ raw: OpaquePointer?) throws -> PostgresResult {
        guard let raw else {
            throw PostgresError(result: nil, connection: handle)
        }
        let result = PostgresResult(raw)
        switch PQresultStatus(raw) {
        case PGRES_COMMAND_OK, PGRES_TUPLES_OK:
            return result
        default:
            throw PostgresError(result: raw, connection: handle)
        }
    }

    // MARK: Transactions

    /// Runs `body` in a transaction (READ COMMITTED): committed when it returns, rolled back when it throws.
    public func writeTransaction<Result>(_ body: () throws -> Result) throws -> Result {
        try executeScript("BEGIN")
        inTransaction = true
        defer { inTransaction = false }
        let result: Result
        do {
            result = try body()
        } catch {
            // A lost connection has no transaction left to roll back; the reset comes with the next call.
            if PQstatus(handle) == CONNECTION_OK, !abandoned {
                _ = try? checked(awaitResult(sent: PQsendQuery(handle, "ROLLBACK")))
            }
            throw error
        }
        try executeScript("COMMIT")
        return result
    }

    // MARK: Lost connections

    /// Resets the connection if it was lost. A connection the server closed while it sat idle (a restart) looks
    /// fine until something is read from it, so a readable socket is read first (without blocking): an idle
    /// connection is never sent anything but a closing notice.
    private func reconnectIfLost() throws {
        guard !inTransaction else { return }
        if PQstatus(handle) == CONNECTION_OK, !abandoned {
            var probe = pollfd(fd: PQsocket(handle), events: Int16(POLLIN), revents: 0)
            var rounds = 0
            // A closing server sends an error message, then closes: two reads may be needed to see the end.
            while PQstatus(handle) == CONNECTION_OK, rounds < 2, poll(&probe, 1, 0) > 0 {
                if PQconsumeInput(handle) == 0 { break }
                rounds += 1
            }
            if PQstatus(handle) == CONNECTION_OK { return }
        }
        prepared.removeAll()
        // While the server stays away, calls fail at once for a moment after each failed attempt instead of each
        // trying again (an unreachable host costs up to connect_timeout per attempt).
        let now = Self.monotonicMilliseconds()
        if let failedAt = lastFailedReset, now - failedAt < Self.resetBackoffMilliseconds {
            throw PostgresError(
                sqlState: nil, message: "connection lost; reconnecting failed \(now - failedAt) ms ago: \(lastResetError)",
                isConnectionFailure: true)
        }
        PQreset(handle)
        abandoned = false
        guard PQstatus(handle) == CONNECTION_OK else {
            lastFailedReset = Self.monotonicMilliseconds()
            lastResetError = PostgresError.text(PQerrorMessage(handle))?.trimmingTrailingNewlines() ?? "connection lost"
            throw PostgresError(sqlState: nil, message: lastResetError, isConnectionFailure: true)
        }
        lastFailedReset = nil
    }

    /// How long after a failed reconnection calls fail without trying again.
    static let resetBackoffMilliseconds: Int64 = 500

    /// Milliseconds on the monotonic clock. The corresponding C function is `clock_gettime`.
    private static func monotonicMilliseconds() -> Int64 {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Int64(time.tv_sec) * 1000 + Int64(time.tv_nsec) / 1_000_000
    }
}
