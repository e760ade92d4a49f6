import Foundation

extension Stack {
    /// The store engine a ``Stack`` runs on.
    package enum StoreKind: String, Sendable, CaseIterable {
        /// A SQLite file in the stack's directory.
        case sqlite
        /// A database of its own on ``PostgresServer/shared()``.
        case postgres

        /// The environment variable that picks the default engine of every stack: `sqlite` (the default when it is
        /// unset) or `postgres`. deploy/test.sh runs the end-to-end suites once on each.
        package static let environmentVariable = "JOBS_TEST_STORE"

        /// The engine named by `JOBS_TEST_STORE`, SQLite when it is unset or empty. An unknown name stops the test
        /// run at once, rather than silently testing another engine.
        package static var configured: StoreKind {
            let name = ProcessInfo.processInfo.environment[environmentVariable] ?? ""
            guard !name.isEmpty else { return .sqlite }
            guard let kind = StoreKind(rawValue: name) else {
                fatalError("\(environmentVariable)=\(name): expected sqlite or postgres")
            }
            return kind
        }
    }

    /// The DSN of a new store of `kind` (a file in `directory`, or a new database on ``PostgresServer/shared()``),
    /// and the database to keep alive for PostgreSQL. Nothing is initialised: run `jobsctl init` on it.
    package static func makeStore(_ kind: StoreKind, in directory: TemporaryDirectory) throws
        -> (dsn: String, database: PostgresDatabase?)
    {
        switch kind {
        case .sqlite:
            return (directory.appending("jobs.sqlite3"), nil)
        case .postgres:
            let database = try PostgresServer.shared().createDatabase()
            return (database.url, database)
        }
    }
}
