/// What a request needs from the store before it acts, read at once: who the API key stands for, the project
/// named in the path and the job named in the path. Each part is present only when the part before it was found
/// and the request asked for it.
public struct RequestLookup: Sendable, Equatable {
    /// The organization and key behind the key hash; `nil` for a key that does not exist, is revoked or expired.
    public var principal: Principal?
    /// The id of the project with the requested key, if it belongs to the principal's organization.
    public var projectID: Int64?
    /// The requested job, if it belongs to that project.
    public var job: Job?

    /// A lookup that found what is given; `nil` parts were not found or not asked for.
    public init(principal: Principal?, projectID: Int64? = nil, job: Job? = nil) {
        self.principal = principal
        self.projectID = projectID
        self.job = job
    }
}

extension JobStore {
    /// Asks ``principal(forKeyHash:at:)``, then ``project(key:organizationID:)``, then ``job(id:projectID:)``, each
    /// only when the one before found something and the request named the next part: three lookups, for a
    /// store that has no cheaper way (see ``JobStore/lookUp(keyHash:projectKey:jobID:at:)``).
    package func lookUpInTurn(keyHash: APIKeyHash, projectKey: ProjectKey?, jobID: Int64?, at time: Int64) throws
        -> RequestLookup
    {
        guard let principal = try principal(forKeyHash: keyHash, at: time) else { return RequestLookup(principal: nil) }
        guard let projectKey, let project = try project(key: projectKey, organizationID: principal.organizationID)
        else { return RequestLookup(principal: principal) }
        guard let jobID else { return RequestLookup(principal: principal, projectID: project.id) }
        return RequestLookup(principal: principal, projectID: project.id, job: try job(id: jobID, projectID: project.id))
    }

    /// By default, ``lookUpInTurn(keyHash:projectKey:jobID:at:)``.
    public func lookUp(keyHash: APIKeyHash, projectKey: ProjectKey?, jobID: Int64?, at time: Int64) throws
        -> RequestLookup
    {
        try lookUpInTurn(keyHash: keyHash, projectKey: projectKey, jobID: jobID, at: time)
    }
}
