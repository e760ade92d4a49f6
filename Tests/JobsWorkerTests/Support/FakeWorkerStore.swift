import Foundation
import JobsCore

/// A ``WorkerStore`` in memory with the SQLite store's rules (atomic claims, every write fenced on the lease),
/// shared by every thread of a test (a lock guards it), and recording what the worker did.
final class FakeWorkerStore: WorkerStore, @unchecked Sendable {
    // Safe to share: every stored property is only touched with `lock` held.
    private let lock = NSLock()
    private var rows: [Int64: Row] = [:]
    private var nextID: Int64 = 1
    private var renewals = 0
    private var releases: [Int64] = []
    private var mostLeasedAtOnce = 0
    /// When set, every renewal throws it (a store that became unavailable).
    private var renewalFailure: StoreError?
    /// When set, every claim throws it.
    private var claimFailure: StoreError?
    private var registered: [String: WorkerRecord] = [:]

    static let projectKey = ProjectKey("3sWXSsqHgSKnE87YkNJK")!

    struct Row {
        var job: Job
        var owner: String?
        var leaseExpiresAt: Int64?
    }

    /// Adds a job of project 1 with this status and `startAt`; returns it.
    @discardableResult
    func add(
        user: String, status: JobStatus = .scheduled, startAt: Int64 = 0, action: JobAction = .deleteUserData
    ) -> Job {
        lock.withLock {
            let job = Job(
                id: nextID, description: action.description(referenceID: user), status: status, projectID: 1,
                action: action, referenceID: user, createdAt: 0, updatedAt: nil, startAt: startAt, errors: nil)
            rows[nextID] = Row(job: job)
            nextID += 1
            return job
        }
    }

    /// A job as the store has it now.
    func job(_ id: Int64) -> Job? { lock.withLock { rows[id]?.job } }

    /// The owner of a job's lease now, if any.
    func leaseOwner(_ id: Int64) -> String? { lock.withLock { rows[id]?.owner } }

    /// Cancels a job as the API does: `scheduled` or `running` becomes `cancelled`, and the lease goes.
    func cancel(_ id: Int64) {
        lock.withLock {
            guard var row = rows[id], row.job.status.isCancellable else { return }
            row.job.status = .cancelled
            row.job.updatedAt = JobsAPI.now()
            row.owner = nil
            row.leaseExpiresAt = nil
            rows[id] = row
        }
    }

    /// Makes renewals (or claims) fail from now on, or work again with `nil`.
    func failRenewals(with error: StoreError?) { lock.withLock { renewalFailure = error } }
    func failClaims(with error: StoreError?) { lock.withLock { claimFailure = error } }

    var renewalCount: Int { lock.withLock { renewals } }
    var releasedJobs: [Int64] { lock.withLock { releases } }
    /// The most jobs leased at the same time, over the store's life.
    var mostJobsLeasedAtOnce: Int { lock.withLock { mostLeasedAtOnce } }

    /// The registered workers now, by id.
    var workers: [String: WorkerRecord] { lock.withLock { registered } }

    // MARK: WorkerRegistry

    func registerWorker(_ worker: WorkerRecord) throws {
        lock.withLock { registered[worker.id] = worker }
    }

    func refreshWorker(id: String, at time: Int64) throws -> Bool {
        lock.withLock {
            guard registered[id] != nil else { return false }
            registered[id]?.lastSeenAt = time
            return true
        }
    }

    func unregisterWorker(id: String) throws {
        _ = lock.withLock { registered.removeValue(forKey: id) }
    }

    // MARK: WorkerStore

    func claimDueJobs(owner: String, now: Int64, leaseUntil: Int64, limit: Int, actions: [JobAction]) throws
        -> [ClaimedJob]
    {
        try lock.withLock {
            if let claimFailure { throw claimFailure }
            let due = rows.values.filter { row in
                actions.contains(row.job.action)
                    && ((row.job.status == .scheduled && row.job.startAt <= now)
                        || (row.job.status == .running && (row.leaseExpiresAt ?? Int64.min) < now))
            }
            .sorted { ($0.job.startAt, $0.job.id) < ($1.job.startAt, $1.job.id) }
            .prefix(limit)
            var claimed: [ClaimedJob] = []
            for var row in due {
                if row.job.status == .scheduled { row.job.updatedAt = now }
                row.job.status = .running
                row.owner = owner
                row.leaseExpiresAt = leaseUntil
                rows[row.job.id] = row
                claimed.append(ClaimedJob(job: row.job, projectKey: Self.projectKey, leaseExpiresAt: leaseUntil))
            }
            mostLeasedAtOnce = max(mostLeasedAtOnce, rows.values.filter { $0.owner != nil }.count)
            return claimed
        }
    }

    func renewLease(jobID: Int64, owner: String, until: Int64) throws -> LeaseRenewal {
        try lock.withLock {
            if let renewalFailure { throw renewalFailure }
            renewals += 1
            guard var row = rows[jobID] else { return .lost(nil) }
            guard row.job.status == .running, row.owner == owner else { return .lost(row.job) }
            row.leaseExpiresAt = until
            rows[jobID] = row
            return .renewed(until: until)
        }
    }

    func finishJob(id: Int64, owner: String, status: JobStatus, errors: String?, at time: Int64) throws -> Job? {
        lock.withLock {
            guard var row = rows[id], row.job.status == .running, row.owner == owner else { return nil }
            row.job.status = status
            row.job.errors = errors
            row.job.updatedAt = time
            row.owner = nil
            row.leaseExpiresAt = nil
            rows[id] = row
            return row.job
        }
    }

    func releaseLease(jobID: Int64, owner: String) throws -> Bool {
        lock.withLock {
            guard var row = rows[jobID], row.job.status == .running, row.owner == owner else { return false }
            row.owner = nil
            row.leaseExpiresAt = nil
            rows[jobID] = row
            releases.append(jobID)
            return true
        }
    }

    func leaseOwners(now: Int64) throws -> [String] {
        lock.withLock {
            Array(Set(rows.values.compactMap { row in (row.leaseExpiresAt ?? Int64.min) >= now ? row.owner : nil }))
                .sorted()
        }
    }

    func releaseLeases(owner: String, now: Int64) throws -> [Int64] {
        lock.withLock {
            var released: [Int64] = []
            for var row in rows.values where row.owner == owner && (row.leaseExpiresAt ?? Int64.min) >= now {
                row.owner = nil
                row.leaseExpiresAt = nil
                rows[row.job.id] = row
                released.append(row.job.id)
            }
            return released.sorted()
        }
    }
}
