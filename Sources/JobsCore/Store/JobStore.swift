/// One connection to a job store: what the API needs to answer requests.
///
/// A connection belongs to one thread at a time; each FastCGI thread and each CLI command opens its own through a
/// ``JobStoreConnector``. Every method is atomic on its own: implementations never read and then write in two
/// steps where another connection could slip in between.
public protocol JobStore: AnyObject {
    /// The organization and key that the API key with this hash stands for, if the key exists and is active at
    /// `time` (milliseconds since the epoch): not revoked, and not past the expiry a rotation gave it.
    func principal(forKeyHash hash: APIKeyHash, at time: Int64) throws -> Principal?

    /// The project with this key, if it belongs to `organizationID`.
    func project(key: ProjectKey, organizationID: Int64) throws -> Project?

    /// Up to `limit` jobs of the project in ascending id order, skipping the first `offset`.
    func jobs(projectID: Int64, limit: Int, offset: Int64) throws -> [Job]

    /// Writes the jobs that ``jobs(projectID:limit:offset:)`` returns as a JSON array, byte for byte as
    /// ``Job/write(_:to:)`` writes them; a store may write straight from its rows without making any `Job`.
    /// The default implementation does exactly that call.
    func writeJobs(projectID: Int64, limit: Int, offset: Int64, to writer: inout JSONWriter) throws

    /// Up to `limit` jobs of the project that pass `filter`, in ascending id order, skipping the first `offset`
    /// of them.
    func jobs(projectID: Int64, filter: JobFilter, limit: Int, offset: Int64) throws -> [Job]

    /// Writes the jobs that ``jobs(projectID:filter:limit:offset:)`` returns as a JSON array, as
    /// ``writeJobs(projectID:limit:offset:to:)`` does for the unfiltered list. The default implementation writes
    /// that call's jobs.
    func writeJobs(projectID: Int64, filter: JobFilter, limit: Int, offset: Int64, to writer: inout JSONWriter) throws

    /// The job with this id, if it belongs to the project.
    func job(id: Int64, projectID: Int64) throws -> Job?

    /// The principal behind `keyHash` if its key is active at `time`; if there is one and `projectKey` is given,
    /// that project's id when it belongs to the principal's organization; if there is one and `jobID` is given,
    /// that job when it belongs to the project. What every request reads before it acts, so a store should answer
    /// it in one query: both stores do (one statement). The default asks the three lookups in turn.
    func lookUp(keyHash: APIKeyHash, projectKey: ProjectKey?, jobID: Int64?, at time: Int64) throws -> RequestLookup

    /// Cancels the job if it is `scheduled` or `running`, as one conditional update.
    func cancelJob(id: Int64, projectID: Int64, at time: Int64) throws -> CancelOutcome

    /// Stores a new job unless the project already has an active (`scheduled` or `running`) job with the same
    /// action and reference id; the check and the insert are one atomic step.
    func createJob(_ job: NewJob, projectID: Int64) throws -> CreateOutcome

    /// ``createJob(_:projectID:)`` under an `Idempotency-Key`, in one transaction: a key stored by an earlier
    /// request (less than ``IdempotentRequest/lifetime`` before) replays its answer, or is refused when its
    /// method or path differ, and nothing changes; otherwise the job is created and `response(outcome)` is
    /// stored with the key in the same transaction (`nil`: nothing stored). A concurrent request with the same
    /// key waits for the first to end.
    func createJob(
        _ job: NewJob, projectID: Int64, idempotency: IdempotentRequest, response: (CreateOutcome) -> StoredResponse?
    ) throws -> IdempotentOutcome<CreateOutcome>

    /// ``cancelJob(id:projectID:at:)`` under an `Idempotency-Key`, as
    /// ``createJob(_:projectID:idempotency:response:)`` is ``createJob(_:projectID:)``.
    func cancelJob(
        id: Int64, projectID: Int64, at time: Int64, idempotency: IdempotentRequest,
        response: (CancelOutcome) -> StoredResponse?
    ) throws -> IdempotentOutcome<CancelOutcome>
}

