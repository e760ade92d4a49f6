import Foundation
import JobsCore

extension PostgresJobStore {
    /// The store's schema version: the highest in `schema_version`, 0 when that table does not exist.
    public func schemaVersion() throws -> Int {
        try guarded("reading the schema version of \(displayName)") { try readSchemaVersion() }
    }

    /// Brings the store to ``PostgresSchema/currentVersion``, applying the missing steps in one transaction. A
    /// current store is left alone, so running it again changes nothing.
    ///
    /// Safe when several run at once (two `jobsctl init` on two hosts): each takes the same transaction-level
    /// advisory lock first, so the second waits for the first to commit, then finds the store current. Throws
    /// `.schemaMismatch` for a store newer than this program.
    @discardableResult
    public func migrate() throws -> (from: Int, to: Int) {
        try guarded("migrating \(displayName)") {
            try connection.writeTransaction {
                try connection.execute(SQL.migrationLock, [.integer(PostgresSchema.migrationLockKey)])
                try connection.executeScript(PostgresSchema.createVersionTable)
                let from = try readSchemaVersion()
                let to = PostgresSchema.currentVersion
                if from > to,
                    let error = PostgresConnector.schemaError(storeVersion: from, displayName: displayName)
                {
                    throw error
                }
                let now = Int64(Date().timeIntervalSince1970 * 1000)
                for step in PostgresSchema.steps where step.version > from {
                    for statement in step.statements {
                        try connection.executeScript(statement)
                    }
                    try connection.execute(SQL.recordVersion, [.integer(Int64(step.version)), .integer(now)])
                }
                return (from, to)
            }
        }
    }

    /// The version, unguarded: for callers that classify errors themselves.
    func readSchemaVersion() throws -> Int {
        let exists = try connection.firstRow(SQL.versionTableExists) { $0.bool(at: 0) } ?? false
        guard exists else { return 0 }
        return Int(try connection.firstRow(SQL.schemaVersion) { $0.int64(at: 0) } ?? 0)
    }
}
