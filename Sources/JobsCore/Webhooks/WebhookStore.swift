/// The webhooks of projects and their outbox: what `jobsctl webhook` configures and lists, and what a worker's
/// delivery loop claims and records.
///
/// Events are never written here: the store writes one in the same transaction as the change that ends a job
/// (`completed`, `failed`, `cancelled`), whichever operation made it, when the job's project has a webhook.
public protocol WebhookStore: AnyObject {
    /// Creates the project's webhook with `secret`, or changes the URL of the one it has (keeping its secrets).
    /// Returns the webhook and whether it was created.
    func setWebhook(projectID: Int64, url: String, allowsHTTP: Bool, secret: WebhookSecret, at time: Int64) throws
        -> (webhook: Webhook, created: Bool)
    /// The project's webhook, if it has one.
    func webhook(projectID: Int64) throws -> Webhook?
    /// Replaces the webhook's secret with `secret`; the one replaced still signs until `previousExpiresAt`.
    /// `nil` when the project has no webhook.
    func rotateWebhookSecret(projectID: Int64, secret: WebhookSecret, previousExpiresAt: Int64, at time: Int64)
        throws -> Webhook?
    /// Removes the project's webhook; its pending events are marked failed (`webhook removed`). Whether there
    /// was one.
    func removeWebhook(projectID: Int64, at time: Int64) throws -> Bool
    /// Up to `limit` of the project's events, newest first, optionally only the failed ones.
    func webhookEvents(projectID: Int64, failedOnly: Bool, limit: Int) throws -> [WebhookEvent]
    /// Makes the event due again at `time` (pending, retried until `retryUntil`); `nil` when no event has this id.
    func redeliver(eventID: String, at time: Int64, retryUntil: Int64) throws -> WebhookEvent?
    /// Pending and failed events across every project.
    func webhookDeliveryCounts() throws -> WebhookDeliveryCounts

    /// Claims up to `limit` due pending events for `owner` until `leaseUntil`, in one atomic step: of any number of
    /// claims at once, each event goes to one. An event whose lease expired (its worker died mid-attempt) is due.
    func claimDueDeliveries(owner: String, now: Int64, leaseUntil: Int64, limit: Int) throws -> [ClaimedDelivery]
    /// Records an attempt of an event leased by `owner` and drops the lease: `state` (`delivered`, `failed`, or
    /// `pending` again with `nextAttemptAt`), the answer's status or the error. `false` when the lease was no
    /// longer `owner`'s, and nothing changes.
    func recordDeliveryAttempt(
        rowID: Int64, owner: String, at time: Int64, state: WebhookDeliveryState, nextAttemptAt: Int64?,
        status: Int64?, error: String?
    ) throws -> Bool
}
