import JobsCore

extension SQLJobStore {
    /// The organization and key behind this hash, if the key exists and is active at `time` (one lookup in the
    /// unique index on `key_hash`).
    @inlinable
    public func principal(forKeyHash hash: APIKeyHash, at time: Int64) throws -> Principal? {
        try guarded("looking up an API key") {
            try connection.firstRow(Self.statements.principal, [.bytes(hash.bytes), .integer(time)]) { row in
                Principal(keyID: row.int64(at: 0), organizationID: row.int64(at: 1))
            }
        }
    }

    /// The project with this key if it belongs to `organizationID` (one lookup in the unique index on
    /// `project_key`); `nil` for another organization's project, as for a missing one.
    @inlinable
    public func project(key: ProjectKey, organizationID: Int64) throws -> Project? {
        try guarded("looking up project \(key)") {
            try connection.firstRow(
                Self.statements.projectInOrganization, [.text(key.rawValue), .integer(organizationID)],
                decode: Self.decodeProject)
        }
    }

    /// One statement instead of three (``SQLStatements/requestLookup``).
    @inlinable
    public func lookUp(keyHash: APIKeyHash, projectKey: ProjectKey?, jobID: Int64?, at time: Int64) throws
        -> RequestLookup
    {
        try guarded("looking up an API key, project and job") {
            let lookup = try connection.firstRow(
                Self.statements.requestLookup,
                [.bytes(keyHash.bytes), .text(orNull: projectKey?.rawValue), .integer(orNull: jobID), .integer(time)]
            ) { row -> RequestLookup in
                let principal = Principal(keyID: row.int64(at: 11), organizationID: row.int64(at: 12))
                guard let projectID = row.optionalInt64(at: 10) else { return RequestLookup(principal: principal) }
                let job = row.isNull(at: 0) ? nil : try Self.decodeJob(row)
                return RequestLookup(principal: principal, projectID: projectID, job: job)
            }
            return lookup ?? RequestLookup(principal: nil)
        }
    }

    /// Up to `limit` jobs of the project in ascending id order, skipping the first `offset`: one range of the
    /// position index, whatever the offset. A `limit` of 0 or less gives no jobs (SQLite would read a negative
    /// one as "no limit"); an offset past the end gives none either.
    @inlinable
    public func jobs(projectID: Int64, limit: Int, offset: Int64) throws -> [Job] {
        guard limit > 0 else { return [] }
        return try guarded("listing the jobs of project \(projectID)") {
            try connection.rows(
                Self.statements.jobsPage, [.integer(projectID), .integer(Int64(limit)), .integer(max(0, offset))],
                decode: Self.decodeJob)
        }
    }

    /// Writes the page ``jobs(projectID:limit:offset:)`` reads as a JSON array, row by row from the columns
    /// (``JobRow``): the same bytes as writing those jobs, without making them.
    @inlinable
    public func writeJobs(projectID: Int64, limit: Int, offset: Int64, to writer: inout JSONWriter) throws {
        guard limit > 0 else {
            writer.raw("[]")
            return
        }
        try guarded("listing the jobs of project \(projectID)") {
            writer.raw("[")
            var first = true
            try connection.forEachRow(
                Self.statements.jobsPage, [.integer(projectID), .integer(Int64(limit)), .integer(max(0, offset))]
            ) { row in
                if !first { writer.raw(",") }
                first = false
                try writer.job(JobRow(row))
            }
            writer.raw("]")
        }
    }

    /// Up to `limit` jobs of the project that pass `filter`, in ascending id order, skipping the first `offset`
    /// of them (``filteredPage(projectID:filter:limit:offset:)``).
    @inlinable
    public func jobs(projectID: Int64, filter: JobFilter, limit: Int, offset: Int64) throws -> [Job] {
        guard limit > 0 else { return [] }
        guard let (query, bindings) = Self.filteredPage(projectID: projectID, filter: filter, limit: limit, offset: offset)
        else {
            return try jobs(projectID: projectID, limit: limit, offset: offset)
        }
        return try guarded("listing the filtered jobs of project \(projectID)") {
            try connection.rows(query, bindings, decode: Self.decodeJob)
        }
    }

    /// Writes the page ``jobs(projectID:filter:limit:offset:)`` reads, row by row from the columns.
    @inlinable
    public func writeJobs(projectID: Int64, filter: JobFilter, limit: Int, offset: Int64, to writer: inout JSONWriter)
        throws
    {
        guard limit > 0,
            let (query, bindings) = Self.filteredPage(projectID: projectID, filter: filter, limit: limit, offset: offset)
        else {
            return try writeJobs(projectID: projectID, limit: limit, offset: offset, to: &writer)
        }
        try guarded("listing the filtered jobs of project \(projectID)") {
            writer.raw("[")
            var first = true
            try connection.forEachRow(query, bindings) { row in
                if !first { writer.raw(",") }
                first = false
                try writer.job(JobRow(row))
            }
            writer.raw("]")
        }
    }

