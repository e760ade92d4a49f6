import JobsCore

/// What became of one claimed job.
package enum JobRunOutcome: Sendable, Equatable {
    /// The program exited with status 0; the job is `completed`.
    case completed
    /// The job is `failed`, with these `errors`.
    case failed(errors: String)
    /// The job was cancelled while it ran: its program was stopped and nothing was written.
    case cancelled
    /// The job stopped being this worker's while it ran for another reason than a cancel (another worker took
    /// it over after this one's lease expired, say): its program was stopped, nothing was written. The job's
    /// status as the store reported it (`nil` when the job is gone).
    case lost(JobStatus?)
    /// The program ended, but when the worker wrote the result (this status) the job was no longer running
    /// under its lease (cancelled or taken over in between): the store refused the write; the job stays as it is.
    case refused(JobStatus)
    /// The worker was stopping: the program was stopped and the lease released, so that the next worker runs
    /// the job again at once.
    case released
    /// The result could not be written (the store was unavailable until the lease ended): the job stays
    /// `running` until its lease expires, and then a worker runs it again.
    case unrecorded
    /// The program did not start because the action runner could not take the job now (unreachable, busy,
    /// stopping): the job stays `running` until its lease expires, and then a worker runs it again.
    case deferred
}
