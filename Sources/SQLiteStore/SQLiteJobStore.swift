import JobsCore

/// One connection to the SQLite job store: the API's ``JobStore`` and `jobsctl`'s ``StoreAdministration``.
///
/// Made by ``SQLiteConnector``. A connection belongs to the thread that opened it and is never shared (hence
/// not `Sendable`); it is closed when the object goes away. Its statements are prepared once and reused.
/// Every method throws only `StoreError`: SQLite's own failures are classified at this boundary, their code and
/// text kept in the message for the log.
public final class SQLiteJobStore: StoreAdministration {
    /// The store's file, as given to the connector.
    public let path: String

    let connection: SQLiteConnection

    init(connection: SQLiteConnection, path: String) {
        self.connection = connection
        self.path = path
    }

    /// Runs `body`, turning any SQLite failure into the `StoreError` the API knows how to answer.
    /// `operation` completes "SQLite failed while …" in the log.
    func guarded<Result>(_ operation: @autoclosure () -> String, _ body: () throws -> Result) throws -> Result {
        do {
            return try body()
        } catch let error as SQLiteError {
            throw error.storeError(while: operation())
        }
    }
}
