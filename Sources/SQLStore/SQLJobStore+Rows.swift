import JobsCore

extension SQLJobStore {
    /// A job from a row of ``SQLStatements/jobColumns``.
    @inlinable
    public static func decodeJob(_ row: Connection.Row) throws -> Job {
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

    /// A project from a row of ``SQLStatements/projectColumns``.
    @inlinable
    public static func decodeProject(_ row: Connection.Row) throws -> Project {
        let id = row.int64(at: 0)
        let keyText = row.text(at: 2)
        guard let key = ProjectKey(keyText) else {
            throw StoreError(.internal, "Project \(id) has a malformed key \(String(reflecting: keyText))")
        }
        return Project(
            id: id, organizationID: row.int64(at: 1), key: key, name: row.text(at: 3), createdAt: row.int64(at: 4))
    }

    /// An API key record from a row of ``SQLStatements/apiKeyColumns``.
    @inlinable
    public static func decodeAPIKey(_ row: Connection.Row) -> APIKeyRecord {
        APIKeyRecord(
            id: row.int64(at: 0), organizationID: row.int64(at: 1), hint: row.text(at: 2),
            createdAt: row.int64(at: 3), revokedAt: row.optionalInt64(at: 4), expiresAt: row.optionalInt64(at: 5))
    }

    /// An organization from ``SQLStatements/organizationColumns``.
    @inlinable
    public static func decodeOrganization(_ row: Connection.Row) -> Organization {
        Organization(
            id: row.int64(at: 0), name: row.text(at: 1), createdAt: row.int64(at: 2),
            activeJobLimit: row.optionalInt64(at: 3))
    }

    /// The first column as an integer.
    @inlinable
    static func decodeID(_ row: Connection.Row) -> Int64 {
        row.int64(at: 0)
    }

    /// The bindings of ``SQLStatements/insertJob`` for `job` at `position` in `projectID`.
    @inlinable
    public static func insertBindings(_ job: NewJob, projectID: Int64, position: Int64) -> [SQLValue] {
        [
            .text(job.description), .text(job.status.rawValue), .integer(projectID), .text(job.action.rawValue),
            .text(job.referenceID), .integer(job.createdAt), .integer(orNull: job.updatedAt),
            .integer(job.startAt), .text(orNull: job.errors), .integer(position),
        ]
    }
}

/// A row of ``SQLStatements/jobColumns`` read in place for ``JSONWriter/job(_:)``: the JSON object of the job
/// that ``SQLJobStore/decodeJob(_:)`` reads from it, byte for byte, with no `Job` and no `String` (unless a text
/// is not ASCII, see ``JSONWriter/string(utf8:)``).
public struct JobRow<Row: SQLRow>: JobJSONFields {
    /// The row, positioned on the job.
    public let row: Row

    /// The job in `row`.
    @inlinable
    public init(_ row: Row) {
        self.row = row
    }

    /// The field's column.
    @inlinable
    public func integer(_ field: JobIntegerField) -> Int64 {
        switch field {
        case .id: row.int64(at: 0)
        case .projectID: row.int64(at: 3)
        case .createdAt: row.int64(at: 6)
        case .startAt: row.int64(at: 8)
        }
    }

    /// Column 7, `NULL` as `nil`.
    @inlinable
    public var updatedAt: Int64? { row.optionalInt64(at: 7) }

    /// Appends the field's column bytes as a JSON string. Throws as ``SQLJobStore/decodeJob(_:)`` does for an
    /// unknown status.
    @inlinable
    public func writeText(_ field: JobTextField, to writer: inout JSONWriter) throws {
        switch field {
        case .description: row.withTextBytes(at: 1) { writer.string(utf8: $0) }
        case .status:
            try row.withTextBytes(at: 2) { status in
                guard JobStatus.isName(status) else {
                    let statusText = String(decoding: status, as: UTF8.self)
                    throw StoreError(
                        .internal,
                        "Job \(row.int64(at: 0)) has an unknown status \(String(reflecting: statusText))")
                }
                writer.string(utf8: status)
            }
        case .action: row.withTextBytes(at: 4) { writer.string(utf8: $0) }
        case .referenceID: row.withTextBytes(at: 5) { writer.string(utf8: $0) }
        case .errors:
            if row.isNull(at: 9) {
                writer.raw("null")
            } else {
                row.withTextBytes(at: 9) { writer.string(utf8: $0) }
            }
        }
    }
}
