import JobsCore

extension PostgresJobStore {
    /// The organization and key behind this hash, if the key exists and is active at `time` (one lookup in the
    /// unique index on `key_hash`).
    public func principal(forKeyHash hash: APIKeyHash, at time: Int64) throws -> Principal? {
        try guarded("looking up an API key") {
            try connection.firstRow(SQL.principal, [.bytea(hash.bytes), .integer(time)]) { row in
                Principal(keyID: row.int64(at: 0), organizationID: row.int64(at: 1))
            }
        }
    }

    /// The project with this key if it belongs to `organizationID`; `nil` for another organization's project, as
    /// for a missing one.
    public func project(key: ProjectKey, organizationID: Int64) throws -> Project? {
        try guarded("looking up project \(key)") {
            try connection.firstRow(
                SQL.projectInOrganization, [.text(key.rawValue), .integer(organizationID)],
                decode: Self.decodeProject)
        }
    }

    /// Up to `limit` jobs of the project in ascending id order, skipping the first `offset`: one range of the
    /// `(project_id, position)` index, whatever the offset. A `limit` of 0 or less gives no jobs; an offset past
    /// the end gives none either.
    public func jobs(projectID: Int64, limit: Int, offset: Int64) throws -> [Job] {
        guard limit > 0 else { return [] }
        return try guarded("listing the jobs of project \(projectID)") {
            try connection.rows(
                SQL.jobsPage, [.integer(projectID), .integer(max(0, offset)), .integer(Int64(limit))],
                decode: Self.decodeJob)
        }
    }

    /// The job with this id if it belongs to the project.
    public func job(id: Int64, projectID: Int64) throws -> Job? {
        try guarded("reading job \(id)") {
            try connection.firstRow(SQL.jobInProject, [.integer(id), .integer(projectID)], decode: Self.decodeJob)
        }
    }

    /// Cancels the job if it is `scheduled` or `running`, with one conditional `UPDATE … RETURNING`: of many
    /// concurrent cancels, on any host, exactly one changes the row.
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
                // An active job here was created after the update looked: the cancel came first.
                !job.status.isCancellable
            else {
                return .notFound
            }
            return .notCancellable(job)
        }
    }

    /// Stores a new job unless the project has an active job with the same action and reference id. The
    /// `jobs_one_active` unique index decides, not a read before the insert: of many concurrent requests, on any
    /// host, exactly one inserts.
    public func createJob(_ job: NewJob, projectID: Int64) throws -> CreateOutcome {
        try insert(job, projectID: projectID)
    }

    /// Inserts `job` in one transaction: the project's row lock and next position first (so ids follow
    /// positions), then the insert. When `jobs_one_active` refuses it, the transaction rolls back (no position is
    /// used up) and the active job's id is returned. That job may end between the refused insert and the lookup;
    /// then the whole step is tried again, a few times at most.
    func insert(_ job: NewJob, projectID: Int64) throws -> CreateOutcome {
        try guarded("creating a job for project \(projectID)") {
            for _ in 1...5 {
                if let outcome = try attemptInsert(job, projectID: projectID) {
                    return outcome
                }
            }
            throw StoreError(
                .unavailable, "The active job blocking a new one in project \(projectID) kept changing; gave up")
        }
    }

    /// One try of ``insert(_:projectID:)``; `nil` when the conflicting job was gone by the time it was looked up.
    private func attemptInsert(_ job: NewJob, projectID: Int64) throws -> CreateOutcome? {
        try connection.transaction {
            guard let position = try connection.firstRow(SQL.nextPosition, [.integer(projectID)], decode: { $0.int64(at: 0) })
            else {
                throw StoreError(.invalid, "No project with id \(projectID)")
            }
            if let created = try connection.firstRow(
                SQL.insertJob, Self.insertParameters(job, projectID: projectID) + [.integer(position)],
                decode: Self.decodeJob)
            {
                return .created(created)
            }
            let existing = try connection.firstRow(
                SQL.activeJobID, [.integer(projectID), .text(job.action.rawValue), .text(job.referenceID)],
                decode: { $0.int64(at: 0) })
            try connection.rollBack()
            return existing.map { .conflict(existingJobID: $0) }
        }
    }
}
