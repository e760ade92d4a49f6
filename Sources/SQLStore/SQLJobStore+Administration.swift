import JobsCore

extension SQLJobStore {
    /// Creates the organization.
    @inlinable
    public func createOrganization(name: String, at time: Int64) throws -> Organization {
        try guarded("creating an organization") {
            guard
                let organization = try connection.firstRow(
                    Self.statements.insertOrganization, [.text(name), .integer(time)],
                    decode: Self.decodeOrganization)
            else {
                throw StoreError(.internal, "Inserting an organization returned no row")
            }
            return organization
        }
    }

    /// The organization with this id, if any.
    @inlinable
    public func organization(id: Int64) throws -> Organization? {
        try guarded("reading organization \(id)") {
            try connection.firstRow(Self.statements.organization, [.integer(id)], decode: Self.decodeOrganization)
        }
    }

    /// Every organization, in id order.
    @inlinable
    public func organizations() throws -> [Organization] {
        try guarded("listing the organizations") {
            try connection.rows(Self.statements.organizations, [], decode: Self.decodeOrganization)
        }
    }

    /// Sets or removes the organization's active-job limit in one update.
    @inlinable
    public func setActiveJobLimit(organizationID: Int64, limit: Int64?) throws -> Organization? {
        try guarded("setting the active-job limit of organization \(organizationID)") {
            try connection.firstRow(
                Self.statements.setActiveJobLimit, [.integer(organizationID), limit.map(SQLValue.integer) ?? .null],
                decode: Self.decodeOrganization)
        }
    }

    /// Stores a key's hash and hint for the organization. Throws `.conflict` when a key with this hash exists
    /// already and `.invalid` when the organization does not exist.
    @inlinable
    public func createAPIKey(organizationID: Int64, hash: APIKeyHash, hint: String, at time: Int64) throws
        -> APIKeyRecord
    {
        try guarded("creating an API key for organization \(organizationID)") {
            do {
                return try insertAPIKey(organizationID: organizationID, hash: hash, hint: hint, at: time)
            } catch let error as Connection.Failure where error.isForeignKeyViolation {
                throw StoreError(.invalid, "No organization with id \(organizationID)")
            }
        }
    }

    /// The insert of ``createAPIKey(organizationID:hash:hint:at:)`` and of a rotation's new key.
    @inlinable
    func insertAPIKey(organizationID: Int64, hash: APIKeyHash, hint: String, at time: Int64) throws
        -> APIKeyRecord
    {
        do {
            guard
                let record = try connection.firstRow(
                    Self.statements.insertAPIKey,
                    [.integer(organizationID), .bytes(hash.bytes), .text(hint), .integer(time)],
                    decode: Self.decodeAPIKey)
            else {
                throw StoreError(.internal, "Inserting an API key returned no row")
            }
            return record
        } catch let error as Connection.Failure where error.isUniquenessViolation {
            throw StoreError(.conflict, "An API key with this hash exists already")
        }
    }

    /// The organization's keys, revoked ones included, oldest first.
    @inlinable
    public func apiKeys(organizationID: Int64) throws -> [APIKeyRecord] {
        try guarded("listing the API keys of organization \(organizationID)") {
            try connection.rows(Self.statements.apiKeys, [.integer(organizationID)], decode: Self.decodeAPIKey)
        }
    }

    /// The key with this id, if any.
    @inlinable
    public func apiKey(id: Int64) throws -> APIKeyRecord? {
        try guarded("reading API key \(id)") {
            try connection.firstRow(Self.statements.apiKey, [.integer(id)], decode: Self.decodeAPIKey)
        }
    }

    /// Revokes the key with one conditional update: only a key not revoked yet changes. When nothing changed, a
    /// second read tells a revoked key (which never comes back) from a missing one.
    @inlinable
    public func revokeAPIKey(id: Int64, at time: Int64) throws -> RevokeOutcome {
        try guarded("revoking API key \(id)") {
            if let revoked = try connection.firstRow(
                Self.statements.revokeAPIKey, [.integer(id), .integer(time)], decode: Self.decodeAPIKey)
            {
                return .revoked(revoked)
            }
            guard let record = try connection.firstRow(Self.statements.apiKey, [.integer(id)], decode: Self.decodeAPIKey)
            else {
                return .notFound
            }
            return .alreadyRevoked(record)
        }
    }

    /// Ends the old key and stores the new one in one write transaction: either both happen or neither. A key
    /// revoked or expired at `time` is not rotated; of two rotations of one key at once, the second waits for the
    /// first's lock, then finds the key ended (or expiring, and keeps the earlier expiry).
    @inlinable
    public func rotateAPIKey(id: Int64, hash: APIKeyHash, hint: String, at time: Int64, oldKeyExpiresAt: Int64?)
        throws -> RotateOutcome
    {
        let expiry = oldKeyExpiresAt.flatMap { $0 > time ? $0 : nil }
        return try guarded("rotating API key \(id)") {
            try connection.writeTransaction {
                guard
                    let old = try connection.firstRow(
                        Self.statements.endRotatedKey, [.integer(id), .integer(time), .integer(orNull: expiry)],
                        decode: Self.decodeAPIKey)
                else {
                    let record = try connection.firstRow(
                        Self.statements.apiKey, [.integer(id)], decode: Self.decodeAPIKey)
                    return record.map { .notActive($0) } ?? .notFound
                }
                let new = try insertAPIKey(organizationID: old.organizationID, hash: hash, hint: hint, at: time)
                return .rotated(old: old, new: new)
            }
        }
    }

