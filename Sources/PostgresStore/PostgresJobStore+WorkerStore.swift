import JobsCore

extension PostgresJobStore {
    /// Claims up to `limit` due jobs for `owner` with one `UPDATE … RETURNING` whose candidates are locked with
    /// `FOR UPDATE SKIP LOCKED` (``SQL/claimDueJobs``): of any number of workers claiming at once, on any host,
    /// each job goes to exactly one, and none waits for another. Due `scheduled` jobs become `running` with
    /// `updatedAt = now`; `running` jobs whose lease ended before `now`, or that have none, are taken over as
    /// they are. Only jobs of `actions` are claimed. The result is ordered oldest `startAt` first, then by id. A
    /// `limit` of 0 or less, or no action, claims nothing.
    public func claimDueJobs(owner: String, now: Int64, leaseUntil: Int64, limit: Int, actions: [JobAction]) throws
        -> [ClaimedJob]
    {
        guard limit > 0, !actions.isEmpty else { return [] }
        return try guarded("claiming due jobs for \(owner)") {
            let claimed = try connection.rows(
                SQL.claimDueJobs,
                [
                    .text(owner), .integer(now), .integer(leaseUntil), .integer(Int64(limit)),
                    .text(Self.arrayLiteral(actions.map(\.rawValue))),
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
            return claimed.sorted { ($0.job.startAt, $0.job.id) < ($1.job.startAt, $1.job.id) }
        }
    }

    /// `{"a","b"}`: PostgreSQL's text form of a `text[]`, each element quoted (`"` and `\` escaped).
    static func arrayLiteral(_ elements: [String]) -> String {
        let quoted = elements.map { element in
            var text = "\""
            for character in element {
                if character == "\"" || character == "\\" { text.append("\\") }
                text.append(character)
            }
            return text + "\""
        }
        return "{" + quoted.joined(separator: ",") + "}"
    }

    /// Extends the lease with one conditional update fenced on the job being `running` under `owner`. When it
    /// is not, the job as it is now (cancelled, finished, taken over) or `nil` if it does not exist.
    public func renewLease(jobID: Int64, owner: String, until: Int64) throws -> LeaseRenewal {
        try guarded("renewing the lease of \(owner) on job \(jobID)") {
            if let renewed = try connection.firstRow(
                SQL.renewLease, [.integer(jobID), .text(owner), .integer(until)], decode: { $0.int64(at: 0) })
            {
                return .renewed(until: renewed)
            }
            return .lost(try connection.firstRow(SQL.job, [.integer(jobID)], decode: Self.decodeJob))
        }
    }

    /// Ends the job as `completed` or `failed` and drops its lease, with one conditional update fenced on the
    /// job being `running` under `owner`; `nil` when it is not, and nothing changes. NUL characters in `errors`
    /// (which PostgreSQL's text cannot hold) are stored as U+FFFD. Throws ``StoreError/Kind-swift.enum/invalid``
    /// for any status but `completed` and `failed`.
    public func finishJob(id: Int64, owner: String, status: JobStatus, errors: String?, at time: Int64) throws
        -> Job?
    {
        guard status == .completed || status == .failed else {
            throw StoreError(.invalid, "A job cannot be finished as \(status.rawValue); only completed or failed")
        }
        let storable = errors.map { text in
            text.utf8.contains(0)
                ? String(String.UnicodeScalarView(text.unicodeScalars.map { $0 == "\0" ? "\u{FFFD}" : $0 })) : text
        }
        return try guarded("finishing job \(id) of \(owner) as \(status.rawValue)") {
            try connection.firstRow(
                SQL.finishJob,
                [.integer(id), .text(owner), .text(status.rawValue), .text(orNull: storable), .integer(time)],
                decode: Self.decodeJob)
        }
    }

    /// Drops the lease on a job still `running` under `owner`, fenced like ``finishJob(id:owner:status:errors:at:)``.
    /// The job stays `running` without a lease, which the next claim takes over at once. Returns whether the
    /// lease was `owner`'s to drop.
    public func releaseLease(jobID: Int64, owner: String) throws -> Bool {
        try guarded("releasing the lease of \(owner) on job \(jobID)") {
            try connection.firstRow(SQL.releaseLease, [.integer(jobID), .text(owner)]) { $0.int64(at: 0) } != nil
        }
    }
}
