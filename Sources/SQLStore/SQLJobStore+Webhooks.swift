import JobsCore

extension SQLJobStore {
    /// Creates the webhook, or changes the URL of the one the project has, in one write transaction.
    @inlinable
    public func setWebhook(projectID: Int64, url: String, allowsHTTP: Bool, secret: WebhookSecret, at time: Int64)
        throws -> (webhook: Webhook, created: Bool)
    {
        let statements = Self.webhookStatements
        return try guarded("setting the webhook of project \(projectID)") {
            try connection.writeTransaction {
                if let created = try connection.firstRow(
                    statements.insertWebhook,
                    [
                        .integer(projectID), .text(url), .integer(allowsHTTP ? 1 : 0), .text(secret.base64),
                        .integer(time),
                    ],
                    decode: Self.decodeWebhook)
                {
                    return (created, true)
                }
                guard
                    let updated = try connection.firstRow(
                        statements.updateWebhookURL,
                        [.integer(projectID), .text(url), .integer(allowsHTTP ? 1 : 0), .integer(time)],
                        decode: Self.decodeWebhook)
                else {
                    throw StoreError(.internal, "The webhook of project \(projectID) vanished while being set")
                }
                return (updated, false)
            }
        }
    }

    /// The project's webhook, if any.
    @inlinable
    public func webhook(projectID: Int64) throws -> Webhook? {
        try guarded("reading the webhook of project \(projectID)") {
            try connection.firstRow(
                Self.webhookStatements.webhook, [.integer(projectID)], decode: Self.decodeWebhook)
        }
    }

    /// One conditional update: the current secret becomes the previous one.
    @inlinable
    public func rotateWebhookSecret(
        projectID: Int64, secret: WebhookSecret, previousExpiresAt: Int64, at time: Int64
    ) throws -> Webhook? {
        try guarded("rotating the webhook secret of project \(projectID)") {
            try connection.firstRow(
                Self.webhookStatements.rotateWebhookSecret,
                [.integer(projectID), .text(secret.base64), .integer(previousExpiresAt), .integer(time)],
                decode: Self.decodeWebhook)
        }
    }

    /// Deletes the webhook and fails its pending events in one transaction.
    @inlinable
    public func removeWebhook(projectID: Int64, at time: Int64) throws -> Bool {
        let statements = Self.webhookStatements
        return try guarded("removing the webhook of project \(projectID)") {
            try connection.writeTransaction {
                try connection.run(statements.failPendingEvents, [.integer(projectID)])
                return try connection.firstRow(
                    statements.deleteWebhook, [.integer(projectID)], decode: Self.decodeID) != nil
            }
        }
    }

    /// Newest first.
    @inlinable
    public func webhookEvents(projectID: Int64, failedOnly: Bool, limit: Int) throws -> [WebhookEvent] {
        guard limit > 0 else { return [] }
        return try guarded("listing the webhook events of project \(projectID)") {
            try connection.rows(
                Self.webhookStatements.events,
                [.integer(projectID), .integer(failedOnly ? 1 : 0), .integer(Int64(limit))],
                decode: Self.decodeWebhookEvent)
        }
    }

    /// One conditional update.
    @inlinable
    public func redeliver(eventID: String, at time: Int64, retryUntil: Int64) throws -> WebhookEvent? {
        try guarded("redelivering webhook event \(eventID)") {
            try connection.firstRow(
                Self.webhookStatements.redeliver, [.text(eventID), .integer(time), .integer(retryUntil)],
                decode: Self.decodeWebhookEvent)
        }
    }

    /// Two counts in one statement.
    @inlinable
    public func webhookDeliveryCounts() throws -> WebhookDeliveryCounts {
        try guarded("counting webhook deliveries") { try countWebhookDeliveries() }
    }

    /// ``webhookDeliveryCounts()``'s statement, in the caller's `guarded` (the queue's figures read it too).
    @inlinable
    func countWebhookDeliveries() throws -> WebhookDeliveryCounts {
        try connection.firstRow(Self.webhookStatements.counts, []) { row in
            WebhookDeliveryCounts(pending: row.int64(at: 0), failed: row.int64(at: 1))
        } ?? WebhookDeliveryCounts(pending: 0, failed: 0)
    }

