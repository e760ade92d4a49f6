/// The text of every statement on webhooks and their outbox, prepared by an engine as its `Query`; the same text
/// on both engines except the claim (``claimDueDeliveries``).
public final class WebhookStatements<Query: Sendable>: Sendable {
    /// The columns of an event, in the order ``SQLJobStore/decodeWebhookEvent(_:)`` reads them.
    public static var eventColumns: String { eventColumns(of: nil) }

    /// ``eventColumns``, each qualified with `table` when given.
    public static func eventColumns(of table: String?) -> String {
        [
            "id", "event_id", "project_id", "type", "occurred_at", "job_id", "job_description", "job_status",
            "job_action", "job_reference_id", "job_created_at", "job_updated_at", "job_start_at", "job_errors",
            "state", "attempts", "next_attempt_at", "retry_until", "last_attempt_at", "last_status", "last_error",
        ].map { column in table.map { "\($0).\(column)" } ?? column }.joined(separator: ", ")
    }
    /// The columns of a webhook, in the order ``SQLJobStore/decodeWebhook(_:)`` reads them, then its secrets.
    public static var webhookColumns: String {
        "project_id, url, allow_http, created_at, updated_at, previous_secret_expires_at, secret, previous_secret"
    }

    /// Inserts project `?1`'s webhook (`?2` URL, `?3` allow http, `?4` secret, `?5` time) unless it has one.
    public let insertWebhook: Query
    /// Changes the URL of project `?1`'s webhook.
    public let updateWebhookURL: Query
    /// Project `?1`'s webhook.
    public let webhook: Query
    /// Replaces project `?1`'s secret with `?2`, keeping the old one until `?3`, at `?4`.
    public let rotateWebhookSecret: Query
    /// Deletes project `?1`'s webhook.
    public let deleteWebhook: Query
    /// Marks project `?1`'s pending events failed.
    public let failPendingEvents: Query
    /// Up to `?3` of project `?1`'s events, newest first, only failed ones when `?2` is 1.
    public let events: Query
    /// Makes event `?1` pending, due at `?2`, retried until `?3`.
    public let redeliver: Query
    /// Pending and failed events.
    public let counts: Query
    /// Claims up to `?4` due events for owner `?1` at `?2` with a lease until `?3`; returns ``eventColumns``.
    public let claimDueDeliveries: Query
    /// Deletes up to `?2` delivered or failed events of jobs that ended before `?1` (with a purge of the jobs).
    public let purgeEvents: Query
    /// Records an attempt on event `?1` leased by `?2`: at `?3`, state `?4`, next attempt `?5`, status `?6`,
    /// error `?7`; drops the lease.
    public let recordAttempt: Query

    /// Every statement, `claimDueDeliveries` being the engine's text of the claim, each made by `make`.
    public init(claimDueDeliveries claim: String, make: (String) -> Query) {
        let eventColumns = Self.eventColumns
        let webhookColumns = Self.webhookColumns
        insertWebhook = make(
            """
            INSERT INTO webhooks (project_id, url, allow_http, secret, created_at, updated_at)
            VALUES (?1, ?2, ?3, ?4, ?5, ?5)
            ON CONFLICT (project_id) DO NOTHING
            RETURNING \(webhookColumns)
            """)
        updateWebhookURL = make(
            """
            UPDATE webhooks SET url = ?2, allow_http = ?3, updated_at = ?4 WHERE project_id = ?1
            RETURNING \(webhookColumns)
            """)
        webhook = make("SELECT \(webhookColumns) FROM webhooks WHERE project_id = ?1")
        rotateWebhookSecret = make(
            """
            UPDATE webhooks SET previous_secret = secret, previous_secret_expires_at = ?3, secret = ?2,
                updated_at = ?4
            WHERE project_id = ?1
            RETURNING \(webhookColumns)
            """)
        deleteWebhook = make("DELETE FROM webhooks WHERE project_id = ?1 RETURNING project_id")
        failPendingEvents = make(
            """
            UPDATE webhook_events SET state = 'failed', next_attempt_at = NULL, last_error = 'webhook removed',
                lease_owner = NULL, lease_expires_at = NULL
            WHERE project_id = ?1 AND state = 'pending'
            """)
        events = make(
            """
            SELECT \(eventColumns) FROM webhook_events
            WHERE project_id = ?1 AND (?2 = 0 OR state = 'failed')
            ORDER BY id DESC LIMIT ?3
            """)
        redeliver = make(
            """
            UPDATE webhook_events SET state = 'pending', next_attempt_at = ?2, retry_until = ?3
            WHERE event_id = ?1
            RETURNING \(eventColumns)
            """)
        counts = make(
            """
            SELECT (SELECT count(*) FROM webhook_events WHERE state = 'pending'),
                (SELECT count(*) FROM webhook_events WHERE state = 'failed')
            """)
        claimDueDeliveries = make(claim)
        purgeEvents = make(
            """
            DELETE FROM webhook_events WHERE id IN (
                SELECT id FROM webhook_events
                WHERE (state = 'delivered' OR state = 'failed') AND occurred_at < ?1
                ORDER BY id LIMIT ?2
            )
            """)
        recordAttempt = make(
            """
            UPDATE webhook_events SET attempts = attempts + 1, last_attempt_at = ?3, state = ?4,
                next_attempt_at = ?5, last_status = ?6, last_error = ?7, lease_owner = NULL, lease_expires_at = NULL
            WHERE id = ?1 AND lease_owner = ?2
            RETURNING id
            """)
    }
}
