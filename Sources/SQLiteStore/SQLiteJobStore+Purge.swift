import CSQLite3
import JobsCore

extension SQLiteJobStore {
    /// One project's batch of ``purgeFinishedJobs(before:limit:)``, under the transaction's write lock.
    ///
    /// The candidates come from `jobs_by_status` in id order, which is position order; P is the highest position
    /// taken. The `s` jobs that
    /// survive at or below P (active ones, or finished at or after `before`) move, highest first, to P, P − 1, …
    /// P − s + 1, keeping their order; `position_base` becomes P − s. Moving the highest first means each target
    /// position is free when it is taken, so the unique index never sees a duplicate. The work is the batch plus
    /// those survivors; jobs above P are not touched.
    public func purgeBatch(projectID: Int64, before: Int64, limit: Int) throws -> Int {
        let candidates = try connection.rows(
            SQL.purgeCandidates, [.integer(projectID), .integer(before), .integer(Int64(limit))]
        ) { (id: $0.int64(at: 0), position: $0.int64(at: 1)) }
        guard let last = candidates.last else { return 0 }
        let highest = last.position
        let deleted = try connection.rows(
            SQL.purgeDelete, [.integer(projectID), .integer(before), .integer(last.id)]
        ) { $0.int64(at: 0) }
        guard deleted.count == candidates.count else {
            // Both read the same rows under the same write lock; a difference means a broken index.
            throw StoreError(
                .internal, "Purging project \(projectID) found \(candidates.count) jobs but deleted \(deleted.count)")
        }
        let survivors = try connection.rows(SQL.purgeSurvivors, [.integer(projectID), .integer(highest)]) {
            (id: $0.int64(at: 0), position: $0.int64(at: 1))
        }
        var target = highest
        for survivor in survivors {
            if survivor.position != target {
                try connection.run(SQL.moveJob, [.integer(survivor.id), .integer(target)])
            }
            target -= 1
        }
        try connection.run(SQL.setPositionBase, [.integer(projectID), .integer(target)])
        return deleted.count
    }

    /// Copies the log into the database and truncates it to zero bytes (`PRAGMA wal_checkpoint(TRUNCATE)`): with
    /// `secure_delete` on, the purged rows are then zeros in the database file and gone from the log. `false`
    /// when another connection kept the log in use past the busy timeout.
    public func eraseDeletedData() throws -> Bool? {
        try guarded("truncating the log after a purge") {
            let code = sqlite3_wal_checkpoint_v2(connection.handle, nil, SQLITE_CHECKPOINT_TRUNCATE, nil, nil)
            if code == SQLITE_BUSY || code == SQLITE_LOCKED { return false }
            guard code == SQLITE_OK else { throw SQLiteError(code: code, database: connection.handle) }
            return true
        }
    }
}
