extension JobStore {
    /// Writes the page of ``JobStore/jobs(projectID:limit:offset:)`` with ``Job/write(_:to:)``: the behaviour
    /// every store must match when it writes its rows itself.
    public func writeJobs(projectID: Int64, limit: Int, offset: Int64, to writer: inout JSONWriter) throws {
        Job.write(try jobs(projectID: projectID, limit: limit, offset: offset), to: &writer)
    }

    /// Writes the page of ``JobStore/jobs(projectID:filter:limit:offset:)`` with ``Job/write(_:to:)``.
    public func writeJobs(projectID: Int64, filter: JobFilter, limit: Int, offset: Int64, to writer: inout JSONWriter)
        throws
    {
        Job.write(try jobs(projectID: projectID, filter: filter, limit: limit, offset: offset), to: &writer)
    }
}
