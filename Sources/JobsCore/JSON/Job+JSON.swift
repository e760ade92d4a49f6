extension Job {
    /// Writes the job as the API shows it: exactly ten keys, in the contract's order.
    public func write(to writer: inout JSONWriter) {
        writer.raw("{")
        writer.key("jobId"); writer.integer(id)
        writer.raw(","); writer.key("description"); writer.string(description)
        writer.raw(","); writer.key("status"); writer.string(status.rawValue)
        writer.raw(","); writer.key("projectId"); writer.integer(projectID)
        writer.raw(","); writer.key("action"); writer.string(action.rawValue)
        writer.raw(","); writer.key("referenceId"); writer.string(referenceID)
        writer.raw(","); writer.key("createdAt"); writer.integer(createdAt)
        writer.raw(","); writer.key("updatedAt"); writer.integer(updatedAt)
        writer.raw(","); writer.key("startAt"); writer.integer(startAt)
        writer.raw(","); writer.key("errors"); writer.string(errors)
        writer.raw("}")
    }

    /// The job's JSON object as text.
    public var jsonText: String {
        var writer = JSONWriter()
        write(to: &writer)
        return writer.text
    }
}
