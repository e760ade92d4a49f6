/// What workers need from a store: claiming due jobs under a lease, renewing it, and finishing jobs.
///
/// A lease is the right to run one `running` job until a time. Every write that ends or extends it is fenced on
/// the job still being `running` under the same owner, so a worker that lost its job (cancelled, or taken over
/// after its lease expired) can never overwrite what happened meanwhile. A worker also registers itself
/// (``WorkerRegistry``), so that operators see it.
public protocol WorkerStore: WorkerRegistry {
    /// Claims up to `limit` due jobs whose action is one of `actions`, in one atomic step, oldest `startAt`
    /// first: `scheduled` jobs whose `startAt` is at or before `now` become `running` (`updatedAt = now`), and
    /// `running` jobs whose lease expired before `now` (their worker died) are taken over as they are. Each gets
    /// the lease `owner` until `leaseUntil`. No two callers ever claim the same job; a job of another action is
    /// left as it is, for a worker that has a program for it. No `actions` claims nothing.
    func claimDueJobs(owner: String, now: Int64, leaseUntil: Int64, limit: Int, actions: [JobAction]) throws
        -> [ClaimedJob]

    /// Extends the lease on a job still `running` under `owner`; otherwise says what became of the job.
    func renewLease(jobID: Int64, owner: String, until: Int64) throws -> LeaseRenewal

    /// Ends a job `running` under `owner` as `completed` or `failed` (`updatedAt = at`) and drops the lease.
    /// `nil` when the job is no longer `running` under `owner`: the write is refused and nothing changes.
    func finishJob(id: Int64, owner: String, status: JobStatus, errors: String?, at time: Int64) throws -> Job?

    /// Gives up the lease on a job still `running` under `owner`, so that the next worker takes it over at once
    /// (the job stays `running`: the state machine has no way back to `scheduled`). Returns whether it did.
    func releaseLease(jobID: Int64, owner: String) throws -> Bool

    /// The distinct owners of the leases that have not expired at `now`: the workers that hold jobs.
    func leaseOwners(now: Int64) throws -> [String]

    /// Gives up every lease of `owner` not expired at `now`, for a worker known to be gone: its jobs stay
    /// `running` without a lease, which the next claim takes over at once. Returns their ids, in order.
    func releaseLeases(owner: String, now: Int64) throws -> [Int64]
}

/// A job a worker claimed, with what the worker needs to run it.
public struct ClaimedJob: Sendable, Equatable {
    /// The job, `running` under the worker's lease.
    public var job: Job
    /// The public key of the job's project (the action's `PROJECT_KEY`).
    public var projectKey: ProjectKey
    /// When the lease ends unless renewed.
    public var leaseExpiresAt: Int64

    /// A claimed job with every field given.
    public init(job: Job, projectKey: ProjectKey, leaseExpiresAt: Int64) {
        self.job = job
        self.projectKey = projectKey
        self.leaseExpiresAt = leaseExpiresAt
    }
}

/// What became of a lease renewal.
public enum LeaseRenewal: Sendable, Equatable {
    /// The job is still `running` under this owner; the lease now ends at this time.
    case renewed(until: Int64)
    /// The job is no longer this owner's: cancelled, finished, or taken over by another worker. The job as it is
    /// now, or `nil` if it no longer exists.
    case lost(Job?)
}