    /// The statement and bindings of a filtered page: ``SQLStatements/jobsOfReference`` when the filter names a
    /// user (with every status when it names none), else ``SQLStatements/jobsOfStatus`` for one status and
    /// ``SQLStatements/jobsOfStatuses`` for several; `nil` for no filter.
    @inlinable
    static func filteredPage(projectID: Int64, filter: JobFilter, limit: Int, offset: Int64)
        -> (Connection.Query, [SQLValue])?
    {
        let limit = Int64(limit)
        let offset = max(0, offset)
        if let referenceID = filter.referenceID {
            let statuses = filter.statuses ?? JobStatus.allCases
            let slots = (0..<5).map { $0 < statuses.count ? SQLValue.text(statuses[$0].rawValue) : .null }
            return (
                statements.jobsOfReference,
                [.integer(projectID), .text(referenceID)] + slots + [.integer(limit), .integer(offset)]
            )
        }
        guard let statuses = filter.statuses else { return nil }
        if statuses.count == 1 {
            return (
                statements.jobsOfStatus,
                [.integer(projectID), .text(statuses[0].rawValue), .integer(limit), .integer(offset)]
            )
        }
        let slots = (0..<5).map { $0 < statuses.count ? SQLValue.text(statuses[$0].rawValue) : .null }
        // Each branch needs the skipped jobs and the page; a sum past Int64 is a page past any end anyway.
        let (branchLimit, overflow) = offset.addingReportingOverflow(limit)
        return (
            statements.jobsOfStatuses,
            [.integer(projectID)] + slots
                + [.integer(overflow ? Int64.max : branchLimit), .integer(limit), .integer(offset)]
        )
    }

    /// The job with this id if it belongs to the project.
    @inlinable
    public func job(id: Int64, projectID: Int64) throws -> Job? {
        try guarded("reading job \(id)") {
            try connection.firstRow(
                Self.statements.jobInProject, [.integer(id), .integer(projectID)], decode: Self.decodeJob)
        }
    }

    /// Cancels the job if it is `scheduled` or `running`, with one conditional `UPDATE … RETURNING`: of many
    /// concurrent cancels, in this process or another, exactly one changes the row.
    ///
    /// When nothing changed, a second read tells a job in a final state (returned unchanged) from a missing one.
    /// Final states never change again, so that read cannot contradict the update.
    @inlinable
    public func cancelJob(id: Int64, projectID: Int64, at time: Int64) throws -> CancelOutcome {
        try guarded("cancelling job \(id)") { try cancelSteps(id: id, projectID: projectID, at: time) }
    }

    /// The statements of ``cancelJob(id:projectID:at:)``, in the caller's transaction or none.
    @inlinable
    func cancelSteps(id: Int64, projectID: Int64, at time: Int64) throws -> CancelOutcome {
        do {
            if let cancelled = try connection.firstRow(
                Self.statements.cancelJob, [.integer(id), .integer(projectID), .integer(time)],
                decode: Self.decodeJob)
            {
                return .cancelled(cancelled)
            }
            guard
                let job = try connection.firstRow(
                    Self.statements.jobInProject, [.integer(id), .integer(projectID)], decode: Self.decodeJob),
                // An active job here was created after the update looked (it took the next id): the cancel
                // came first, when no such job existed.
                !job.status.isCancellable
            else {
                return .notFound
            }
            return .notCancellable(job)
        }
    }

    /// Cancels under an `Idempotency-Key` (``idempotently(_:response:operation:)``).
    @inlinable
    public func cancelJob(
        id: Int64, projectID: Int64, at time: Int64, idempotency: IdempotentRequest,
        response: (CancelOutcome) -> StoredResponse?
    ) throws -> IdempotentOutcome<CancelOutcome> {
        try guarded("cancelling job \(id) under an idempotency key") {
            try idempotently(idempotency, response: response) {
                try cancelSteps(id: id, projectID: projectID, at: time)
            }
        }
    }

    /// Creates under an `Idempotency-Key` (``idempotently(_:response:operation:)``). A conflict is an answer to
    /// store, so it does not roll back: the position it took is given back instead.
    @inlinable
    public func createJob(
        _ job: NewJob, projectID: Int64, idempotency: IdempotentRequest, response: (CreateOutcome) -> StoredResponse?
    ) throws -> IdempotentOutcome<CreateOutcome> {
        try guarded("creating a job for project \(projectID) under an idempotency key") {
            try idempotently(idempotency, response: response) {
                try insertSteps(job, projectID: projectID, refusingInPlace: true, enforcingLimit: true)
            }
        }
    }

