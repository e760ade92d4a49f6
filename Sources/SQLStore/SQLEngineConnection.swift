/// One connection of a SQL engine, as ``SQLJobStore`` uses it: what differs between SQLite and PostgreSQL is
/// behind it (statement preparation and caching, binding, transactions and locking).
///
/// A connection belongs to one thread. Every method throws the engine's own errors; ``SQLJobStore/guarded(_:_:)``
/// turns them into `StoreError`.
public protocol SQLEngineConnection: AnyObject {
    /// A statement as the engine caches it.
    associatedtype Query
    /// The current row of a result.
    associatedtype Row: SQLRow
    /// The engine's error.
    associatedtype Failure: SQLEngineFailure

    /// Every row of `query` with `bindings` (`?1`, `?2`, … in order), each read by `decode`.
    func rows<Value>(_ query: Query, _ bindings: [SQLValue], decode: (Row) throws -> Value) throws -> [Value]
    /// The first row of `query`, read by `decode`; `nil` when there is none. A write with `RETURNING` is run to
    /// its end.
    func firstRow<Value>(_ query: Query, _ bindings: [SQLValue], decode: (Row) throws -> Value) throws -> Value?
    /// Calls `body` with each row of `query` in turn, without keeping any.
    func forEachRow(_ query: Query, _ bindings: [SQLValue], _ body: (Row) throws -> Void) throws
    /// Runs `query` for its effect.
    func run(_ query: Query, _ bindings: [SQLValue]) throws
    /// Runs `body` in a transaction that will write: committed when it returns, rolled back when it throws.
    /// SQLite takes the write lock at its start (`BEGIN IMMEDIATE`); PostgreSQL locks rows as the statements
    /// reach them.
    func writeTransaction<Result>(_ body: () throws -> Result) throws -> Result
}

/// An engine's error, as far as the shared store needs to tell integrity failures apart.
public protocol SQLEngineFailure: Error {
    /// A uniqueness rule (a unique index, the primary key) refused the change.
    var isUniquenessViolation: Bool { get }
    /// A `REFERENCES` clause refused the change: the row it points to does not exist.
    var isForeignKeyViolation: Bool { get }
}
