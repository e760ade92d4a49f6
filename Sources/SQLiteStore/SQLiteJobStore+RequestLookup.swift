import JobsCore

extension SQLiteJobStore.SQL {
    /// The key, the project and the job of a request in one statement: three unique-index lookups, one read
    /// transaction. The job's columns come first, in ``jobColumns`` order (the same names, qualified), so ``SQLiteJobStore/decodeJob(_:)``
    /// reads them as it reads any job; then the project's id, then the key's id and organization. `?2` or `?3`
    /// `NULL` leaves the project or the job out (a `LEFT JOIN` on `NULL` finds nothing).
    static let requestLookup = SQLiteQuery(
        """
            SELECT j.id, j.description, j.status, j.project_id, j.action, j.reference_id, j.created_at,
                j.updated_at, j.start_at, j.errors, p.id, k.id, k.org_id
            FROM api_keys AS k
            LEFT JOIN projects AS p ON p.project_key = ?2 AND p.org_id = k.org_id
            LEFT JOIN jobs AS j ON j.id = ?3 AND j.project_id = p.id
            WHERE k.key_hash = ?1 AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > ?4)
            """)
}

extension SQLiteJobStore {
    /// One statement instead of three (``SQL/requestLookup``): a request pays for one read transaction — one
    /// lock on the file and one look at the WAL — where three autocommit lookups paid for three.
    public func lookUp(keyHash: APIKeyHash, projectKey: ProjectKey?, jobID: Int64?, at time: Int64) throws
        -> RequestLookup
    {
        try guarded("looking up an API key, project and job") {
            let lookup = try connection.firstRow(
                SQL.requestLookup,
                [.blob(keyHash.bytes), .text(orNull: projectKey?.rawValue), .integer(orNull: jobID), .integer(time)]
            ) { row -> RequestLookup in
                let principal = Principal(keyID: row.int64(at: 11), organizationID: row.int64(at: 12))
                guard let projectID = row.optionalInt64(at: 10) else { return RequestLookup(principal: principal) }
                let job = row.isNull(at: 0) ? nil : try Self.decodeJob(row)
                return RequestLookup(principal: principal, projectID: projectID, job: job)
            }
            return lookup ?? RequestLookup(principal: nil)
        }
    }
}
