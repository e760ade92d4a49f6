import JobsCore
import PostgresStore
import SQLiteStore

extension StoreLocation {
    /// The connector for the store at this location: ``SQLiteConnector`` for a file, ``PostgresConnector`` for a
    /// `postgresql://` URL. The one place where the executables choose a store engine. `sqliteOptions` apply to a
    /// SQLite store only, `postgresOptions` to a PostgreSQL one.
    public func connector(
        sqliteOptions: SQLiteOptions = .init(), postgresOptions: PostgresOptions = .init()
    ) -> any JobStoreConnector {
        switch self {
        case .sqlite(let path):
            SQLiteConnector(path: path, options: sqliteOptions)
        case .postgres(let url):
            PostgresConnector(url: url, options: postgresOptions)
        }
    }

    /// The location for logs and messages: the file's path, or the URL without its password.
    public var displayName: String {
        switch self {
        case .sqlite(let path):
            path
        case .postgres(let url):
            PostgresConnector(url: url).displayName
        }
    }

    /// The engine's name, as monitoring reports it: `sqlite` or `postgresql`.
    public var engineName: String {
        switch self {
        case .sqlite: "sqlite"
        case .postgres: "postgresql"
        }
    }
}
