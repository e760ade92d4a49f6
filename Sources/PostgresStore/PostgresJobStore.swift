import JobsCore
import SQLStore

/// One connection to the PostgreSQL job store: the API's ``JobStore`` and `jobsctl`'s ``StoreAdministration``.
///
/// Made by ``PostgresConnector``. A connection belongs to the thread that opened it and is never shared (hence not
/// `Sendable`); it is closed when the object goes away. Its statements are prepared once per session and reused.
/// A lost connection is re-established by the next call; while the server is unreachable every call throws
/// `StoreError` `.unavailable` (the API answers 503). Every method throws only `StoreError`: PostgreSQL's own
/// failures are classified at this boundary, their SQLSTATE and text kept in the message for the log.
public final class PostgresJobStore: SQLJobStore {
    /// The store's URL without its password.
    public let displayName: String

    /// The connection every method uses.
    public let connection: PostgresConnection

    init(connection: PostgresConnection, displayName: String) {
        self.connection = connection
        self.displayName = displayName
    }

    /// Runs `body`, turning any PostgreSQL failure into the `StoreError` the API knows how to answer.
    /// `operation` completes "PostgreSQL failed while …" in the log.
    public func guarded<Result>(_ operation: @autoclosure () -> String, _ body: () throws -> Result) throws -> Result {
        do {
            return try body()
        } catch let error as PostgresError {
            throw error.storeError(while: operation())
        }
    }
}
