import JobsCore

extension SQLJobStore {
    /// Claims up to `limit` due jobs for `owner` with one `UPDATE … RETURNING` (``SQLDialect/claimDueJobs``): of
    /// any number of workers claiming at once, in this process or others, each job goes to exactly one. Due
    /// `scheduled` jobs become `running` with `updatedAt = now`; `running` jobs whose lease ended before `now`, or
    /// that have none, are taken over as they are. Only jobs of `actions` are claimed. The result is ordered
    /// oldest `startAt` first, then by id. A `limit` of 0 or less, or no action, claims nothing.
    @inlinable
    public func claimDueJobs(owner: String, now: Int64, leaseUntil: Int64, limit: Int, actions: [JobAction]) throws
        -> [ClaimedJob]
    {
        guard limit > 0, !actions.isEmpty else { return [] }
        return try guarded("claiming due jobs for \(owner)") {
            let claimed = try connection.rows(
                Self.statements.claimDueJobs,
                [
                    .text(owner), .integer(now), .integer(leaseUntil), .integer(Int64(limit)),
                    Self.actionList(actions),
                ]
            ) { row in
                let job = try Self.decodeJob(row)
                let keyText = row.text(at: 10)
                guard let key = ProjectKey(keyText) else {
                    throw StoreError(
                        .internal, "Project \(job.projectID) has a malformed key \(String(reflecting: keyText))")
                }
                return ClaimedJob(job: job, projectKey: key, leaseExpiresAt: leaseUntil)
            }
            // RETURNING hands rows back in no particular order; the candidates were chosen in this one.
            return claimed.sorted { ($0.job.startAt, $0.job.id) < ($1.job.startAt, $1.job.id) }
        }
    }

    /// Extends the lease with one conditional update fenced on the job being `running` under `owner`. When it
    /// is not, the job as it is now (cancelled, finished, taken over) or `nil` if it does not exist: a job that
    /// left `owner` never comes back to it, so that read cannot contradict the update.
    @inlinable
    public func renewLease(jobID: Int64, owner: String, until: Int64) throws -> LeaseRenewal {
        try guarded("renewing the lease of \(owner) on job \(jobID)") {
            if let renewed = try connection.firstRow(
                Self.statements.renewLease, [.integer(jobID), .text(owner), .integer(until)], decode: Self.decodeID)
            {
                return .renewed(until: renewed)
            }
            return .lost(try connection.firstRow(Self.statements.job, [.integer(jobID)], decode: Self.decodeJob))
        }
    }

    /// Ends the job as `completed` or `failed` and drops its lease, with one conditional update fenced on the
    /// job being `running` under `owner`; `nil` when it is not (cancelled, taken over), and nothing changes.
    /// Throws ``StoreError/Kind-swift.enum/invalid`` for any other status.
    @inlinable
    public func finishJob(id: Int64, owner: String, status: JobStatus, errors: String?, at time: Int64) throws
        -> Job?
    {
        guard status == .completed || status == .failed else {
            throw StoreError(.invalid, "A job cannot be finished as \(status.rawValue); only completed or failed")
        }
        return try guarded("finishing job \(id) of \(owner) as \(status.rawValue)") {
            try connection.firstRow(
                Self.statements.finishJob,
                [
                    .integer(id), .text(owner), .text(status.rawValue),
                    .text(orNull: errors.map(Self.storable(errors:))), .integer(time),
                ],
                decode: Self.decodeJob)
        }
    }

    /// Drops the lease on a job still `running` under `owner`, fenced like ``finishJob(id:owner:status:errors:at:)``.
    /// The job stays `running` without a lease, which the next claim takes over at once; `owner` can no longer
    /// renew or finish it. Returns whether the lease was `owner`'s to drop.
    @inlinable
    public func releaseLease(jobID: Int64, owner: String) throws -> Bool {
        try guarded("releasing the lease of \(owner) on job \(jobID)") {
            try connection.firstRow(
                Self.statements.releaseLease, [.integer(jobID), .text(owner)], decode: Self.decodeID) != nil
        }
    }

    /// The owners of the leases unexpired at `now`, read with one range of the `jobs_leased` partial index.
    @inlinable
    public func leaseOwners(now: Int64) throws -> [String] {
        try guarded("reading the lease owners") {
            try connection.rows(Self.statements.leaseOwners, [.integer(now)]) { row in row.text(at: 0) }
        }
    }

    /// Drops every lease of `owner` unexpired at `now` with one update; the ids of the jobs it held, in order.
    @inlinable
    public func releaseLeases(owner: String, now: Int64) throws -> [Int64] {
        try guarded("releasing the leases of \(owner)") {
            try connection.rows(
                Self.statements.releaseOwnerLeases, [.text(owner), .integer(now)], decode: Self.decodeID
            ).sorted()
        }
    }
}
