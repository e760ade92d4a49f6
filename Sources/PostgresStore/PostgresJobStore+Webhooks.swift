import JobsCore
import SQLStore

extension PostgresJobStore {
    /// Every statement on webhooks, with PostgreSQL's claim: `SKIP LOCKED` passes over the events another claim is
    /// taking, and the outer `WHERE` repeats the conditions, so that a row changed by a concurrent claim is
    /// checked again on its new version.
    public static let webhookStatements = WebhookStatements<String>(
        claimDueDeliveries: """
            WITH due AS (
                SELECT id FROM webhook_events
                WHERE state = 'pending' AND next_attempt_at <= ?2
                    AND (lease_expires_at IS NULL OR lease_expires_at < ?2)
                ORDER BY next_attempt_at, id LIMIT ?4 FOR UPDATE SKIP LOCKED
            )
            UPDATE webhook_events SET lease_owner = ?1, lease_expires_at = ?3
            FROM due
            WHERE webhook_events.id = due.id AND webhook_events.state = 'pending'
                AND (webhook_events.lease_expires_at IS NULL OR webhook_events.lease_expires_at < ?2)
            RETURNING \(WebhookStatements<String>.eventColumns(of: "webhook_events"))
            """,
        make: dollarParameters)
}
