import ArgumentParser
import JobsCore

/// `jobsctl webhook …`: a project's webhook, its secret and its deliveries.
struct WebhookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhook",
        abstract: "Configure a project's webhook and see its deliveries.",
        discussion: """
            When a job of a project with a webhook becomes completed, failed or cancelled, `jobsctl worker` posts \
            {"type":"job.completed","timestamp":…,"data":<the job>} to the webhook's URL, signed as the Standard \
            Webhooks specification 1.0 says (headers webhook-id, webhook-timestamp, webhook-signature), and retries \
            with exponential backoff for 3 days until the receiver answers 2xx. See docs/WEBHOOKS.md.

            Example:
              jobsctl webhook set --project 3sWXSsqHgSKnE87YkNJK https://example.com/jobs-webhook
              jobsctl webhook deliveries --project 3sWXSsqHgSKnE87YkNJK --failed
            """,
        subcommands: [Set.self, Show.self, RotateSecret.self, Remove.self, Deliveries.self, Redeliver.self])

    /// How long a replaced secret still signs after a rotation.
    static let rotationOverlap: Int64 = 24 * 3_600_000

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Give a project a webhook, or change its URL.",
            discussion: """
                A new webhook prints {"allowHttp","created":true,"projectKey","secret","url"}: the signing secret \
                (whsec_…) is shown this once; hand it to the receiver. Changing the URL of an existing webhook \
                keeps its secret and prints no secret ("created":false).

                Example:
                  jobsctl webhook set --project 3sWXSsqHgSKnE87YkNJK https://example.com/jobs-webhook
                """)

        @OptionGroup var storeOptions: StoreOptions
        @Option(name: .customLong("project"), help: "The project key.") var projectKey: String
        @Flag(help: "Allow an http:// URL: deliveries are then sent unencrypted (a receiver on the same host).")
        var allowHttp = false
        @Argument(help: "Where events are posted: an https:// URL.") var url: String

        func validate() throws {
            if let problem = Webhook.problem(url: url, allowsHTTP: allowHttp) { throw ValidationError(problem) }
        }

        func run() throws {
            let (store, webhooks) = try storeOptions.webhookStore()
            let project = try store.existingProject(projectKey)
            let secret = WebhookSecret.random()
            let (webhook, created) = try webhooks.setWebhook(
                projectID: project.id, url: url, allowsHTTP: allowHttp, secret: secret, at: JobsAPI.now())
            try Output.line(
                NewWebhookOutput(
                    projectKey: project.key.rawValue, url: webhook.url, allowHttp: webhook.allowsHTTP,
                    created: created, secret: created ? secret.text : nil))
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Show a project's webhook (never its secret).",
            discussion: """
                Prints {"allowHttp","createdAt","previousSecretExpiresAt","projectKey","updatedAt","url"}.

                Example:
                  jobsctl webhook show --project 3sWXSsqHgSKnE87YkNJK
                """)

        @OptionGroup var storeOptions: StoreOptions
        @Option(name: .customLong("project"), help: "The project key.") var projectKey: String

        func run() throws {
            let (store, webhooks) = try storeOptions.webhookStore()
            let project = try store.existingProject(projectKey)
            guard let webhook = try webhooks.webhook(projectID: project.id) else {
                throw CLIError("project \(projectKey) has no webhook")
            }
            try Output.line(WebhookOutput(projectKey: project.key.rawValue, webhook))
        }
    }

    struct RotateSecret: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-secret",
            abstract: "Give a webhook a new signing secret; for 24 hours both secrets sign every delivery.",
            discussion: """
                Prints {"previousSecretExpiresAt","projectKey","secret"}: the new secret, shown this once. Until \
                previousSecretExpiresAt each delivery carries two signatures (webhook-signature: v1,… v1,…), so \
                the receiver can switch to the new secret at any time in those 24 hours.

                Example:
                  jobsctl webhook rotate-secret --project 3sWXSsqHgSKnE87YkNJK
                """)

        @OptionGroup var storeOptions: StoreOptions
        @Option(name: .customLong("project"), help: "The project key.") var projectKey: String

        func run() throws {
            let (store, webhooks) = try storeOptions.webhookStore()
            let project = try store.existingProject(projectKey)
            let secret = WebhookSecret.random()
            let now = JobsAPI.now()
            guard
                let webhook = try webhooks.rotateWebhookSecret(
                    projectID: project.id, secret: secret, previousExpiresAt: now + WebhookCommand.rotationOverlap,
                    at: now)
            else {
                throw CLIError("project \(projectKey) has no webhook")
            }
            try Output.line(
                RotatedSecretOutput(
                    projectKey: project.key.rawValue, secret: secret.text,
                    previousSecretExpiresAt: webhook.previousSecretExpiresAt))
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Remove a project's webhook; its undelivered events are marked failed.",
            discussion: """
                Prints {"projectKey","removed":true}.

                Example:
                  jobsctl webhook remove --project 3sWXSsqHgSKnE87YkNJK
                """)

        @OptionGroup var storeOptions: StoreOptions
        @Option(name: .customLong("project"), help: "The project key.") var projectKey: String

        func run() throws {
            let (store, webhooks) = try storeOptions.webhookStore()
            let project = try store.existingProject(projectKey)
            guard try webhooks.removeWebhook(projectID: project.id, at: JobsAPI.now()) else {
                throw CLIError("project \(projectKey) has no webhook")
            }
            try Output.line(RemovedWebhookOutput(projectKey: project.key.rawValue, removed: true))
        }
    }

    struct Deliveries: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "List a project's webhook events with their delivery, newest first, one JSON object per line.",
            discussion: """
                Each line: {"attempts","eventId","jobId","lastAttemptAt","lastError","lastStatus","nextAttemptAt",\
                "occurredAt","state","type"}; state is pending, delivered or failed. Standard error gets the counts \
                of pending and failed events across every project.

                Example:
                  jobsctl webhook deliveries --project 3sWXSsqHgSKnE87YkNJK --failed
                """)

        @OptionGroup var storeOptions: StoreOptions
        @Option(name: .customLong("project"), help: "The project key.") var projectKey: String
        @Flag(help: "Only the events given up (failed).") var failed = false
        @Option(parsing: .unconditional, help: "At most this many events (default 100).") var limit = 100

        func validate() throws {
            guard (1...100_000).contains(limit) else { throw ValidationError("--limit must be 1–100000") }
        }

        func run() throws {
            let (store, webhooks) = try storeOptions.webhookStore()
            let project = try store.existingProject(projectKey)
            let events = try webhooks.webhookEvents(projectID: project.id, failedOnly: failed, limit: limit)
            try Output.lines(events.map(WebhookEventOutput.init))
            let counts = try webhooks.webhookDeliveryCounts()
            Output.note("\(counts.pending) pending, \(counts.failed) failed webhook deliveries in the store")
        }
    }

    struct Redeliver: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Deliver an event again: it becomes pending, due now, retried for 3 more days.",
            discussion: """
                Prints the event as `webhook deliveries` does. The next worker's delivery sends it with the same \
                webhook-id.

                Example:
                  jobsctl webhook redeliver msg_5f0c1e0d9a8b4c7e8f6a5b4c3d2e1f00
                """)

        @OptionGroup var storeOptions: StoreOptions
        @Argument(help: "The event's id (msg_…), as `webhook deliveries` shows it.") var eventID: String

        func run() throws {
            let (_, webhooks) = try storeOptions.webhookStore()
            let now = JobsAPI.now()
            guard
                let event = try webhooks.redeliver(
                    eventID: eventID, at: now, retryUntil: now + DeliverySchedule.retryPeriod)
            else {
                throw CLIError("no webhook event with id \(Output.quoted(eventID))")
            }
            try Output.line(WebhookEventOutput(event))
        }
    }
}

