import JobsCore

/// The job store written once over a SQL engine: every query, row decoding, the job JSON of a list page and the
/// contract's semantics live in this protocol's extensions; a conforming engine store supplies its connection,
/// its statements, how its failures become `StoreError` and the few steps whose algorithm differs.
///
/// The implementations are `@inlinable`: they are compiled into each engine's module, specialized for its
/// connection, with no dynamic dispatch per row or per call.
public protocol SQLJobStore: StoreAdministration, WebhookStore {
    /// The engine's connection.
    associatedtype Connection: SQLEngineConnection where Connection.Query: Sendable

    /// The open connection every method uses.
    var connection: Connection { get }
    /// Every statement, prepared the engine's way.
    static var statements: SQLStatements<Connection.Query> { get }
    /// Every statement on webhooks and their outbox, prepared the engine's way.
    static var webhookStatements: WebhookStatements<Connection.Query> { get }

    /// Runs `body`, turning the engine's failures into the `StoreError` the API knows how to answer; `operation`
    /// says in the log what was being done.
    func guarded<Result>(_ operation: @autoclosure () -> String, _ body: () throws -> Result) throws -> Result
    /// The binding of ``SQLDialect/claimDueJobs``'s `?5`: the names of `actions`.
    static func actionList(_ actions: [JobAction]) -> SQLValue
    /// A worker's `errors` text as the engine can store it (PostgreSQL's text cannot hold NUL).
    static func storable(errors: String) -> String
    /// Runs first in ``purgeFinishedJobs(before:limit:)``'s transaction.
    func beginPurge() throws
    /// Deletes at most `limit` finished jobs of the project ended before `before`, lowest positions first, and
    /// keeps the project's positions dense; inside ``purgeFinishedJobs(before:limit:)``'s transaction. Returns how
    /// many it deleted.
    func purgeBatch(projectID: Int64, before: Int64, limit: Int) throws -> Int
}

/// Thrown inside a transaction to roll it back with the outcome to report.
@usableFromInline
struct Refusal<Outcome: Sendable>: Error {
    @usableFromInline let outcome: Outcome

    @usableFromInline
    init(_ outcome: Outcome) {
        self.outcome = outcome
    }
}

extension SQLJobStore {
    /// Nothing to prepare.
    @inlinable
    public func beginPurge() throws {}

    /// The text as it is.
    @inlinable
    public static func storable(errors: String) -> String { errors }

    /// Runs `body` in a write transaction under ``guarded(_:_:)``; a ``Refusal`` thrown by `body` rolls the
    /// transaction back and its outcome is returned (the operation then ends as one that succeeded).
    @inlinable
    func refusableWrite<Outcome: Sendable>(_ operation: @autoclosure () -> String, _ body: () throws -> Outcome)
        throws -> Outcome
    {
        try guarded(operation()) {
            do {
                return try connection.writeTransaction(body)
            } catch let refusal as Refusal<Outcome> {
                return refusal.outcome
            }
        }
    }
}
