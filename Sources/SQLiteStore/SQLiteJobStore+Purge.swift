import JobsCore

extension SQLiteJobStore {
    /// Deletes at most `limit` finished jobs ended before `before`, the lowest positions of each project first
    /// (projects in id order), in one `BEGIN IMMEDIATE` transaction, and keeps every project's positions dense.
    ///
    /// Per project: the candidates come from `jobs_finished` in position order; P is the highest one taken. The
    /// `s` jobs that survive at or below P (active ones, or finished at or after `before`) move, highest first,
    /// to P, P − 1, … P − s + 1, keeping their order; `position_base` becomes P − s. Moving the highest first
    /// means each target position is free when it is taken, so the unique index never sees a duplicate. The
    /// work is the batch plus those survivors; jobs above P are not touched.
    public func purgeFinishedJobs(before: Int64, limit: Int) throws -> Int {
        guard limit > 0 else { return 0 }
        return try guarded("purging jobs finished before \(before)") {
            try connection.immediateTransaction {
                var deleted = 0
                let projects = try connection.rows(SQL.projectIDs) { $0.int64(at: 0) }
                for projectID in projects where deleted < limit {
                    deleted += try purge(projectID: projectID, before: before, limit: limit - deleted)
                }
                return deleted
            }
        }
    }

    /// How many jobs every batch of ``purgeFinishedJobs(before:limit:)`` together would delete now.
    public func countFinishedJobs(before: Int64) throws -> Int {
        try guarded("counting jobs finished before \(before)") {
            Int(try connection.firstRow(SQL.purgeCount, [.integer(before)]) { $0.int64(at: 0) } ?? 0)
        }
    }

    /// One project's share of ``purgeFinishedJobs(before:limit:)``, inside its transaction.
    private func purge(projectID: Int64, before: Int64, limit: Int) throws -> Int {
        let candidates = try connection.rows(
            SQL.purgeCandidates, [.integer(projectID), .integer(before), .integer(Int64(limit))]
        ) { $0.int64(at: 0) }
        guard let highest = candidates.last else { return 0 }
        let deleted = try connection.rows(
            SQL.purgeDelete, [.integer(projectID), .integer(before), .integer(highest)]
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
}
