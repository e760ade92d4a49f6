import CSQLite3
import JobsCore
import SQLStore

/// One connection to the SQLite job store: the API's ``JobStore`` and `jobsctl`'s ``StoreAdministration``.
///
/// Made by ``SQLiteConnector``. A connection belongs to the thread that opened it and is never shared (hence
/// not `Sendable`); it is closed when the object goes away. Its statements are prepared once and reused.
/// Every method throws only `StoreError`: SQLite's own failures are classified at this boundary, their code and
/// text kept in the message for the log.
public final class SQLiteJobStore: SQLJobStore {
    /// The store's file, as given to the connector.
    public let path: String

    /// Replaced only when read-only (see ``setAsideIfReadOnly(refused:)``).
    public internal(set) var connection: SQLiteConnection
    /// Opens a new connection configured like this one (set by the connector).
    var reconnect: (() throws -> SQLiteConnection)?
    /// Whether `connection` is an in-memory stand-in for a read-only connection set aside.
    var connectionIsStandIn = false
    /// How many ``guarded(_:_:)`` calls are running (one operation may call another).
    private var guardDepth = 0

    init(connection: SQLiteConnection, path: String) {
        self.connection = connection
        self.path = path
    }

    /// Runs `body`, turning any SQLite failure into the `StoreError` the API knows how to answer.
    /// `operation` completes "SQLite failed while …" in the log.
    public func guarded<Result>(_ operation: @autoclosure () -> String, _ body: () throws -> Result) throws -> Result {
        if guardDepth == 0 { try reopenIfSetAside(while: operation()) }
        guardDepth += 1
        var refused = false
        defer {
            guardDepth -= 1
            if guardDepth == 0 { setAsideIfReadOnly(refused: refused) }
        }
        do {
            let result = try body()
            // The outermost operation, its write gate released: the answer waits for the log to be on disk.
            if guardDepth == 1 { try connection.finishWrites() }
            return result
        } catch let error as SQLiteError {
            refused = error.primaryCode == SQLITE_READONLY
            throw error.storeError(while: operation())
        }
    }
}