    /// Runs `operation` in one write transaction with the key: an expired row of the key is removed, then the key
    /// is taken (on PostgreSQL a concurrent holder of the key makes this wait for its end; SQLite's write lock
    /// serialises every write). A key already there replays its stored answer, or is refused for another method
    /// or path, with nothing changed. Otherwise `operation` runs and `response` of its outcome is stored with the
    /// key, or the key given back when there is nothing to store; a throw rolls everything back.
    @inlinable
    func idempotently<Outcome: Sendable>(
        _ request: IdempotentRequest, response: (Outcome) -> StoredResponse?, operation: () throws -> Outcome
    ) throws -> IdempotentOutcome<Outcome> {
        try connection.writeTransaction {
            let org = SQLValue.integer(request.organizationID)
            let key = SQLValue.text(request.key)
            try connection.run(
                Self.statements.expireIdempotencyKey,
                [org, key, .integer(request.time &- IdempotentRequest.lifetime)])
            let claimed = try connection.firstRow(
                Self.statements.claimIdempotencyKey,
                [org, key, .text(request.method), .text(request.path), .integer(request.time)]
            ) { $0.int64(at: 0) }
            guard claimed != nil else {
                let stored = try connection.firstRow(Self.statements.idempotencyKey, [org, key]) {
                    row -> IdempotentOutcome<Outcome> in
                    guard row.text(at: 0) == request.method, row.text(at: 1) == request.path else { return .keyReused }
                    guard let status = row.optionalInt64(at: 2) else { return .inProgress }
                    return .replayed(
                        StoredResponse(status: Int(status), body: row.withTextBytes(at: 3) { Array($0) }))
                }
                return stored ?? .inProgress
            }
            let outcome = try operation()
            if let stored = response(outcome) {
                try connection.run(
                    Self.statements.recordIdempotentResponse,
                    [org, key, .integer(Int64(stored.status)), .text(String(decoding: stored.body, as: UTF8.self))])
            } else {
                try connection.run(Self.statements.releaseIdempotencyKey, [org, key])
            }
            return .performed(outcome)
        }
    }

    /// Stores a new job unless the project has an active job with the same action and reference id
    /// (``insert(_:projectID:)``).
    @inlinable
    public func createJob(_ job: NewJob, projectID: Int64) throws -> CreateOutcome {
        try insert(job, projectID: projectID, enforcingLimit: true)
    }

    /// Inserts `job` at the project's next position in one write transaction. Taking the position first takes
    /// the lock every creation and import in the project takes first (SQLite's write lock, PostgreSQL's row lock
    /// on the project), so the active-job read that follows sees every job stored before and none can be stored
    /// until the commit: an active job with the same action and reference id means a conflict, and the
    /// transaction rolls back (no position is used up). On PostgreSQL the `jobs_one_active` unique index backs
    /// the read; SQLite's single writer makes the read and the insert one step (its schema version 7).
    ///
    /// With `enforcingLimit` (a creation, not an import), an active job is refused while the project's
    /// organization holds its ``Organization/activeJobLimit`` of active jobs already (read under the same lock).
    @inlinable
    func insert(_ job: NewJob, projectID: Int64, enforcingLimit: Bool) throws -> CreateOutcome {
        try refusableWrite("creating a job for project \(projectID)") {
            try insertSteps(job, projectID: projectID, refusingInPlace: false, enforcingLimit: enforcingLimit)
        }
    }

    /// The statements of ``insert(_:projectID:)`` inside the caller's write transaction. A conflict throws a
    /// ``Refusal`` (rolling back), or with `refusingInPlace` gives the position back and returns it, so that the
    /// transaction may still commit what else it wrote.
    @inlinable
    func insertSteps(_ job: NewJob, projectID: Int64, refusingInPlace: Bool, enforcingLimit: Bool) throws
        -> CreateOutcome
    {
        do {
            guard
                let (position, limit) = try connection.firstRow(
                    Self.statements.takePosition, [.integer(projectID)],
                    decode: { row in (row.int64(at: 0), row.optionalInt64(at: 1)) })
            else {
                throw StoreError(.invalid, "No project with id \(projectID)")
            }
            var refusal: CreateOutcome?
            if job.status.isCancellable,
                let existingID = try connection.firstRow(
                    Self.statements.activeJobID,
                    [.integer(projectID), .text(job.action.rawValue), .text(job.referenceID)], decode: Self.decodeID)
            {
                refusal = .conflict(existingJobID: existingID)
            } else if job.status.isCancellable, enforcingLimit, let limit,
                try connection.firstRow(
                    Self.statements.activeJobsInOrganization, [.integer(projectID), .integer(limit)],
                    decode: Self.decodeID) ?? 0 >= limit
            {
                refusal = .limitReached(limit: limit)
            }
            if let refusal {
                guard refusingInPlace else { throw Refusal(refusal) }
                _ = try connection.firstRow(
                    Self.statements.takePositions, [.integer(projectID), .integer(-1)], decode: Self.decodeID)
                return refusal
            }
            guard
                let created = try connection.firstRow(
                    Self.statements.insertJob, Self.insertBindings(job, projectID: projectID, position: position),
                    decode: Self.decodeJob)
            else {
                throw StoreError(.internal, "Inserting a job returned no row")
            }
            return .created(created)
        }
    }
}
