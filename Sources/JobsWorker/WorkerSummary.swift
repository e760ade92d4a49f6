/// What a worker did, counted by outcome.
public struct WorkerSummary: Sendable, Equatable {
    /// Jobs claimed (each ends in exactly one of the counts below).
    public var claimed = 0
    /// Jobs whose program exited 0, recorded `completed`.
    public var completed = 0
    /// Jobs recorded `failed`.
    public var failed = 0
    /// Jobs cancelled while their program ran.
    public var cancelled = 0
    /// Jobs whose lease was released because the worker stopped: the next worker runs them.
    public var released = 0
    /// Jobs whose program did not start because the action runner could not take them now: they run again once
    /// their lease expires.
    public var deferred = 0
    /// Jobs lost to another worker, whose result the store refused, or whose result could not be written.
    public var other = 0

    /// Nothing counted yet.
    public init() {}

    mutating func count(_ outcome: JobRunOutcome) {
        switch outcome {
        case .completed: completed += 1
        case .failed: failed += 1
        case .cancelled: cancelled += 1
        case .released: released += 1
        case .deferred: deferred += 1
        case .lost, .refused, .unrecorded: other += 1
        }
    }
}