    /// Creates a project. Throws `.conflict` ("Project key … is taken") when the key is taken and `.invalid`
    /// when the organization does not exist.
    @inlinable
    public func createProject(organizationID: Int64, key: ProjectKey, name: String, at time: Int64) throws
        -> Project
    {
        try guarded("creating project \(key)") {
            do {
                guard
                    let project = try connection.firstRow(
                        Self.statements.insertProject,
                        [.integer(organizationID), .text(key.rawValue), .text(name), .integer(time)],
                        decode: Self.decodeProject)
                else {
                    throw StoreError(.internal, "Inserting a project returned no row")
                }
                return project
            } catch let error as Connection.Failure where error.isUniquenessViolation {
                throw StoreError(.conflict, "Project key \(key) is taken")
            } catch let error as Connection.Failure where error.isForeignKeyViolation {
                throw StoreError(.invalid, "No organization with id \(organizationID)")
            }
        }
    }

    /// The project with this key, whatever its organization.
    @inlinable
    public func project(key: ProjectKey) throws -> Project? {
        try guarded("looking up project \(key)") {
            try connection.firstRow(Self.statements.project, [.text(key.rawValue)], decode: Self.decodeProject)
        }
    }

    /// The project with this id, whatever its organization.
    @inlinable
    public func project(id: Int64) throws -> Project? {
        try guarded("reading project \(id)") {
            try connection.firstRow(Self.statements.projectByID, [.integer(id)], decode: Self.decodeProject)
        }
    }

    /// Every project of the organization (of every one for `nil`), in id order.
    @inlinable
    public func projects(organizationID: Int64?) throws -> [Project] {
        try guarded("listing projects") {
            try connection.rows(
                Self.statements.projects, [.integer(orNull: organizationID)], decode: Self.decodeProject)
        }
    }

    /// The job with this id, whatever its project.
    @inlinable
    public func job(id: Int64) throws -> Job? {
        try guarded("reading job \(id)") {
            try connection.firstRow(Self.statements.job, [.integer(id)], decode: Self.decodeJob)
        }
    }

    /// Up to `limit` jobs of the project with an id above `afterID`, in ascending id order, only those in
    /// `status` when it is given. A `limit` of 0 or less gives no jobs.
    @inlinable
    public func jobs(projectID: Int64, status: JobStatus?, afterID: Int64, limit: Int) throws -> [Job] {
        guard limit > 0 else { return [] }
        return try guarded("listing the jobs of project \(projectID)") {
            try connection.rows(
                Self.statements.jobsAfter,
                [.integer(projectID), .integer(afterID), .text(orNull: status?.rawValue), .integer(Int64(limit))],
                decode: Self.decodeJob)
        }
    }

    /// Stores a job as it is, whatever its status, for imports, at the end of the project's list. A `scheduled`
    /// or `running` job follows the same one-active-job rule as ``createJob(_:projectID:)``.
    @inlinable
    public func importJob(_ job: NewJob, projectID: Int64) throws -> CreateOutcome {
        try insert(job, projectID: projectID, enforcingLimit: false)
    }

    /// Stores every job, in order, in one write transaction: the project's next positions taken at once (and with
    /// them the lock ``insert(_:projectID:)`` takes first), then for each job the active-job read and the insert;
    /// the first conflict rolls the whole transaction back and names the active job, one stored before or an
    /// earlier one of this import.
    @inlinable
    public func importJobs(_ jobs: [NewJob], projectID: Int64) throws -> ImportOutcome {
        try refusableWrite("importing \(jobs.count) jobs into project \(projectID)") {
            var ids: [Int64] = []
            ids.reserveCapacity(jobs.count)
            guard !jobs.isEmpty else { return .imported(ids: []) }
            guard
                let last = try connection.firstRow(
                    Self.statements.takePositions, [.integer(projectID), .integer(Int64(jobs.count))],
                    decode: Self.decodeID)
            else {
                throw StoreError(.invalid, "No project with id \(projectID)")
            }
            var position = last - Int64(jobs.count)
            for (index, job) in jobs.enumerated() {
                if job.status.isCancellable,
                    let existingID = try connection.firstRow(
                        Self.statements.activeJobID,
                        [.integer(projectID), .text(job.action.rawValue), .text(job.referenceID)],
                        decode: Self.decodeID)
                {
                    // Ids increase in insertion order: one of this import's is found by binary search.
                    let earlier = ids.partitioningIndex { $0 >= existingID }
                    if earlier < ids.count, ids[earlier] == existingID {
                        throw Refusal(ImportOutcome.duplicate(index: index, earlierIndex: earlier))
                    }
                    throw Refusal(ImportOutcome.conflict(index: index, existingJobID: existingID))
                }
                position += 1
                guard
                    let id = try connection.firstRow(
                        Self.statements.importJob, Self.insertBindings(job, projectID: projectID, position: position),
                        decode: Self.decodeID)
                else {
                    throw StoreError(.internal, "Inserting a job returned no row")
                }
                ids.append(id)
            }
            return .imported(ids: ids)
        }
    }
}

extension Array where Element == Int64 {
    /// The first index whose element satisfies `belongs`, for a predicate that is false, then true, along the
    /// array (a sorted array and `{ $0 >= x }`); `count` when none does.
    @inlinable
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
