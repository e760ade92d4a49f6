import CSQLite3
import SQLStore

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One open SQLite database handle (`sqlite3 *`) and the statements prepared on it.
///
/// Opened with `SQLITE_OPEN_NOMUTEX`: SQLite takes no lock of its own around each call, because a connection is
/// used by one thread only (a FastCGI worker or a CLI command each open their own). That is why the class is not
/// `Sendable`. Closed, with every statement finalized, when the object goes away. Public only as the connection
/// of the shared store (``SQLJobStore``).
public final class SQLiteConnection: SQLEngineConnection {
    /// Statements are cached by their query object, not by text (which the methods for tests also take).
    public typealias Query = SQLiteQuery

    /// The raw handle. Never `NULL`: a failed open throws.
    let handle: OpaquePointer

    /// Statements prepared once and reused, keyed by their query's identity.
    private var statements: [ObjectIdentifier: SQLiteStatement] = [:]
    /// The queries behind ``statements``, kept alive so that no identity is ever reused.
    private var queries: [SQLiteQuery] = []
    /// Queries made here for SQL given as text (tests, pragmas), one per distinct text.
    private var queriesByText: [String: SQLiteQuery] = [:]
    /// The process's write gate for this store, shared by every connection its connector opens; `nil` writes
    /// without one (SQLite's busy timeout alone orders the writers).
    var writeGate: SQLiteWriteGate?
    /// Whether this connection holds ``writeGate`` now (a write inside a transaction that holds it already).
    private var holdsWriteGate = false
    /// How long a statement waits for another connection's lock (``setBusyTimeout(milliseconds:)``). Not what
    /// `PRAGMA busy_timeout` reports: that is SQLite's own handler's, replaced here.
    private(set) var busyTimeoutMilliseconds = 0
    private var busyTimeout: Duration { .milliseconds(busyTimeoutMilliseconds) }
    /// While a write holds the gate: when its wait must end, counted from its arrival at the gate.
    private var writeDeadline: ContinuousClock.Instant?
    /// When the current wait for another connection's lock began.
    private var busySince = ContinuousClock.now
    /// The process's group commit and checkpoint turn for this store, shared like ``writeGate``; `nil` leaves
    /// both to SQLite (see ``finishWrites()``).
    var logSync: SQLiteLogSync?
    /// Whether ``finishWrites()`` syncs the log: set for `synchronous = FULL` stores in WAL mode, whose
    /// connections then commit with `NORMAL`.
    var syncsLog = false
    /// Whether a write ran since the last ``finishWrites()``.
    var wroteSinceFinish = false
    /// Frames in the write-ahead log after this connection's last commit, as SQLite's WAL hook reports them.
    var logFrames: Int32 = 0
    /// The log's path (the store's own path plus `-wal`, as SQLite names it).
    let logPath: String

    /// Opens the file at `path`. `create` adds `SQLITE_OPEN_CREATE`; without it a missing file fails with
    /// `SQLITE_CANTOPEN`. The corresponding C function is `sqlite3_open_v2`.
    init(path: String, create: Bool) throws {
        SQLiteLibrary.configured
        var flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_EXRESCODE
        if create { flags |= SQLITE_OPEN_CREATE }
        var database: OpaquePointer?
        let code = sqlite3_open_v2(path, &database, flags, nil)
        guard code == SQLITE_OK, let database else {
            let error = SQLiteError(code: code, database: database)
            // SQLite usually hands out a handle even when the open fails; it must still be closed.
            sqlite3_close_v2(database)
            throw error
        }
        // Extended codes tell a UNIQUE violation from a NOT NULL one, and a busy snapshot from a busy lock.
        sqlite3_extended_result_codes(database, 1)
        handle = database
        logPath = String(cString: sqlite3_filename_wal(sqlite3_db_filename(database, "main")))
    }

    deinit {
        // Finalize the statements before the handle; `sqlite3_close_v2` would otherwise wait for them
        // (a "zombie" connection) rather than fail, so nothing leaks even if one is still referenced.
        statements.removeAll()
        // The WAL hook's and the busy handler's context is this object.
        sqlite3_wal_hook(handle, nil, nil)
        sqlite3_busy_handler(handle, nil, nil)
        sqlite3_close_v2(handle)
    }

