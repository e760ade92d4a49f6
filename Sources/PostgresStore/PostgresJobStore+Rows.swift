import JobsCore

extension PostgresJobStore {
    /// A job from a row of ``SQL/jobColumns``.
    static func decodeJob(_ row: PostgresRow) throws -> Job {
        let id = row.int64(at: 0)
        let statusText = row.text(at: 2)
        guard let status = JobStatus(rawValue: statusText) else {
            // The CHECK constraint keeps other values out; only a store edited around it gets here.
            throw StoreError(.internal, "Job \(id) has an unknown status \(String(reflecting: statusText))")
        }
        return Job(
            id: id, description: row.text(at: 1), status: status, projectID: row.int64(at: 3),
            action: JobAction(rawValue: row.text(at: 4)), referenceID: row.text(at: 5),
            createdAt: row.int64(at: 6), updatedAt: row.optionalInt64(at: 7), startAt: row.int64(at: 8),
            errors: row.optionalText(at: 9))
    }

    /// A project from a row of ``SQL/projectColumns``.
    static func decodeProject(_ row: PostgresRow) throws -> Project {
        let id = row.int64(at: 0)
        let keyText = row.text(at: 2)
        guard let key = ProjectKey(keyText) else {
            throw StoreError(.internal, "Project \(id) has a malformed key \(String(reflecting: keyText))")
        }
        return Project(
            id: id, organizationID: row.int64(at: 1), key: key, name: row.text(at: 3), createdAt: row.int64(at: 4))
    }

    /// An API key record from a row of ``SQL/apiKeyColumns``.
    static func decodeAPIKey(_ row: PostgresRow) -> APIKeyRecord {
        APIKeyRecord(
            id: row.int64(at: 0), organizationID: row.int64(at: 1), hint: row.text(at: 2),
            createdAt: row.int64(at: 3), revokedAt: row.optionalInt64(at: 4), expiresAt: row.optionalInt64(at: 5))
    }

    /// An organization from `id, name, created_at`.
    static func decodeOrganization(_ row: PostgresRow) -> Organization {
        Organization(id: row.int64(at: 0), name: row.text(at: 1), createdAt: row.int64(at: 2))
    }

    /// The parameters $1…$9 of ``SQL/insertJob`` for `job`, followed by the project ($10).
    static func insertParameters(_ job: NewJob, projectID: Int64) -> [PostgresValue] {
        [
            .text(job.description), .text(job.status.rawValue), .text(job.action.rawValue), .text(job.referenceID),
            .integer(job.createdAt), .integer(orNull: job.updatedAt), .integer(job.startAt), .text(orNull: job.errors),
            .integer(projectID),
        ]
    }
}
