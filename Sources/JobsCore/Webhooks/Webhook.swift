/// A project's webhook as the operator configured it (`jobsctl webhook set`). The signing secrets are not part of
/// it: only ``WebhookStore/claimDueDeliveries(owner:now:leaseUntil:limit:)`` hands them out, to sign.
public struct Webhook: Sendable, Equatable {
    /// The project whose final job states are posted.
    public var projectID: Int64
    /// Where events are posted: `https://`, or `http://` when ``allowsHTTP``.
    public var url: String
    /// Whether the operator allowed a plain `http://` URL for this webhook.
    public var allowsHTTP: Bool
    /// When the webhook was created (milliseconds since the epoch).
    public var createdAt: Int64
    /// When the webhook last changed: its URL or its secret.
    public var updatedAt: Int64
    /// Until when the secret that a rotation replaced still signs every delivery too; `nil` when there is none.
    public var previousSecretExpiresAt: Int64?

    /// A webhook with every field given.
    public init(
        projectID: Int64, url: String, allowsHTTP: Bool, createdAt: Int64, updatedAt: Int64,
        previousSecretExpiresAt: Int64?
    ) {
        self.projectID = projectID
        self.url = url
        self.allowsHTTP = allowsHTTP
        self.createdAt = createdAt
        self.updatedAt = updatedAt
        self.previousSecretExpiresAt = previousSecretExpiresAt
    }

    /// Why `url` cannot be a webhook's URL (`nil` when it can): an absolute `https://` URL with a host, or an
    /// `http://` one when `allowsHTTP`; no whitespace or control characters, at most 2,048 bytes.
    public static func problem(url: String, allowsHTTP: Bool) -> String? {
        guard url.utf8.count <= 2048 else { return "the URL is longer than 2048 bytes" }
        guard !url.unicodeScalars.contains(where: { $0.value <= 0x20 || $0.value == 0x7F }) else {
            return "the URL contains whitespace or control characters"
        }
        let lowered = url.lowercased()
        let rest: Substring
        if lowered.hasPrefix("https://") {
            rest = url.dropFirst("https://".count)
        } else if lowered.hasPrefix("http://") {
            guard allowsHTTP else { return "an http:// URL needs --allow-http (deliveries would not be encrypted)" }
            rest = url.dropFirst("http://".count)
        } else {
            return "the URL must start with https:// (or http:// with --allow-http)"
        }
        let authority = rest.prefix { $0 != "/" && $0 != "?" && $0 != "#" }
        let host = authority.split(separator: "@", omittingEmptySubsequences: false).last ?? ""
        guard !host.isEmpty, host.first != ":" else { return "the URL has no host" }
        return nil
    }
}

/// What became of an event's delivery.
public enum WebhookDeliveryState: String, Sendable, CaseIterable {
    /// Not delivered yet: due at ``WebhookEvent/nextAttemptAt``.
    case pending
    /// A receiver answered 2xx.
    case delivered
    /// Given up: retried until ``WebhookEvent/retryUntil`` without a 2xx, or the webhook was removed.
    case failed
}

/// The kind of event: the final state a job reached.
public enum WebhookEventType: String, Sendable, CaseIterable {
    case completed = "job.completed"
    case failed = "job.failed"
    case cancelled = "job.cancelled"
}

/// One event of the outbox: a job that reached a final state in a project with a webhook, written in the same
/// transaction as that state, with its delivery's progress.
public struct WebhookEvent: Sendable, Equatable {
    /// The row's id in the store (the order events were written in).
    public var rowID: Int64
    /// The event's id (`msg_` and 32 hex digits): the `webhook-id` of every attempt.
    public var eventID: String
    /// The project the job belongs to.
    public var projectID: Int64
    /// `job.completed`, `job.failed` or `job.cancelled`.
    public var type: String
    /// When the job reached its final state (milliseconds since the epoch): the body's `timestamp`.
    public var occurredAt: Int64
    /// The job as it was when it reached that state: the body's `data`.
    public var job: Job
    /// Where the delivery stands.
    public var state: WebhookDeliveryState
    /// Attempts made so far.
    public var attempts: Int64
    /// When the next attempt is due, while ``state`` is `pending`.
    public var nextAttemptAt: Int64?
    /// After this time a failed attempt marks the event `failed` instead of scheduling another.
    public var retryUntil: Int64
    /// When the last attempt was made.
    public var lastAttemptAt: Int64?
    /// The HTTP status of the last attempt's answer, if one came.
    public var lastStatus: Int64?
    /// Why the last attempt failed, when it did (`HTTP 500`, `timeout`, `connection refused`).
    public var lastError: String?

