/// When a failed delivery is tried again: exponential backoff, each wait four times the one before, from
/// ``firstRetry`` (5 s by default) up to ``longestWait`` (10 h); an event whose attempts kept failing for
/// ``retryPeriod`` (3 days) is marked failed at its next failure.
///
/// With the defaults: 5 s, 20 s, 80 s, 5 min 20 s, 21 min, 85 min, 5 h 41 min, then every 10 h: about 13
/// attempts in 3 days.
public struct DeliverySchedule: Sendable, Equatable {
    /// The wait after the first failed attempt.
    public var firstRetry: Int64
    /// The longest wait between two attempts.
    public var longestWait: Int64
    /// How long after the event attempts go on (milliseconds).
    public static let retryPeriod: Int64 = 3 * 86_400_000

    /// A schedule of `firstRetry` (milliseconds, at least 1) then ×4 up to `longestWait`.
    public init(firstRetry: Int64 = 5_000, longestWait: Int64 = 36_000_000) {
        self.firstRetry = max(1, firstRetry)
        self.longestWait = max(self.firstRetry, longestWait)
    }

    /// The wait after the `attempts`-th failed attempt (1 for the first).
    public func wait(afterAttempts attempts: Int64) -> Int64 {
        var wait = firstRetry
        var count: Int64 = 1
        while count < attempts && wait < longestWait {
            wait = wait > longestWait / 4 ? longestWait : wait * 4
            count += 1
        }
        return min(wait, longestWait)
    }
}

extension DeliverySchedule {
    /// What an attempt made at `time` leaves of the event: `delivered` for a 2xx answer; otherwise `pending` again
    /// after ``wait(afterAttempts:)`` (this being attempt `attempt`, 1 for the first), or `failed` when the attempt
    /// came at or after `retryUntil`.
    public func outcome(attempt: Int64, at time: Int64, status: Int64?, retryUntil: Int64)
        -> (state: WebhookDeliveryState, nextAttemptAt: Int64?)
    {
        if let status, (200...299).contains(status) { return (.delivered, nil) }
        if time >= retryUntil { return (.failed, nil) }
        return (.pending, time + wait(afterAttempts: attempt))
    }
}
