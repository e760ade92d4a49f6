/// A job's fields as the API writes them, read from a ``Job`` or in place from a store's row.
///
/// ``JSONWriter/job(_:)`` is the one writer of a job's JSON object: a job written from memory and a list page
/// streamed from a store's rows go through it, so the two cannot drift apart.
public protocol JobJSONFields {
    /// What reading a text field can throw: `Never` for a ``Job``, a store's error for a row.
    associatedtype Failure: Error

    /// The value of an integer field that is never missing.
    func integer(_ field: JobIntegerField) -> Int64
    /// `updatedAt`, `nil` until the job first changes.
    var updatedAt: Int64? { get }
    /// Appends the text field as a JSON string (`null` for missing `errors`). Throws for a status that is not the
    /// name of a ``JobStatus``.
    func writeText(_ field: JobTextField, to writer: inout JSONWriter) throws(Failure)
}

/// The integer fields of a job that are never missing.
public enum JobIntegerField: Sendable {
    case id, projectID, createdAt, startAt
}

/// The text fields of a job.
public enum JobTextField: Sendable {
    case description, status, action, referenceID, errors
}

extension JSONWriter {
    /// Appends the job's JSON object as the API shows it: exactly ten keys, in the contract's order.
    @inlinable
    public mutating func job<Fields: JobJSONFields>(_ fields: Fields) throws(Fields.Failure) {
        // Punctuation and key in one piece each: one append instead of three.
        raw("{\"jobId\":"); integer(fields.integer(.id))
        raw(",\"description\":"); try fields.writeText(.description, to: &self)
        raw(",\"status\":"); try fields.writeText(.status, to: &self)
        raw(",\"projectId\":"); integer(fields.integer(.projectID))
        raw(",\"action\":"); try fields.writeText(.action, to: &self)
        raw(",\"referenceId\":"); try fields.writeText(.referenceID, to: &self)
        raw(",\"createdAt\":"); integer(fields.integer(.createdAt))
        raw(",\"updatedAt\":"); integer(fields.updatedAt)
        raw(",\"startAt\":"); integer(fields.integer(.startAt))
        raw(",\"errors\":"); try fields.writeText(.errors, to: &self)
        raw("}")
    }
}

extension Job: JobJSONFields {
    /// The field's value.
    public func integer(_ field: JobIntegerField) -> Int64 {
        switch field {
        case .id: id
        case .projectID: projectID
        case .createdAt: createdAt
        case .startAt: startAt
        }
    }

    /// Appends the field as a JSON string; never throws.
    public func writeText(_ field: JobTextField, to writer: inout JSONWriter) {
        switch field {
        case .description: writer.string(description)
        case .status: writer.string(status.rawValue)
        case .action: writer.string(action.rawValue)
        case .referenceID: writer.string(referenceID)
        case .errors: writer.string(errors)
        }
    }

    /// Writes the job as the API shows it (``JSONWriter/job(_:)``).
    public func write(to writer: inout JSONWriter) {
        writer.job(self)
    }

    /// Writes `jobs` as a JSON array of the objects ``write(to:)`` writes.
    public static func write(_ jobs: [Job], to writer: inout JSONWriter) {
        writer.raw("[")
        for (index, job) in jobs.enumerated() {
            if index > 0 { writer.raw(",") }
            job.write(to: &writer)
        }
        writer.raw("]")
    }

    /// The job's JSON object as text.
    public var jsonText: String {
        var writer = JSONWriter()
        write(to: &writer)
        return writer.text
    }
}

extension JobStatus {
    /// Whether `bytes` are exactly the name of a status, compared without making a `String`.
    @inlinable
    public static func isName(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
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
}