/// What became of a cancel request.
public enum CancelOutcome: Sendable, Equatable {
    /// The job was `scheduled` or `running` and is now `cancelled`.
    case cancelled(Job)
    /// The job is in a state that cannot be cancelled; it is returned unchanged.
    case notCancellable(Job)
    /// No job with that id exists in the project.
    case notFound
}

/// What became of a request to create a job.
public enum CreateOutcome: Sendable, Equatable {
    case created(Job)
    /// An active job with the same action and reference id exists already: this one.
    case conflict(existingJobID: Int64)
    /// The project's organization holds `limit` active jobs already, its ``Organization/activeJobLimit``.
    case limitReached(limit: Int64)
}

/// What became of a request to revoke an API key.
public enum RevokeOutcome: Sendable, Equatable {
    /// The key was active (or only expiring) and is revoked now.
    case revoked(APIKeyRecord)
    /// The key had been revoked before; nothing changed.
    case alreadyRevoked(APIKeyRecord)
    /// No key has this id.
    case notFound
}

/// What became of a request to rotate an API key.
public enum RotateOutcome: Sendable, Equatable {
    /// The new key is stored; the old one stops at its new `revokedAt` or `expiresAt`.
    case rotated(old: APIKeyRecord, new: APIKeyRecord)
    /// The key is revoked or expired already: nothing changed, no key was made.
    case notActive(APIKeyRecord)
    /// No key has this id.
    case notFound
}

/// What became of an import of several jobs: all of them stored, or none.
public enum ImportOutcome: Sendable, Equatable {
    /// Every job was stored, in order, in one transaction; their ids, in the same order.
    case imported(ids: [Int64])
    /// Nothing was stored: the job at `index` (of the imported list) is active while the project holds an active
    /// job with the same action and reference id, stored before the import.
    case conflict(index: Int, existingJobID: Int64)
    /// Nothing was stored: the job at `index` is active, and so is the one at `earlierIndex` of the same import,
    /// with the same action and reference id.
    case duplicate(index: Int, earlierIndex: Int)
}

/// The administrative side of a store: what `jobsctl` does.
public protocol StoreAdministration: JobStore, WorkerStore, StoreMonitoring {
    /// The schema version this connection's store has (0 for an empty store).
    func schemaVersion() throws -> Int

    /// Creates the schema or brings it to the current version; a store that is current is left alone.
    /// Returns the versions before and after.
    @discardableResult
    func migrate() throws -> (from: Int, to: Int)

    func createOrganization(name: String, at time: Int64) throws -> Organization
    func organization(id: Int64) throws -> Organization?
    /// Every organization, in id order.
    func organizations() throws -> [Organization]
    /// Sets (or with `nil` removes) the organization's ``Organization/activeJobLimit``; `nil` when no
    /// organization has this id.
    func setActiveJobLimit(organizationID: Int64, limit: Int64?) throws -> Organization?

    func createAPIKey(organizationID: Int64, hash: APIKeyHash, hint: String, at time: Int64) throws -> APIKeyRecord
    func apiKeys(organizationID: Int64) throws -> [APIKeyRecord]
    /// The key with this id, if any.
    func apiKey(id: Int64) throws -> APIKeyRecord?
    /// Revokes the key in one conditional update; a revoked key keeps its first revocation time.
    func revokeAPIKey(id: Int64, at time: Int64) throws -> RevokeOutcome
    /// Replaces an active key in one transaction: stores a new key (`hash`, `hint`) for the same organization,
    /// and ends the old one: revoked at `time` when `oldKeyExpiresAt` is `nil` or not after `time`, otherwise
    /// expiring then (an earlier expiry it already had is kept).
    func rotateAPIKey(id: Int64, hash: APIKeyHash, hint: String, at time: Int64, oldKeyExpiresAt: Int64?) throws
        -> RotateOutcome

