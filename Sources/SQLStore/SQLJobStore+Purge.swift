import JobsCore

extension SQLJobStore {
    /// Deletes at most `limit` finished jobs ended before `before`, the lowest positions of each project first
    /// (projects in id order), in one write transaction, and keeps every project's positions dense
    /// (``purgeBatch(projectID:before:limit:)``). Lists read before or after the commit, never in between.
    @inlinable
    public func purgeFinishedJobs(before: Int64, limit: Int) throws -> Int {
        guard limit > 0 else { return 0 }
        return try guarded("purging jobs finished before \(before)") {
            try connection.writeTransaction {
                try beginPurge()
                var deleted = 0
                let projects = try connection.rows(Self.statements.projectIDs, [], decode: Self.decodeID)
                for projectID in projects where deleted < limit {
                    deleted += try purgeBatch(projectID: projectID, before: before, limit: limit - deleted)
                }
                // The outbox's copies of finished jobs go with them: delivered or given-up events of the same age.
                try connection.run(
                    Self.webhookStatements.purgeEvents, [.integer(before), .integer(Int64(limit))])
                return deleted
            }
        }
    }

    /// Deletes the idempotency keys stored at `time` or before, in one statement.
    @inlinable
    public func purgeIdempotencyKeys(storedAtOrBefore time: Int64) throws -> Int {
        try guarded("purging idempotency keys stored before \(time)") {
            try connection.writeTransaction {
                try connection.rows(Self.statements.purgeIdempotencyKeys, [.integer(time)]) { $0.int64(at: 0) }.count
            }
        }
    }

    /// How many jobs every batch of ``purgeFinishedJobs(before:limit:)`` together would delete now.
    @inlinable
    public func countFinishedJobs(before: Int64) throws -> Int {
        try guarded("counting jobs finished before \(before)") {
            Int(try connection.firstRow(Self.statements.purgeCount, [.integer(before)], decode: Self.decodeID) ?? 0)
        }
    }
}