extension StoreOptions {
    /// The administrative store, also as the webhooks' store (every store engine is both).
    func webhookStore() throws -> (any StoreAdministration, any WebhookStore) {
        let store = try administration()
        guard let webhooks = store as? any WebhookStore else {
            throw CLIError("this store does not keep webhooks")
        }
        return (store, webhooks)
    }
}

/// `{"allowHttp","created","projectKey","secret","url"}`, the secret only when created.
struct NewWebhookOutput: Encodable {
    let projectKey: String, url: String, allowHttp: Bool, created: Bool, secret: String?
}

/// `{"allowHttp","createdAt","previousSecretExpiresAt","projectKey","updatedAt","url"}`.
struct WebhookOutput: Encodable {
    let projectKey: String, url: String, allowHttp: Bool, createdAt: Int64, updatedAt: Int64
    let previousSecretExpiresAt: Int64?

    init(projectKey: String, _ webhook: Webhook) {
        self.projectKey = projectKey
        url = webhook.url
        allowHttp = webhook.allowsHTTP
        createdAt = webhook.createdAt
        updatedAt = webhook.updatedAt
        previousSecretExpiresAt = webhook.previousSecretExpiresAt
    }

    private enum CodingKeys: String, CodingKey {
        case projectKey, url, allowHttp, createdAt, updatedAt, previousSecretExpiresAt
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(projectKey, forKey: .projectKey)
        try container.encode(url, forKey: .url)
        try container.encode(allowHttp, forKey: .allowHttp)
        try container.encode(createdAt, forKey: .createdAt)
        try container.encode(updatedAt, forKey: .updatedAt)
        try container.encode(previousSecretExpiresAt, forKey: .previousSecretExpiresAt)
    }
}

/// `{"previousSecretExpiresAt","projectKey","secret"}`.
struct RotatedSecretOutput: Encodable {
    let projectKey: String, secret: String, previousSecretExpiresAt: Int64?
}

/// `{"projectKey","removed"}`.
struct RemovedWebhookOutput: Encodable {
    let projectKey: String, removed: Bool
}

/// One event and its delivery, the unset values `null`; never the job's reference id.
struct WebhookEventOutput: Encodable {
    let event: WebhookEvent

    init(_ event: WebhookEvent) { self.event = event }

    private enum CodingKeys: String, CodingKey {
        case eventId, type, jobId, occurredAt, state, attempts, lastAttemptAt, lastStatus, lastError, nextAttemptAt
    }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(event.eventID, forKey: .eventId)
        try container.encode(event.type, forKey: .type)
        try container.encode(event.job.id, forKey: .jobId)
        try container.encode(event.occurredAt, forKey: .occurredAt)
        try container.encode(event.state.rawValue, forKey: .state)
        try container.encode(event.attempts, forKey: .attempts)
        try container.encode(event.lastAttemptAt, forKey: .lastAttemptAt)
        try container.encode(event.lastStatus, forKey: .lastStatus)
        try container.encode(event.lastError, forKey: .lastError)
        try container.encode(event.nextAttemptAt, forKey: .nextAttemptAt)
    }
}