    /// Creates a project; throws ``StoreError/Kind-swift.enum/conflict`` when the key is taken.
    func createProject(organizationID: Int64, key: ProjectKey, name: String, at time: Int64) throws -> Project
    /// The project with this key, whatever its organization.
    func project(key: ProjectKey) throws -> Project?
    /// The project with this id, whatever its organization.
    func project(id: Int64) throws -> Project?
    /// Every project of the organization, or of every organization when `organizationID` is `nil`, in id order.
    func projects(organizationID: Int64?) throws -> [Project]

    /// The job with this id, whatever its project.
    func job(id: Int64) throws -> Job?
    /// Up to `limit` jobs of the project with an id above `afterID`, in ascending id order, optionally of one status.
    func jobs(projectID: Int64, status: JobStatus?, afterID: Int64, limit: Int) throws -> [Job]
    /// Stores a job as it is (any status), for imports; the same one-active-job rule as ``createJob(_:projectID:)``.
    func importJob(_ job: NewJob, projectID: Int64) throws -> CreateOutcome
    /// Stores every job as it is, in order, at the end of the project's list, in one transaction, or none of
    /// them: the first active job that the one-active-job rule refuses (against a job stored before, or an
    /// earlier one of `jobs`) rolls everything back. Throws ``StoreError/Kind-swift.enum/invalid`` for a
    /// missing project.
    func importJobs(_ jobs: [NewJob], projectID: Int64) throws -> ImportOutcome

    /// Deletes at most `limit` finished jobs (`completed`, `failed`, `cancelled`) that finished before `before`
    /// (milliseconds since the epoch): whose `updatedAt` is before it, or, for a job imported without an
    /// `updatedAt`, whose `createdAt` is. The lowest positions of each project go first, in one short
    /// transaction; returns how many it deleted, 0 when none is left (or `limit` is 0 or less).
    ///
    /// List pages stay dense: the jobs that survive below a project's highest deleted position (still active,
    /// or finished after `before`) move up next to it, keeping their order, so page `n` still starts after
    /// `(n - 1) * limit` jobs. The cost is that of the batch plus those survivors, never of the whole project.
    func purgeFinishedJobs(before: Int64, limit: Int) throws -> Int

    /// Deletes the `Idempotency-Key`s stored at `time` or before (``IdempotentRequest/lifetime`` ago, for a
    /// purge), with their stored answers; returns how many.
    func purgeIdempotencyKeys(storedAtOrBefore time: Int64) throws -> Int

    /// How many jobs ``purgeFinishedJobs(before:limit:)`` would delete, in every batch together, if nothing
    /// changed meanwhile.
    func countFinishedJobs(before: Int64) throws -> Int
    /// After a purge: makes the deleted rows unrecoverable from the store's own files, where this process can.
    /// `true` when done; `false` when other connections kept the store busy (try again later); `nil` when the
    /// engine's files are not this process's to rewrite (PostgreSQL: see docs/DURABILITY.md).
    func eraseDeletedData() throws -> Bool?
}

extension StoreAdministration {
    /// By default, nothing this process can do: `nil`.
    public func eraseDeletedData() throws -> Bool? { nil }
}

/// Opens connections to one store. Shared by every thread; each connection it opens is not.
public protocol JobStoreConnector: Sendable {
    /// Opens a connection for the API. Fails with ``StoreError/Kind-swift.enum/notInitialized`` or
    /// ``StoreError/Kind-swift.enum/schemaMismatch`` when the store is missing or not on the current schema.
    func connect() throws -> any JobStore

    /// Opens a connection for administration, creating the store if `create` is true. The schema is not checked:
    /// call ``StoreAdministration/migrate()`` or ``StoreAdministration/schemaVersion()``.
    func connectForAdministration(create: Bool) throws -> any StoreAdministration
}
