import JobsCore

/// A fake store for testing the API in-process (unit tests, fuzz targets): the same contract as the real stores,
/// kept in arrays. Not thread-safe: one store per test or per fuzz input.
package final class InMemoryJobStore: JobStore {
    /// An API key as the store knows it: its hash, whom it stands for, whether it was revoked, and when it
    /// expires.
    package struct Key: Sendable {
        package var hash: APIKeyHash
        package var principal: Principal
        package var revoked: Bool
        package var expiresAt: Int64?

        package init(hash: APIKeyHash, principal: Principal, revoked: Bool, expiresAt: Int64? = nil) {
            self.hash = hash
            self.principal = principal
            self.revoked = revoked
            self.expiresAt = expiresAt
        }
    }

    /// The keys, projects and jobs held; tests set them directly.
    package var keys: [Key] = []
    package var projects: [Project] = []
    package var storedJobs: [Job] = []
    /// The id the next stored job gets.
    package var nextJobID: Int64 = 1
    /// When set, every call throws it: a store that is down, busy or broken.
    package var failure: StoreError?

    /// The stored `Idempotency-Key`s by organization and key.
    package var idempotencyKeys: [String: (request: IdempotentRequest, response: StoredResponse)] = [:]

    /// An empty store.
    package init() {}

    package func principal(forKeyHash hash: APIKeyHash, at time: Int64) throws -> Principal? {
        if let failure { throw failure }
        return keys.first { $0.hash == hash && !$0.revoked && ($0.expiresAt.map { time < $0 } ?? true) }?.principal
    }

    package func project(key: ProjectKey, organizationID: Int64) throws -> Project? {
        if let failure { throw failure }
        return projects.first { $0.key == key && $0.organizationID == organizationID }
    }

    package func jobs(projectID: Int64, limit: Int, offset: Int64) throws -> [Job] {
        try jobs(projectID: projectID, filter: .none, limit: limit, offset: offset)
    }

    package func jobs(projectID: Int64, filter: JobFilter, limit: Int, offset: Int64) throws -> [Job] {
        if let failure { throw failure }
        let all = storedJobs.filter { $0.projectID == projectID && filter.matches($0) }.sorted { $0.id < $1.id }
        guard limit > 0, offset < all.count else { return [] }
        return Array(all[Int(max(0, offset))...].prefix(limit))
    }

    package func job(id: Int64, projectID: Int64) throws -> Job? {
        if let failure { throw failure }
        return storedJobs.first { $0.id == id && $0.projectID == projectID }
    }

    package func cancelJob(id: Int64, projectID: Int64, at time: Int64) throws -> CancelOutcome {
        if let failure { throw failure }
        guard let index = storedJobs.firstIndex(where: { $0.id == id && $0.projectID == projectID }) else {
            return .notFound
        }
        guard storedJobs[index].status.isCancellable else { return .notCancellable(storedJobs[index]) }
        storedJobs[index].status = .cancelled
        storedJobs[index].updatedAt = time
        return .cancelled(storedJobs[index])
    }

    package func createJob(_ job: NewJob, projectID: Int64) throws -> CreateOutcome {
        if let failure { throw failure }
        if let active = storedJobs.first(where: {
            $0.projectID == projectID && $0.action == job.action && $0.referenceID == job.referenceID
                && $0.status.isCancellable
        }) {
            return .conflict(existingJobID: active.id)
        }
        return .created(insert(job, projectID: projectID))
    }

    package func createJob(
        _ job: NewJob, projectID: Int64, idempotency: IdempotentRequest, response: (CreateOutcome) -> StoredResponse?
    ) throws -> IdempotentOutcome<CreateOutcome> {
        try idempotently(idempotency, response: response) { try createJob(job, projectID: projectID) }
    }

    package func cancelJob(
        id: Int64, projectID: Int64, at time: Int64, idempotency: IdempotentRequest,
        response: (CancelOutcome) -> StoredResponse?
    ) throws -> IdempotentOutcome<CancelOutcome> {
        try idempotently(idempotency, response: response) { try cancelJob(id: id, projectID: projectID, at: time) }
    }

    private func idempotently<Outcome: Sendable>(
        _ request: IdempotentRequest, response: (Outcome) -> StoredResponse?, operation: () throws -> Outcome
    ) throws -> IdempotentOutcome<Outcome> {
        if let failure { throw failure }
        let name = "\(request.organizationID) \(request.key)"
        if let stored = idempotencyKeys[name], request.time - stored.request.time < IdempotentRequest.lifetime {
            guard stored.request.method == request.method, stored.request.path == request.path else { return .keyReused }
            return .replayed(stored.response)
        }
        let outcome = try operation()
        idempotencyKeys[name] = response(outcome).map { (request, $0) }
        return .performed(outcome)
    }

    /// Stores `job` as it is (any status), bypassing the one-active rule: for setting up a test.
    @discardableResult
    package func insert(_ job: NewJob, projectID: Int64) -> Job {
        let stored = Job(
            id: nextJobID, description: job.description, status: job.status, projectID: projectID,
            action: job.action, referenceID: job.referenceID, createdAt: job.createdAt, updatedAt: job.updatedAt,
            startAt: job.startAt, errors: job.errors)
        nextJobID += 1
        storedJobs.append(stored)
        return stored
    }
}