    /// Whether a transaction is open (the connection is not in autocommit mode).
    var isInTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }

    /// How long a statement waits for another connection's lock before failing with `SQLITE_BUSY`; a write
    /// waits that long in all, its turn at the ``writeGate`` included. Sleeps as `sqlite3_busy_timeout` does (1,
    /// 2, 5, 10, … ms between tries). The corresponding C function is `sqlite3_busy_handler`.
    func setBusyTimeout(milliseconds: Int) {
        busyTimeoutMilliseconds = max(0, milliseconds)
        sqlite3_busy_handler(handle, { context, count in
            guard let context else { return 0 }
            let connection = Unmanaged<SQLiteConnection>.fromOpaque(context).takeUnretainedValue()
            return connection.waitForBusyLock(attempt: Int(count)) ? 1 : 0
        }, Unmanaged.passUnretained(self).toOpaque())
    }

    /// SQLite's busy handler: sleeps before try `attempt + 1` and returns true, or returns false when the wait is
    /// over (SQLite then fails with `SQLITE_BUSY`).
    private func waitForBusyLock(attempt: Int) -> Bool {
        let now = ContinuousClock.now
        if attempt == 0 { busySince = now }
        let deadline = writeDeadline ?? busySince + busyTimeout
        let remaining = now.duration(to: deadline)
        guard remaining > .zero else { return false }
        if holdsWriteGate, busySince.duration(to: now) >= SQLiteWriteGate.blockedAfter {
            writeGate?.holderIsBlocked()
        }
        let delays = [1, 2, 5, 10, 15, 20, 25, 25, 25, 50, 50]
        let delay = min(Duration.milliseconds(attempt < delays.count ? delays[attempt] : 100), remaining)
        let (seconds, attoseconds) = delay.components
        usleep(UInt32(clamping: seconds * 1_000_000 + attoseconds / 1_000_000_000_000))
        return true
    }

    /// Runs `body` holding the ``writeGate``, unless this connection holds it already or has none: a write
    /// statement or transaction waits here for the other threads' writes instead of in SQLite's busy handler.
    /// The write's deadline (now plus the busy timeout) bounds both waits; a writer that gives up at the gate
    /// throws `SQLITE_BUSY`, as SQLite does when its own wait ends.
    func serializingWrites<Result>(_ body: () throws -> Result) throws -> Result {
        guard let writeGate, !holdsWriteGate else { return try body() }
        return try holding(writeGate) {
            defer { wroteSinceFinish = true }
            return try body()
        }
    }

    /// Runs `body` holding `gate`, with a deadline of now plus the busy timeout for both waits.
    func holding<Result>(_ gate: SQLiteWriteGate, _ body: () throws -> Result) throws -> Result {
        let deadline = ContinuousClock.now + busyTimeout
        guard gate.enter(deadline: deadline) else {
            throw SQLiteError(
                code: SQLITE_BUSY,
                message: "another process held the store's write lock; this write waited its busy timeout")
        }
        holdsWriteGate = true
        writeDeadline = deadline
        defer {
            writeDeadline = nil
            holdsWriteGate = false
            gate.leave()
        }
        return try body()
    }

    // MARK: Statements

    /// Runs `body` with the cached statement for `query`, preparing it on first use. Afterwards the statement is
    /// reset and its bindings cleared, on every path, errors included (sqlite-nio's discipline), so it never
    /// keeps a snapshot or lock open between uses. A statement that writes runs, up to that reset (which
    /// commits it outside a transaction), holding the ``writeGate``.
    func withStatement<Result>(_ query: SQLiteQuery, _ body: (SQLiteStatement) throws -> Result) throws -> Result {
        let key = ObjectIdentifier(query)
        let statement: SQLiteStatement
        if let cached = statements[key] {
            if cached.isInUse {
                // The same SQL nested inside its own use: a private copy, finalized when this call ends.
                statement = try SQLiteStatement(sql: query.text, database: handle, persistent: false)
            } else {
                statement = cached
            }
        } else {
            statement = try SQLiteStatement(sql: query.text, database: handle, persistent: true)
            statements[key] = statement
            queries.append(query)
        }
        guard statement.isReadOnly else {
            return try serializingWrites { try use(statement, body) }
        }
        return try use(statement, body)
    }

    /// ``withStatement(_:_:)`` once the statement is chosen.
    private func use<Result>(_ statement: SQLiteStatement, _ body: (SQLiteStatement) throws -> Result) rethrows
        -> Result
    {
        statement.isInUse = true
        defer {
            statement.reset()
            statement.isInUse = false
        }
        return try body(statement)
    }

    /// Every row of the cached statement `query` with `bindings`, each read by `decode`. Steps to the end even
    /// when the caller wants one row: a write with `RETURNING` finishes its work only then.
    public func rows<Value>(
        _ query: SQLiteQuery, _ bindings: [SQLValue] = [], decode: (SQLiteStatement) throws -> Value
    ) throws -> [Value] {
        try withStatement(query) { statement in
            try statement.bind(bindings)
            var rows: [Value] = []
            while try statement.step() {
                rows.append(try decode(statement))
            }
            return rows
        }
    }

    /// The first row of the cached statement `query`, if any, decoded alone (no array). For statements that
    /// return at most one row; still steps to the end, as ``rows(_:_:decode:)-(SQLiteQuery,_,_)`` does.
    public func firstRow<Value>(
        _ query: SQLiteQuery, _ bindings: [SQLValue] = [], decode: (SQLiteStatement) throws -> Value
    ) throws -> Value? {
        try withStatement(query) { statement in
            try statement.bind(bindings)
            var first: Value?
            while try statement.step() {
                if first == nil { first = try decode(statement) }
            }
            return first
        }
    }

    /// Calls `body` with each row of the cached statement `query` in turn, in place: the list page's JSON is
    /// written from the column bytes.
    public func forEachRow(_ query: SQLiteQuery, _ bindings: [SQLValue], _ body: (SQLiteStatement) throws -> Void)
        throws
    {
        try withStatement(query) { statement in
            try statement.bind(bindings)
            while try statement.step() {
                try body(statement)
            }
        }
    }

    /// Runs the cached statement `query` to its end, ignoring any rows.
    public func run(_ query: SQLiteQuery, _ bindings: [SQLValue] = []) throws {
        try withStatement(query) { statement in
            try statement.bind(bindings)
            while try statement.step() {}
        }
    }

    /// The query for SQL given as text, made on its first use on this connection: for tests and one-off SQL.
    func query(_ sql: String) -> SQLiteQuery {
        if let query = queriesByText[sql] { return query }
        let query = SQLiteQuery(sql)
        queriesByText[sql] = query
        return query
    }

    /// ``rows(_:_:decode:)-(SQLiteQuery,_,_)`` for SQL given as text.
    func rows<Row>(
        _ sql: String, _ bindings: [SQLValue] = [], decode: (SQLiteStatement) throws -> Row
    ) throws -> [Row] {
        try rows(query(sql), bindings, decode: decode)
    }

    /// ``firstRow(_:_:decode:)-(SQLiteQuery,_,_)`` for SQL given as text.
    func firstRow<Row>(
        _ sql: String, _ bindings: [SQLValue] = [], decode: (SQLiteStatement) throws -> Row
    ) throws -> Row? {
        try firstRow(query(sql), bindings, decode: decode)
    }

    /// ``run(_:_:)-(SQLiteQuery,_)`` for SQL given as text.
    func run(_ sql: String, _ bindings: [SQLValue] = []) throws {
        try run(query(sql), bindings)
    }

    /// Runs `sql` once, without caching it: schema changes and pragmas that are set once per connection.
    func execute(_ sql: String) throws {
        let statement = try SQLiteStatement(sql: sql, database: handle, persistent: false)
        while try statement.step() {}
    }

    /// The first column of the first row of `sql` as text, run once without caching (`PRAGMA journal_mode`).
    func executeForText(_ sql: String) throws -> String? {
        let statement = try SQLiteStatement(sql: sql, database: handle, persistent: false)
        var first: String?
        while try statement.step() {
            if first == nil { first = statement.text(at: 0) }
        }
        return first
    }
}
