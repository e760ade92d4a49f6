import JobsCore

/// A fake store for testing the API in-process (unit tests, fuzz targets): the same contract as the real stores,
/// kept in arrays. Not thread-safe: one store per test or per fuzz input.
public final class InMemoryJobStore: JobStore {
    /// An API key as the store knows it: its hash, whom it stands for, whether it was revoked, and when it
    /// expires.
    public struct Key: Sendable {
        public var hash: APIKeyHash
        public var principal: Principal
        public var revoked: Bool
        public var expiresAt: Int64?

        public init(hash: APIKeyHash, principal: Principal, revoked: Bool, expiresAt: Int64? = nil) {
            self.hash = hash
            self.principal = principal
            self.revoked = revoked
            self.expiresAt = expiresAt
        }
    }

    /// The keys, projects and jobs held; tests set them directly.
    public var keys: [Key] = []
    public var projects: [Project] = []
    public var storedJobs: [Job] = []
    /// The id the next stored job gets.
    public var nextJobID: Int64 = 1
    /// When set, every call throws it: a store that is down, busy or broken.
    public var failure: StoreError?

    /// An empty store.
    public init() {}

    public func principal(forKeyHash hash: APIKeyHash, at time: Int64) throws -> Principal? {
        if let failure { throw failure }
        return keys.first { $0.hash == hash && !$0.revoked && ($0.expiresAt.map { time < $0 } ?? true) }?.principal
    }

    public func project(key: ProjectKey, organizationID: Int64) throws -> Project? {
        if let failure { throw failure }
        return projects.first { $0.key == key && $0.organizationID == organizationID }
    }

    public func jobs(projectID: Int64, limit: Int, offset: Int64) throws -> [Job] {
        if let failure { throw failure }
        let all = storedJobs.filter { $0.projectID == projectID }.sorted { $0.id < $1.id }
        guard offset < all.count else { return [] }
        return Array(all[Int(offset)...].prefix(limit))
    }

    public func job(id: Int64, projectID: Int64) throws -> Job? {
        if let failure { throw failure }
        return storedJobs.first { $0.id == id && $0.projectID == projectID }
    }

    public func cancelJob(id: Int64, projectID: Int64, at time: Int64) throws -> CancelOutcome {
        if let failure { throw failure }
        guard let index = storedJobs.firstIndex(where: { $0.id == id && $0.projectID == projectID }) else {
            return .notFound
        }
        guard storedJobs[index].status.isCancellable else { return .notCancellable(storedJobs[index]) }
        storedJobs[index].status = .cancelled
        storedJobs[index].updatedAt = time
        return .cancelled(storedJobs[index])
    }

    public func createJob(_ job: NewJob, projectID: Int64) throws -> CreateOutcome {
        if let failure { throw failure }
        if let active = storedJobs.first(where: {
            $0.projectID == projectID && $0.action == job.action && $0.referenceID == job.referenceID
                && $0.status.isCancellable
        }) {
            return .conflict(existingJobID: active.id)
        }
        return .created(insert(job, projectID: projectID))
    }

    /// Stores `job` as it is (any status), bypassing the one-active rule: for setting up a test.
    @discardableResult
    public func insert(_ job: NewJob, projectID: Int64) -> Job {
        let stored = Job(
            id: nextJobID, description: job.description, status: job.status, projectID: projectID,
            action: job.action, referenceID: job.referenceID, createdAt: job.createdAt, updatedAt: job.updatedAt,
            startAt: job.startAt, errors: job.errors)
        nextJobID += 1
        storedJobs.append(stored)
        return stored
    }
}