    /// An event with every field given.
    public init(
        rowID: Int64, eventID: String, projectID: Int64, type: String, occurredAt: Int64, job: Job,
        state: WebhookDeliveryState, attempts: Int64, nextAttemptAt: Int64?, retryUntil: Int64,
        lastAttemptAt: Int64?, lastStatus: Int64?, lastError: String?
    ) {
        self.rowID = rowID
        self.eventID = eventID
        self.projectID = projectID
        self.type = type
        self.occurredAt = occurredAt
        self.job = job
        self.state = state
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.retryUntil = retryUntil
        self.lastAttemptAt = lastAttemptAt
        self.lastStatus = lastStatus
        self.lastError = lastError
    }

    /// The body every attempt posts: `{"type":…,"timestamp":…,"data":<the job as GET /jobs/:jobId shows it>}`,
    /// the same bytes each time.
    public var body: String {
        var writer = JSONWriter()
        writer.raw("{\"type\":")
        writer.string(type)
        writer.raw(",\"timestamp\":")
        writer.string(RFC3339.text(milliseconds: occurredAt))
        writer.raw(",\"data\":")
        job.write(to: &writer)
        writer.raw("}")
        return writer.text
    }
}

/// An event claimed for delivery under a lease, with where to post it and the secrets to sign it with.
public struct ClaimedDelivery: Sendable, Equatable {
    /// The event.
    public var event: WebhookEvent
    /// The project's webhook; `nil` when it was removed since (the event is then marked failed).
    public var webhook: Webhook?
    /// Every secret that signs: the current one first, then the one a rotation replaced while it still signs.
    public var secrets: [WebhookSecret]
    /// When the lease ends.
    public var leaseExpiresAt: Int64

    /// A claimed delivery with every field given.
    public init(event: WebhookEvent, webhook: Webhook?, secrets: [WebhookSecret], leaseExpiresAt: Int64) {
        self.event = event
        self.webhook = webhook
        self.secrets = secrets
        self.leaseExpiresAt = leaseExpiresAt
    }
}

/// How many events wait for delivery and how many were given up, across every project.
public struct WebhookDeliveryCounts: Sendable, Equatable {
    public var pending: Int64
    public var failed: Int64

    public init(pending: Int64, failed: Int64) {
        self.pending = pending
        self.failed = failed
    }
}

/// RFC 3339 UTC text of a time in milliseconds since the epoch, with millisecond precision:
/// `2026-12-05T19:30:00.123Z`.
public enum RFC3339 {
    /// The text of `milliseconds` (civil date from days since the epoch, proleptic Gregorian).
    public static func text(milliseconds: Int64) -> String {
        let (seconds, millisecond) = milliseconds.quotientAndRemainder(dividingBy: 1000)
        let adjustedSeconds = millisecond < 0 ? seconds - 1 : seconds
        let millis = millisecond < 0 ? millisecond + 1000 : millisecond
        let (days0, secondOfDay0) = adjustedSeconds.quotientAndRemainder(dividingBy: 86_400)
        let days = secondOfDay0 < 0 ? days0 - 1 : days0
        let secondOfDay = secondOfDay0 < 0 ? secondOfDay0 + 86_400 : secondOfDay0
        // Howard Hinnant's civil_from_days.
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36_524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        func padded(_ value: Int64, _ width: Int) -> String {
            let digits = String(value)
            return String(repeating: "0", count: max(0, width - digits.count)) + digits
        }
        return "\(padded(year, 4))-\(padded(month, 2))-\(padded(day, 2))T\(padded(secondOfDay / 3600, 2)):"
            + "\(padded(secondOfDay / 60 % 60, 2)):\(padded(secondOfDay % 60, 2)).\(padded(millis, 3))Z"
    }
}
