extension Job {
    /// Writes the job as the API shows it: exactly ten keys, in the contract's order.
    public func write(to writer: inout JSONWriter) {
        // Punctuation and key in one piece each: one append instead of three.
        writer.raw("{\"jobId\":"); writer.integer(id)
        writer.raw(",\"description\":"); writer.string(description)
        writer.raw(",\"status\":"); writer.string(status.rawValue)
        writer.raw(",\"projectId\":"); writer.integer(projectID)
        writer.raw(",\"action\":"); writer.string(action.rawValue)
        writer.raw(",\"referenceId\":"); writer.string(referenceID)
        writer.raw(",\"createdAt\":"); writer.integer(createdAt)
        writer.raw(",\"updatedAt\":"); writer.integer(updatedAt)
        writer.raw(",\"startAt\":"); writer.integer(startAt)
        writer.raw(",\"errors\":"); writer.string(errors)
        writer.raw("}")
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