    /// One `UPDATE … RETURNING` claims; then each claimed event's webhook and secrets are read (a webhook removed
    /// in between gives `nil`: the caller marks the event failed).
    @inlinable
    public func claimDueDeliveries(owner: String, now: Int64, leaseUntil: Int64, limit: Int) throws
        -> [ClaimedDelivery]
    {
        guard limit > 0 else { return [] }
        let statements = Self.webhookStatements
        return try guarded("claiming due webhook deliveries for \(owner)") {
            let events = try connection.rows(
                statements.claimDueDeliveries,
                [.text(owner), .integer(now), .integer(leaseUntil), .integer(Int64(limit))],
                decode: Self.decodeWebhookEvent
            ).sorted { ($0.nextAttemptAt ?? 0, $0.rowID) < ($1.nextAttemptAt ?? 0, $1.rowID) }
            var webhooks: [Int64: (Webhook, [WebhookSecret])?] = [:]
            return try events.map { event in
                if webhooks[event.projectID] == nil {
                    webhooks[event.projectID] = .some(
                        try connection.firstRow(statements.webhook, [.integer(event.projectID)]) { row in
                            (try Self.decodeWebhook(row), Self.decodeSecrets(row, at: now))
                        })
                }
                let found = webhooks[event.projectID] ?? nil
                return ClaimedDelivery(
                    event: event, webhook: found?.0, secrets: found?.1 ?? [], leaseExpiresAt: leaseUntil)
            }
        }
    }

    /// One conditional update fenced on the lease.
    @inlinable
    public func recordDeliveryAttempt(
        rowID: Int64, owner: String, at time: Int64, state: WebhookDeliveryState, nextAttemptAt: Int64?,
        status: Int64?, error: String?
    ) throws -> Bool {
        try guarded("recording a webhook delivery attempt of \(owner)") {
            try connection.firstRow(
                Self.webhookStatements.recordAttempt,
                [
                    .integer(rowID), .text(owner), .integer(time), .text(state.rawValue),
                    .integer(orNull: nextAttemptAt), .integer(orNull: status),
                    .text(orNull: error.map(Self.storable(errors:))),
                ],
                decode: Self.decodeID) != nil
        }
    }

    /// A webhook from a row of ``WebhookStatements/webhookColumns``.
    @inlinable
    public static func decodeWebhook(_ row: Connection.Row) throws -> Webhook {
        Webhook(
            projectID: row.int64(at: 0), url: row.text(at: 1), allowsHTTP: row.int64(at: 2) != 0,
            createdAt: row.int64(at: 3), updatedAt: row.int64(at: 4), previousSecretExpiresAt: row.optionalInt64(at: 5))
    }

    /// The secrets that sign at `now` from a row of ``WebhookStatements/webhookColumns``: the current one, and the
    /// previous one until it expires.
    @inlinable
    static func decodeSecrets(_ row: Connection.Row, at now: Int64) -> [WebhookSecret] {
        var secrets: [WebhookSecret] = []
        if let current = WebhookSecret(base64: row.text(at: 6)) { secrets.append(current) }
        if let expiry = row.optionalInt64(at: 5), expiry > now, let text = row.optionalText(at: 7),
            let previous = WebhookSecret(base64: text)
        {
            secrets.append(previous)
        }
        return secrets
    }

    /// An event from a row of ``WebhookStatements/eventColumns``.
    @inlinable
    public static func decodeWebhookEvent(_ row: Connection.Row) throws -> WebhookEvent {
        let rowID = row.int64(at: 0)
        guard let status = JobStatus(rawValue: row.text(at: 7)),
            let state = WebhookDeliveryState(rawValue: row.text(at: 14))
        else {
            throw StoreError(.internal, "Webhook event \(rowID) has an unknown job status or state")
        }
        let job = Job(
            id: row.int64(at: 5), description: row.text(at: 6), status: status, projectID: row.int64(at: 2),
            action: JobAction(rawValue: row.text(at: 8)), referenceID: row.text(at: 9),
            createdAt: row.int64(at: 10), updatedAt: row.optionalInt64(at: 11), startAt: row.int64(at: 12),
            errors: row.optionalText(at: 13))
        return WebhookEvent(
            rowID: rowID, eventID: row.text(at: 1), projectID: row.int64(at: 2), type: row.text(at: 3),
            occurredAt: row.int64(at: 4), job: job, state: state, attempts: row.int64(at: 15),
            nextAttemptAt: row.optionalInt64(at: 16), retryUntil: row.int64(at: 17),
            lastAttemptAt: row.optionalInt64(at: 18), lastStatus: row.optionalInt64(at: 19),
            lastError: row.optionalText(at: 20))
    }
}
