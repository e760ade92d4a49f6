/// A `jobsctl worker` as it registers itself in the store: who it is, what it runs, and when it was last seen.
///
/// A worker writes its row when it starts, refreshes ``lastSeenAt`` at least once per poll interval and deletes
/// the row when it stops. A worker that was killed leaves its row behind; it stops counting as live once
/// ``staleAfter`` passed without a refresh (``isLive(at:)``), the one definition `jobsctl status` and the
/// metrics both use.
public struct WorkerRecord: Sendable, Equatable {
    /// The name the worker's leases carry (`lease_owner`): unique per worker process, the row's key.
    public var id: String
    /// The host the worker runs on.
    public var host: String
    /// The worker's process id on ``host``.
    public var pid: Int64
    /// The worker's release (``Release/version``).
    public var version: String
    /// The actions the worker has a program for, in name order.
    public var actions: [JobAction]
    /// Jobs the worker runs at once.
    public var concurrency: Int
    /// When the worker started, in milliseconds since the epoch.
    public var startedAt: Int64
    /// The worker's last refresh, in milliseconds since the epoch.
    public var lastSeenAt: Int64
    /// How long after ``lastSeenAt`` the worker still counts as live, in milliseconds: three poll intervals or
    /// its lease, whichever is longer (``liveness(pollInterval:lease:)``).
    public var staleAfter: Int64

    /// A worker record with every field given.
    public init(
        id: String, host: String, pid: Int64, version: String, actions: [JobAction], concurrency: Int,
        startedAt: Int64, lastSeenAt: Int64, staleAfter: Int64
    ) {
        self.id = id
        self.host = host
        self.pid = pid
        self.version = version
        self.actions = actions
        self.concurrency = concurrency
        self.startedAt = startedAt
        self.lastSeenAt = lastSeenAt
        self.staleAfter = staleAfter
    }

    /// Whether the worker refreshed its row within ``staleAfter`` before `now`: the definition of a live worker.
    public func isLive(at now: Int64) -> Bool {
        let (seenUntil, overflow) = lastSeenAt.addingReportingOverflow(max(0, staleAfter))
        return overflow || seenUntil >= now
    }

    /// The ``staleAfter`` of a worker that polls every `pollInterval` and leases for `lease` (milliseconds):
    /// three missed polls, or a whole lease, whichever is longer.
    public static func liveness(pollInterval: Int64, lease: Int64) -> Int64 {
        let (threePolls, overflow) = max(0, pollInterval).multipliedReportingOverflow(by: 3)
        return overflow ? Int64.max : max(threePolls, max(0, lease))
    }
}

/// The queue as the store sees it at one time: read from the index ranges of `jobs_due` and `jobs_leased`, and
/// one count per status.
public struct QueueSummary: Sendable, Equatable {
    /// The time the figures are for, in milliseconds since the epoch.
    public var at: Int64
    /// How many jobs are in each status; every status is present, 0 when none.
    public var jobsByStatus: [JobStatus: Int64]
    /// `scheduled` jobs whose `startAt` is at or before ``at``.
    public var dueNow: Int64
    /// The `startAt` of the oldest of them; `nil` when none is due.
    public var oldestDueStartAt: Int64?
    /// `running` jobs whose lease expired before ``at``, or that hold none: their worker died or let go, and the
    /// next claim takes them over.
    public var expiredLeases: Int64
    /// Every registered worker, live or not, by host and pid.
    public var workers: [WorkerRecord]
    /// `running` jobs per lease owner (a worker's ``WorkerRecord/id``).
    public var runningByOwner: [String: Int64]
    /// Webhook events waiting for delivery and given up, across every project; `nil` from a store without
    /// webhooks.
    public var webhookDeliveries: WebhookDeliveryCounts?

    /// A summary with every field given.
    public init(
        at: Int64, jobsByStatus: [JobStatus: Int64], dueNow: Int64, oldestDueStartAt: Int64?, expiredLeases: Int64,
        workers: [WorkerRecord], runningByOwner: [String: Int64], webhookDeliveries: WebhookDeliveryCounts? = nil
    ) {
        self.at = at
        self.jobsByStatus = jobsByStatus
        self.dueNow = dueNow
        self.oldestDueStartAt = oldestDueStartAt
        self.expiredLeases = expiredLeases
        self.workers = workers
        self.runningByOwner = runningByOwner
        self.webhookDeliveries = webhookDeliveries
    }

    /// How long the oldest due job has waited past its `startAt`, in milliseconds; 0 when none is due.
    public var oldestDueAge: Int64 {
        guard let oldestDueStartAt else { return 0 }
        let (age, overflow) = at.subtractingReportingOverflow(oldestDueStartAt)
        return overflow ? Int64.max : max(0, age)
    }

    /// The workers live at ``at`` (``WorkerRecord/isLive(at:)``).
    public var liveWorkers: [WorkerRecord] { workers.filter { $0.isLive(at: at) } }
}

/// Due jobs of one action, for telling which of them no live worker can run.
public struct DueAction: Sendable, Equatable {
    /// The action.
    public var action: JobAction
    /// How many `scheduled` jobs of it are due.
    public var count: Int64
    /// The `startAt` of the oldest.
    public var oldestStartAt: Int64

    /// A due action with every field given.
    public init(action: JobAction, count: Int64, oldestStartAt: Int64) {
        self.action = action
        self.count = count
        self.oldestStartAt = oldestStartAt
    }
}

/// What a worker writes about itself in the store, so that operators see it (``WorkerRecord``).
public protocol WorkerRegistry: AnyObject {
    /// Writes the worker's row, replacing one with the same id. Rows of workers not seen for a day are deleted
    /// on the way: the table holds the workers of the last day, live or not.
    func registerWorker(_ worker: WorkerRecord) throws
    /// Sets the worker's ``WorkerRecord/lastSeenAt``. `false` when its row is gone (deleted by hand, or after a
    /// day without a refresh): the worker registers again.
    func refreshWorker(id: String, at time: Int64) throws -> Bool
    /// Deletes the worker's row; nothing when there is none.
    func unregisterWorker(id: String) throws
}

/// What monitoring reads from a store: the queue's figures. Each call is a few index range reads; see
/// docs/MONITORING.md for their cost.
public protocol StoreMonitoring: AnyObject {
    /// The queue at `time` (milliseconds since the epoch).
    func queueSummary(at time: Int64) throws -> QueueSummary
    /// The due `scheduled` jobs at `time` grouped by action, in action order. Reads every due job: for
    /// `jobsctl status`, not for every scrape.
    func dueActions(at time: Int64) throws -> [DueAction]
}
