import CSQLite3
import Glibc
import JobsCore

extension SQLiteJobStore {
    /// The store's schema version (`PRAGMA user_version`); 0 for an empty store.
    public func schemaVersion() throws -> Int {
        try guarded("reading the schema version of \(path)") { try readSchemaVersion() }
    }

    /// Brings the store to ``Schema/currentVersion``, applying the missing steps of ``Schema/migrations`` and
    /// making WAL its journal mode. A current store is left alone, so running it again changes nothing.
    ///
    /// Safe when two processes run it at once: the version is read inside a `BEGIN IMMEDIATE` transaction, so
    /// the second waits for the first to commit, then finds the store current. Throws `.schemaMismatch` for a
    /// store newer than this program.
    @discardableResult
    public func migrate() throws -> (from: Int, to: Int) {
        // Switching a fresh file to WAL while another connection does the same can answer SQLITE_BUSY at once,
        // without the busy handler; such a loser simply tries again (for about 5 s at most).
        var attempt = 0
        while true {
            do {
                return try migrateOnce()
            } catch let error as SQLiteError where error.code & 0xFF == SQLITE_BUSY && attempt < 250 {
                attempt += 1
                usleep(20_000)
            } catch let error as SQLiteError {
                throw error.storeError(while: "migrating \(path)")
            }
        }
    }

    private func migrateOnce() throws -> (from: Int, to: Int) {
        // The journal mode cannot change inside a transaction. WAL is persistent: set once, every later
        // connection finds it.
        try enableWriteAheadLog()
        return try connection.writeTransaction {
            let from = try readSchemaVersion()
            let to = Schema.currentVersion
            if from > to, let error = SQLiteConnector.schemaError(
                storeVersion: from, currentVersion: to, path: path)
            {
                throw error
            }
            for migration in Schema.migrations where migration.version > from {
                for statement in migration.statements {
                    try connection.execute(statement)
                }
            }
            if from != to {
                // A pragma takes no parameters; the value is an integer of ours, not input.
                try connection.execute("PRAGMA user_version = \(to)")
            }
            return (from, to)
        }
    }

    /// `PRAGMA user_version`, unguarded: for callers that classify errors themselves.
    func readSchemaVersion() throws -> Int {
        let version = try connection.firstRow(SQL.schemaVersion) { Int($0.int64(at: 0)) }
        return version ?? 0
    }

    /// Puts the store in WAL mode unless it is in it already. In WAL, readers never wait for the writer and the
    /// writer never waits for readers; only writers queue, up to the busy timeout.
    func enableWriteAheadLog() throws {
        let current = try connection.executeForText("PRAGMA journal_mode")
        guard current?.lowercased() != "wal" else { return }
        let mode = try connection.executeForText("PRAGMA journal_mode = WAL")
        guard mode?.lowercased() == "wal" else {
            // SQLite answers with the mode it kept when it cannot switch (no shared memory, say).
            throw StoreError(
                .internal, "Job store \(path) could not be put in WAL mode; SQLite kept \(mode ?? "no mode")")
        }
    }
}
