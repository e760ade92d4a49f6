import JobsCore
import JobsTesting
import PostgresStore
import SQLiteStore
import Testing

/// The store engines every contract test runs on.
enum StoreKind: String, CaseIterable, CustomTestStringConvertible, Sendable {
    case sqlite
    case postgres

    var testDescription: String { rawValue }

    /// A new, empty store of this kind, kept alive by the returned value (`TemporaryDirectory` or
    /// `PostgresDatabase`), and its connector.
    func makeStore() throws -> (connector: any JobStoreConnector, keepAlive: AnyObject) {
        switch self {
        case .sqlite:
            let directory = try TemporaryDirectory(prefix: "store-contract")
            return (SQLiteConnector(path: directory.appending("jobs.sqlite3")), directory)
        case .postgres:
            let database = try PostgresServer.shared().createDatabase()
            return (PostgresConnector(url: database.url), database)
        }
    }
}
