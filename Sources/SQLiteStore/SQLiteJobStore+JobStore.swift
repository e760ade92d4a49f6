import JobsCore

extension SQLiteJobStore {
    /// The organization and key behind this hash, if the key exists and is active at `time` (one lookup in the
    /// unique index on `key_hash`).
    public func principal(forKeyHash hash: APIKeyHash, at time: Int64) throws -> Principal? {
        try guarded("looking up an API key") {
            try connection.firstRow(SQL.principal, [.blob(hash.bytes), .integer(time)]) { row in
                Principal(keyID: row.int64(at: 0), organizationID: row.int64(at: 1))
            }
        }
    }

    /// The project with this key if it belongs to `organizationID` (one lookup in the unique index on
    /// `project_key`); `nil` for another organization's project, as for a missing one.
    public func project(key: ProjectKey, organizationID: Int64) throws -> Project? {
        try guarded("looking up project \(key)") {
            try connection.firstRow(
                SQL.projectInOrganization, [.text(key.rawValue), .integer(organizationID)],
                decode: Self.decodeProject)
        }
    }

    /// Up to `limit` jobs of the project in ascending id order, skipping the first `offset`, read in order from
    /// the `jobs_by_project` index. A `limit` of 0 or less gives no jobs (SQLite would read a negative one as
    /// "no limit"); an offset past the end gives none either.
    public func jobs(projectID: Int64, limit: Int, offset: Int64) throws -> [Job] {
        guard limit > 0 else { return [] }
        return try guarded("listing the jobs of project \(projectID)") {
            try connection.rows(
                SQL.jobsPage, [.integer(projectID), .integer(Int64(limit)), .integer(max(0, offset))],
                decode: Self.decodeJob)
        }
    }

    /// Writes the page ``jobs(projectID:limit:offset:)`` reads as a JSON array, row by row from the statement's
    /// column bytes (``writeJob(_:to:)``): the same bytes as writing those jobs, at a fraction of the cost.
    public func writeJobs(projectID: Int64, limit: Int, offset: Int64, to writer: inout JSONWriter) throws {
        guard limit > 0 else {
            writer.raw("[]")
            return
        }
        try guarded("listing the jobs of project \(projectID)") {
            try connection.withStatement(SQL.jobsPage) { statement in
                try statement.bind([.integer(projectID), .integer(Int64(limit)), .integer(max(0, offset))])
                writer.raw("[")
                var first = true
                while try statement.step() {
                    if !first { writer.raw(",") }
                    first = false
                    try Self.writeJob(statement, to: &writer)
                }
                writer.raw("]")
            }
        }
    }

    /// The job with this id if it belongs to the project.
    public func job(id: Int64, projectID: Int64) throws -> Job? {
        try guarded("reading job \(id)") {
            try connection.firstRow(SQL.jobInProject, [.integer(id), .integer(projectID)], decode: Self.decodeJob)
        }
    }

    /// Cancels the job if it is `scheduled` or `running`, with one conditional `UPDATE … RETURNING`: of many
    /// concurrent cancels, in this process or another, exactly one changes the row.
    ///
    /// When nothing changed, a second read tells a job in a final state (returned unchanged) from a missing one.
    /// Final states never change again, so that read cannot contradict the update.
    public func cancelJob(id: Int64, projectID: Int64, at time: Int64) throws -> CancelOutcome {
        try guarded("cancelling job \(id)") {
            if let cancelled = try connection.firstRow(
                SQL.cancelJob, [.integer(id), .integer(projectID), .integer(time)], decode: Self.decodeJob)
            {
                return .cancelled(cancelled)
            }
            guard
                let job = try connection.firstRow(
                    SQL.jobInProject, [.integer(id), .integer(projectID)], decode: Self.decodeJob),
                // An active job here was created after the update looked (it took the next id): the cancel
                // came first, when no such job existed.
                !job.status.isCancellable
            else {
                return .notFound
            }
            return .notCancellable(job)
        }
    }

    /// Stores a new job unless the project has an active job with the same action and reference id. The
    /// `jobs_one_active` unique index decides, not a read before the insert: of many concurrent requests, in
    /// this process or another, exactly one inserts.
    public func createJob(_ job: NewJob, projectID: Int64) throws -> CreateOutcome {
        try insert(job, projectID: projectID)
    }

    /// Inserts `job` at the project's next position, in one `BEGIN IMMEDIATE` transaction. Under that write
    /// lock, a read of `jobs_one_active` first: an active job with the same action and reference id means a
    /// conflict, and nothing is written, so no position is consumed. The unique index still decides should
    /// anything slip past the read; its refusal rolls the whole transaction back.
    func insert(_ job: NewJob, projectID: Int64) throws -> CreateOutcome {
        try guarded("creating a job for project \(projectID)") {
            try connection.immediateTransaction {
                if job.status.isCancellable,
                    let existingID = try connection.firstRow(
                        SQL.activeJobID,
                        [.integer(projectID), .text(job.action.rawValue), .text(job.referenceID)],
                        decode: { $0.int64(at: 0) })
                {
                    return .conflict(existingJobID: existingID)
                }
                guard
                    let position = try connection.firstRow(
                        SQL.takePosition, [.integer(projectID)], decode: { $0.int64(at: 0) })
                else {
                    throw StoreError(.invalid, "No project with id \(projectID)")
                }
                guard
                    let created = try connection.firstRow(
                        SQL.insertJob, Self.insertBindings(job, projectID: projectID, position: position),
                        decode: Self.decodeJob)
                else {
                    throw StoreError(.internal, "Inserting a job returned no row")
                }
                return .created(created)
            }
        }
    }
}
