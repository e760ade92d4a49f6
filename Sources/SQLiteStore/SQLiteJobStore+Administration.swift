import JobsCore

extension SQLiteJobStore {
    /// The store's schema version (`PRAGMA user_version`); 0 for an empty store.
    public func schemaVersion() throws -> Int {
        try guarded("reading the schema version of \(path)") { try readSchemaVersion() }
    }

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

    /// Every organization, in id order.
    public func organizations() throws -> [Organization] {
        try guarded("listing the organizations") {
            try connection.rows(SQL.organizations, decode: Self.decodeOrganization)
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
                        [.integer(organizationID), .blob(hash.bytes), .text(hint), .integer(time)],
                        decode: Self.decodeAPIKey)
                else {
                    throw StoreError(.internal, "Inserting an API key returned no row")
                }
                return record
            } catch let error as SQLiteError where error.isUniquenessViolation {
                throw StoreError(.conflict, "An API key with this hash exists already")
            } catch let error as SQLiteError where error.isForeignKeyViolation {
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

    /// The key with this id, if any.
    public func apiKey(id: Int64) throws -> APIKeyRecord? {
        try guarded("reading API key \(id)") {
            try connection.firstRow(SQL.apiKey, [.integer(id)], decode: Self.decodeAPIKey)
        }
    }

    /// Revokes the key with one conditional update: only a key not revoked yet changes. When nothing changed, a
    /// second read tells a revoked key (which never comes back) from a missing one.
    public func revokeAPIKey(id: Int64, at time: Int64) throws -> RevokeOutcome {
        try guarded("revoking API key \(id)") {
            if let revoked = try connection.firstRow(
                SQL.revokeAPIKey, [.integer(id), .integer(time)], decode: Self.decodeAPIKey)
            {
                return .revoked(revoked)
            }
            guard let record = try connection.firstRow(SQL.apiKey, [.integer(id)], decode: Self.decodeAPIKey) else {
                return .notFound
            }
            return .alreadyRevoked(record)
        }
    }

    /// Ends the old key and stores the new one in one `BEGIN IMMEDIATE` transaction: either both happen or
    /// neither. A key revoked or expired at `time` is not rotated.
    public func rotateAPIKey(id: Int64, hash: APIKeyHash, hint: String, at time: Int64, oldKeyExpiresAt: Int64?)
        throws -> RotateOutcome
    {
        let expiry = oldKeyExpiresAt.flatMap { $0 > time ? $0 : nil }
        return try guarded("rotating API key \(id)") {
            try connection.immediateTransaction {
                guard
                    let old = try connection.firstRow(
                        SQL.endRotatedKey, [.integer(id), .integer(time), .integer(orNull: expiry)],
                        decode: Self.decodeAPIKey)
                else {
                    return try connection.firstRow(SQL.apiKey, [.integer(id)], decode: Self.decodeAPIKey)
                        .map { .notActive($0) } ?? .notFound
                }
                do {
                    guard
                        let new = try connection.firstRow(
                            SQL.insertAPIKey,
                            [.integer(old.organizationID), .blob(hash.bytes), .text(hint), .integer(time)],
                            decode: Self.decodeAPIKey)
                    else {
                        throw StoreError(.internal, "Inserting an API key returned no row")
                    }
                    return .rotated(old: old, new: new)
                } catch let error as SQLiteError where error.isUniquenessViolation {
                    throw StoreError(.conflict, "An API key with this hash exists already")
                }
            }
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
            } catch let error as SQLiteError where error.isUniquenessViolation {
                throw StoreError(.conflict, "Project key \(key) is taken")
            } catch let error as SQLiteError where error.isForeignKeyViolation {
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

    /// The project with this id, whatever its organization.
    public func project(id: Int64) throws -> Project? {
        try guarded("reading project \(id)") {
            try connection.firstRow(SQL.projectByID, [.integer(id)], decode: Self.decodeProject)
        }
    }

    /// Every project of the organization (of every one for `nil`), in id order.
    public func projects(organizationID: Int64?) throws -> [Project] {
        try guarded("listing projects") {
            try connection.rows(SQL.projects, [.integer(orNull: organizationID)], decode: Self.decodeProject)
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

    /// Stores a job as it is, whatever its status, for imports. A `scheduled` or `running` job follows the same
    /// one-active-job rule as ``createJob(_:projectID:)``.
    public func importJob(_ job: NewJob, projectID: Int64) throws -> CreateOutcome {
        try insert(job, projectID: projectID)
    }

    /// Stores every job, in order, in one `BEGIN IMMEDIATE` transaction: the project's next positions taken at
    /// once, then for each job the active-job read (as ``insert(_:projectID:)`` does) and the insert; the first
    /// conflict rolls the whole transaction back. The transaction holds the write lock throughout: other writers wait (up to their busy timeout).
    public func importJobs(_ jobs: [NewJob], projectID: Int64) throws -> ImportOutcome {
        /// Thrown inside the transaction to roll it back with the outcome to report.
        struct Refused: Error { let outcome: ImportOutcome }
        do {
            return try guarded("importing \(jobs.count) jobs into project \(projectID)") {
                try connection.immediateTransaction {
                    var ids: [Int64] = []
                    ids.reserveCapacity(jobs.count)
                    guard !jobs.isEmpty else { return .imported(ids: []) }
                    // Every position at once: under the write lock nobody else takes one, and a refusal rolls
                    // this back with the rest.
                    guard
                        let last = try connection.firstRow(
                            SQL.takePositions, [.integer(projectID), .integer(Int64(jobs.count))],
                            decode: { $0.int64(at: 0) })
                    else {
                        throw StoreError(.invalid, "No project with id \(projectID)")
                    }
                    var position = last - Int64(jobs.count)
                    for (index, job) in jobs.enumerated() {
                        if job.status.isCancellable,
                            let existingID = try connection.firstRow(
                                SQL.activeJobID,
                                [.integer(projectID), .text(job.action.rawValue), .text(job.referenceID)],
                                decode: { $0.int64(at: 0) })
                        {
                            // Ids increase in insertion order: one of this import's is found by binary search.
                            let earlier = ids.partitioningIndex { $0 >= existingID }
                            if earlier < ids.count, ids[earlier] == existingID {
                                throw Refused(outcome: .duplicate(index: index, earlierIndex: earlier))
                            }
                            throw Refused(outcome: .conflict(index: index, existingJobID: existingID))
                        }
                        position += 1
                        guard
                            let id = try connection.firstRow(
                                SQL.importJob, Self.insertBindings(job, projectID: projectID, position: position),
                                decode: { $0.int64(at: 0) })
                        else {
                            throw StoreError(.internal, "Inserting a job returned no row")
                        }
                        ids.append(id)
                    }
                    return .imported(ids: ids)
                }
            }
        } catch let refused as Refused {
            return refused.outcome
        }
    }
}

extension Array where Element == Int64 {
    /// The first index whose element satisfies `belongs`, for a predicate that is false, then true, along the
    /// array (a sorted array and `{ $0 >= x }`); `count` when none does.
    func partitioningIndex(where belongs: (Int64) -> Bool) -> Int {
        var low = 0
        var high = count
        while low < high {
            let middle = low + (high - low) / 2
            if belongs(self[middle]) { high = middle } else { low = middle + 1 }
        }
        return low
    }
}
