import JobsCore
import SQLStore

extension SQLiteJobStore {
    /// Every statement on webhooks, with SQLite's claim.
    public static let webhookStatements = WebhookStatements<SQLiteQuery>(
        claimDueDeliveries: """
            UPDATE webhook_events SET lease_owner = ?1, lease_expires_at = ?3
            WHERE id IN (
                SELECT id FROM webhook_events
                WHERE state = 'pending' AND next_attempt_at <= ?2
                    AND (lease_expires_at IS NULL OR lease_expires_at < ?2)
                ORDER BY next_attempt_at, id LIMIT ?4
            )
            RETURNING \(WebhookStatements<SQLiteQuery>.eventColumns)
            """,
        make: SQLiteQuery.init)
}
