import JobsCore

extension SQLiteJobStore {
    /// A job from a row of ``SQL/jobColumns``.
    static func decodeJob(_ row: SQLiteStatement) throws -> Job {
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

    /// Writes a row of ``SQL/jobColumns`` as the JSON object ``Job/write(to:)`` writes for the job that
    /// ``decodeJob(_:)`` reads from it, byte for byte, straight from the column bytes: no `Job`, no `String`
    /// (unless a text is not ASCII, see ``JSONWriter/string(utf8:)``). Throws as ``decodeJob(_:)`` does for an
    /// unknown status.
    static func writeJob(_ row: SQLiteStatement, to writer: inout JSONWriter) throws {
        let id = row.int64(at: 0)
        writer.raw("{\"jobId\":"); writer.integer(id)
        writer.raw(",\"description\":"); row.withTextBytes(at: 1) { writer.string(utf8: $0) }
        writer.raw(",\"status\":")
        try row.withTextBytes(at: 2) { status in
            guard isStatusName(status) else {
                let statusText = String(decoding: status, as: UTF8.self)
                throw StoreError(.internal, "Job \(id) has an unknown status \(String(reflecting: statusText))")
            }
            writer.string(utf8: status)
        }
        writer.raw(",\"projectId\":"); writer.integer(row.int64(at: 3))
        writer.raw(",\"action\":"); row.withTextBytes(at: 4) { writer.string(utf8: $0) }
        writer.raw(",\"referenceId\":"); row.withTextBytes(at: 5) { writer.string(utf8: $0) }
        writer.raw(",\"createdAt\":"); writer.integer(row.int64(at: 6))
        writer.raw(",\"updatedAt\":"); writer.integer(row.optionalInt64(at: 7))
        writer.raw(",\"startAt\":"); writer.integer(row.int64(at: 8))
        writer.raw(",\"errors\":")
        if row.isNull(at: 9) {
            writer.raw("null")
        } else {
            row.withTextBytes(at: 9) { writer.string(utf8: $0) }
        }
        writer.raw("}")
    }

    /// Whether `bytes` are exactly the name of a ``JobStatus``, compared without making a `String`.
    static func isStatusName(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        // Called with names as long as `bytes`.
        func equals(_ name: StaticString) -> Bool {
            let characters = name.utf8Start
            for index in 0..<bytes.count where bytes[index] != characters[index] { return false }
            return true
        }
        switch bytes.count {
        case 6: return equals("failed")
        case 7: return equals("running")
        case 9: return equals("scheduled") || equals("completed") || equals("cancelled")
        default: return false
        }
    }

    /// A project from a row of ``SQL/projectColumns``.
    static func decodeProject(_ row: SQLiteStatement) throws -> Project {
        let id = row.int64(at: 0)
        let keyText = row.text(at: 2)
        guard let key = ProjectKey(keyText) else {
            throw StoreError(.internal, "Project \(id) has a malformed key \(String(reflecting: keyText))")
        }
        return Project(
            id: id, organizationID: row.int64(at: 1), key: key, name: row.text(at: 3), createdAt: row.int64(at: 4))
    }

    /// An API key record from a row of ``SQL/apiKeyColumns``.
    static func decodeAPIKey(_ row: SQLiteStatement) -> APIKeyRecord {
        APIKeyRecord(
            id: row.int64(at: 0), organizationID: row.int64(at: 1), hint: row.text(at: 2),
            createdAt: row.int64(at: 3), revokedAt: row.optionalInt64(at: 4), expiresAt: row.optionalInt64(at: 5))
    }

    /// An organization from `id, name, created_at`.
    static func decodeOrganization(_ row: SQLiteStatement) -> Organization {
        Organization(id: row.int64(at: 0), name: row.text(at: 1), createdAt: row.int64(at: 2))
    }

    /// The bindings of ``SQL/insertJob`` for `job` at `position` in `projectID`.
    static func insertBindings(_ job: NewJob, projectID: Int64, position: Int64) -> [SQLiteValue] {
        [
            .text(job.description), .text(job.status.rawValue), .integer(projectID), .text(job.action.rawValue),
            .text(job.referenceID), .integer(job.createdAt), .integer(orNull: job.updatedAt),
            .integer(job.startAt), .text(orNull: job.errors), .integer(position),
        ]
    }
}
