import JobsCore

extension PostgresJobStore {
    /// Creates the organization.
    public func createOrganization(name: String, at time: Int64) throws -> Organization {
        try guarded("creating an organization") {
            guard
                let organization = try connection.firstRow(
                    SQL.insertOrganization, [.text(name), .integer(time)], decode: Self.decodeOrganization)
            else {
                throw StoreError(.internal, "Inserting an organization returned no row")
            }
            return organization
        }
    }

    /// The organization with this id, if any.
    public func organization(id: Int64) throws -> Organization? {
        try guarded("reading organization \(id)") {
            try connection.firstRow(SQL.organization, [.integer(id)], decode: Self.decodeOrganization)
        }
    }

    /// Stores a key's hash and hint for the organization. Throws `.conflict` when a key with this hash exists
    /// already and `.invalid` when the organization does not exist.
    public func createAPIKey(organizationID: Int64, hash: APIKeyHash, hint: String, at time: Int64) throws
        -> APIKeyRecord
    {
        try guarded("creating an API key for organization \(organizationID)") {
            do {
                guard
                    let record = try connection.firstRow(
                        SQL.insertAPIKey,
                        [.integer(organizationID), .bytea(hash.bytes), .text(hint), .integer(time)],
                        decode: Self.decodeAPIKey)
                else {
                    throw StoreError(.internal, "Inserting an API key returned no row")
                }
                return record
            } catch let error as PostgresError where error.isUniquenessViolation {
                throw StoreError(.conflict, "An API key with this hash exists already")
            } catch let error as PostgresError where error.isForeignKeyViolation {
                throw StoreError(.invalid, "No organization with id \(organizationID)")
            }
        }
    }

    /// The organization's keys, revoked ones included, oldest first.
    public func apiKeys(organizationID: Int64) throws -> [APIKeyRecord] {
        try guarded("listing the API keys of organization \(organizationID)") {
            try connection.rows(SQL.apiKeys, [.integer(organizationID)], decode: Self.decodeAPIKey)
        }
    }

    /// Revokes the key in one statement; a key revoked before keeps its first revocation time. `nil` when no
    /// key has this id.
    public func revokeAPIKey(id: Int64, at time: Int64) throws -> APIKeyRecord? {
        try guarded("revoking API key \(id)") {
            try connection.firstRow(SQL.revokeAPIKey, [.integer(id), .integer(time)], decode: Self.decodeAPIKey)
        }
    }

    /// Creates a project. Throws `.conflict` ("Project key … is taken") when the key is taken and `.invalid`
    /// when the organization does not exist.
    public func createProject(organizationID: Int64, key: ProjectKey, name: String, at time: Int64) throws
        -> Project
    {
        try guarded("creating project \(key)") {
            do {
                guard
                    let project = try connection.firstRow(
                        SQL.insertProject,
                        [.integer(organizationID), .text(key.rawValue), .text(name), .integer(time)],
                        decode: Self.decodeProject)
                else {
                    throw StoreError(.internal, "Inserting a project returned no row")
                }
                return project
            } catch let error as PostgresError where error.isUniquenessViolation {
                throw StoreError(.conflict, "Project key \(key) is taken")
            } catch let error as PostgresError where error.isForeignKeyViolation {
                throw StoreError(.invalid, "No organization with id \(organizationID)")
            }
        }
    }

    /// The project with this key, whatever its organization.
    public func project(key: ProjectKey) throws -> Project? {
        try guarded("looking up project \(key)") {
            try connection.firstRow(SQL.project, [.text(key.rawValue)], decode: Self.decodeProject)
        }
    }

    /// The job with this id, whatever its project.
    public func job(id: Int64) throws -> Job? {
        try guarded("reading job \(id)") {
            try connection.firstRow(SQL.job, [.integer(id)], decode: Self.decodeJob)
        }
    }

    /// Up to `limit` jobs of the project with an id above `afterID`, in ascending id order, only those in
    /// `status` when it is given. A `limit` of 0 or less gives no jobs.
    public func jobs(projectID: Int64, status: JobStatus?, afterID: Int64, limit: Int) throws -> [Job] {
        guard limit > 0 else { return [] }
        return try guarded("listing the jobs of project \(projectID)") {
            try connection.rows(
                SQL.jobsAfter,
                [.integer(projectID), .integer(afterID), .text(orNull: status?.rawValue), .integer(Int64(limit))],
                decode: Self.decodeJob)
        }
    }

    /// Stores a job as it is, whatever its status, for imports, at the end of the project's list. A `scheduled`
    /// or `running` job follows the same one-active-job rule as ``createJob(_:projectID:)``.
    public func importJob(_ job: NewJob, projectID: Int64) throws -> CreateOutcome {
        try insert(job, projectID: projectID)
    }
}
