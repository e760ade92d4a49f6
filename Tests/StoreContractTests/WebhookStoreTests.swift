import JobsCore
import JobsTesting
import Testing

@Suite("Store contract: Webhooks: the outbox written with a job's final state, deliveries claimed under a lease")
struct WebhookStoreTests {
    static let now = ContractFixture.now + 10_000
    static let secret = WebhookSecret(bytes: Array(repeating: 7, count: 32))

    /// The fixture's store as a ``WebhookStore`` (every SQL store is one).
    static func webhooks(_ fixture: ContractFixture) throws -> any WebhookStore {
        try #require(fixture.admin as? any WebhookStore)
    }

    @discardableResult
    static func setWebhook(_ fixture: ContractFixture, projectID: Int64? = nil) throws -> Webhook {
        try webhooks(fixture).setWebhook(
            projectID: projectID ?? fixture.project.id, url: "https://example.com/hook", allowsHTTP: false,
            secret: secret, at: ContractFixture.now
        ).webhook
    }

    @Test("a worker's finish and a cancel (scheduled or running) each write one event with the job as it ended; a project without a webhook, a refused cancel and an import write none", arguments: StoreKind.allCases)
    func eventsWithFinalStates(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            try Self.setWebhook(fixture)
            let store = try Self.webhooks(fixture)
            let other = try fixture.makeProject()
            let completed = try fixture.insertJob(userID: "user-completed", startAt: 0)
            let failed = try fixture.insertJob(userID: "user-failed", startAt: 0)
            let running = try fixture.insertJob(userID: "user-running", startAt: 0)
            _ = try fixture.admin.claimDueJobs(
                owner: "w1", now: Self.now, leaseUntil: Self.now + 30_000, limit: 3, actions: [.deleteUserData])
            let scheduled = try fixture.insertJob(userID: "user-scheduled", startAt: Self.now + 100_000)
            let elsewhere = try fixture.insertJob(userID: "user-other", projectID: other.id, startAt: Self.now + 100_000)
            try fixture.insertJob(userID: "user-imported", status: .completed, startAt: 0)

            let ended = try [
                #require(try fixture.admin.finishJob(
                    id: completed.id, owner: "w1", status: .completed, errors: nil, at: Self.now + 1)),
                #require(try fixture.admin.finishJob(
                    id: failed.id, owner: "w1", status: .failed, errors: "exit 3", at: Self.now + 2)),
            ]
            var cancelled: [Job] = []
            for job in [running, scheduled] {
                guard case .cancelled(let job) = try fixture.admin.cancelJob(
                    id: job.id, projectID: fixture.project.id, at: Self.now + 3)
                else { Issue.record("not cancelled"); return }
                cancelled.append(job)
            }
            _ = try fixture.admin.cancelJob(id: scheduled.id, projectID: fixture.project.id, at: Self.now + 4)
            _ = try fixture.admin.cancelJob(id: elsewhere.id, projectID: other.id, at: Self.now + 4)

            let events = try store.webhookEvents(projectID: fixture.project.id, failedOnly: false, limit: 10)
            #expect(events.map(\.type) == ["job.cancelled", "job.cancelled", "job.failed", "job.completed"])
            #expect(events.map(\.job) == (ended + cancelled).reversed())
            #expect(events.map(\.occurredAt) == [Self.now + 3, Self.now + 3, Self.now + 2, Self.now + 1])
            #expect(events.allSatisfy { $0.state == .pending && $0.attempts == 0 && $0.nextAttemptAt == $0.occurredAt })
            #expect(events.allSatisfy { $0.retryUntil == $0.occurredAt + DeliverySchedule.retryPeriod })
            #expect(Set(events.map(\.eventID)).count == 4)
            #expect(events.allSatisfy { $0.eventID.hasPrefix("msg_") && $0.eventID.utf8.count == 36 })
            #expect(try store.webhookEvents(projectID: other.id, failedOnly: false, limit: 10) == [])
            #expect(try store.webhookDeliveryCounts() == WebhookDeliveryCounts(pending: 4, failed: 0))
            // What jobsctl status and the metrics show.
            #expect(try #require(store as? any StoreMonitoring).queueSummary(at: Self.now).webhookDeliveries == WebhookDeliveryCounts(pending: 4, failed: 0))
            #expect(events.last?.body == """
                {"type":"job.completed","timestamp":"2023-11-14T22:13:30.001Z","data":\(ended[0].jsonText)}
                """)
        }
    }

    @Test("a due event goes to one claim at a time; its attempt is recorded only by its owner; an expired lease is taken over", arguments: StoreKind.allCases)
    func claimsAndRecords(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            try Self.setWebhook(fixture)
            let store = try Self.webhooks(fixture)
            let second = try #require(
                try fixture.connector.connectForAdministration(create: false) as? any WebhookStore)
            let job = try fixture.insertJob(userID: "user-1", startAt: Self.now + 100_000)
            _ = try fixture.admin.cancelJob(id: job.id, projectID: fixture.project.id, at: Self.now)

            #expect(try store.claimDueDeliveries(owner: "w1", now: Self.now - 1, leaseUntil: Self.now, limit: 5) == [])
            let claimed = try store.claimDueDeliveries(owner: "w1", now: Self.now, leaseUntil: Self.now + 100, limit: 5)
            #expect(claimed.count == 1)
            #expect(claimed.first?.secrets == [Self.secret])
            #expect(claimed.first?.webhook?.url == "https://example.com/hook")
            #expect(try second.claimDueDeliveries(owner: "w2", now: Self.now + 50, leaseUntil: Self.now + 200, limit: 5).isEmpty)
            let event = try #require(claimed.first?.event)
            #expect(try !second.recordDeliveryAttempt(
                rowID: event.rowID, owner: "w2", at: Self.now, state: .delivered, nextAttemptAt: nil, status: 200,
                error: nil))

            // w1 died: its lease ends at now + 100; w2 takes the event over after that.
            let taken = try second.claimDueDeliveries(owner: "w2", now: Self.now + 101, leaseUntil: Self.now + 300, limit: 5)
            #expect(taken.map(\.event.eventID) == [event.eventID])
            #expect(try !store.recordDeliveryAttempt(
                rowID: event.rowID, owner: "w1", at: Self.now, state: .delivered, nextAttemptAt: nil, status: 200,
                error: nil))
            #expect(try second.recordDeliveryAttempt(
                rowID: event.rowID, owner: "w2", at: Self.now + 150, state: .pending, nextAttemptAt: Self.now + 5000,
                status: 500, error: "HTTP 500"))
            let retried = try #require(try store.webhookEvents(projectID: fixture.project.id, failedOnly: false, limit: 1).first)
            #expect(retried.attempts == 1 && retried.lastStatus == 500 && retried.lastError == "HTTP 500")
            #expect(retried.nextAttemptAt == Self.now + 5000 && retried.state == .pending)
            #expect(try store.claimDueDeliveries(owner: "w1", now: Self.now + 4999, leaseUntil: Self.now + 9999, limit: 5).isEmpty)
            #expect(try store.claimDueDeliveries(owner: "w1", now: Self.now + 5000, leaseUntil: Self.now + 9999, limit: 5).count == 1)
            #expect(try store.recordDeliveryAttempt(
                rowID: event.rowID, owner: "w1", at: Self.now + 5001, state: .failed, nextAttemptAt: nil, status: nil,
                error: "timeout"))
            #expect(try store.webhookEvents(projectID: fixture.project.id, failedOnly: true, limit: 5).map(\.eventID) == [event.eventID])
            #expect(try store.webhookDeliveryCounts() == WebhookDeliveryCounts(pending: 0, failed: 1))
            #expect(try #require(store as? any StoreMonitoring).queueSummary(at: Self.now + 5001).webhookDeliveries == WebhookDeliveryCounts(pending: 0, failed: 1))

            let again = try #require(try store.redeliver(eventID: event.eventID, at: Self.now + 6000, retryUntil: Self.now + 7000))
            #expect(again.state == .pending && again.nextAttemptAt == Self.now + 6000 && again.retryUntil == Self.now + 7000)
            #expect(try store.redeliver(eventID: "msg_none", at: Self.now, retryUntil: Self.now) == nil)
            #expect(try store.claimDueDeliveries(owner: "w1", now: Self.now + 6000, leaseUntil: Self.now + 9999, limit: 5).count == 1)
        }
    }

    @Test("set keeps the secret when it changes the URL; a rotation signs with both secrets until the old one expires; remove fails pending events", arguments: StoreKind.allCases)
    func configuration(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            let store = try Self.webhooks(fixture)
            let projectID = fixture.project.id
            #expect(try store.webhook(projectID: projectID) == nil)
            let first = try store.setWebhook(
                projectID: projectID, url: "https://a.example/x", allowsHTTP: false, secret: Self.secret, at: 1)
            #expect(first.created && first.webhook.url == "https://a.example/x" && !first.webhook.allowsHTTP)
            let other = WebhookSecret.random()
            let second = try store.setWebhook(
                projectID: projectID, url: "http://127.0.0.1:9/y", allowsHTTP: true, secret: other, at: 2)
            #expect(!second.created && second.webhook.url == "http://127.0.0.1:9/y" && second.webhook.allowsHTTP)
            #expect(second.webhook.createdAt == 1 && second.webhook.updatedAt == 2)

            let job = try fixture.insertJob(userID: "user-1", startAt: Self.now + 100_000)
            _ = try fixture.admin.cancelJob(id: job.id, projectID: projectID, at: Self.now)
            let claimed = try store.claimDueDeliveries(owner: "w", now: Self.now, leaseUntil: Self.now + 10, limit: 1)
            #expect(claimed.first?.secrets == [Self.secret])

            let rotated = try #require(try store.rotateWebhookSecret(
                projectID: projectID, secret: other, previousExpiresAt: Self.now + 1000, at: Self.now))
            #expect(rotated.previousSecretExpiresAt == Self.now + 1000)
            let during = try store.claimDueDeliveries(owner: "w", now: Self.now + 11, leaseUntil: Self.now + 20, limit: 1)
            #expect(during.first?.secrets == [other, Self.secret])
            let after = try store.claimDueDeliveries(owner: "w", now: Self.now + 1000, leaseUntil: Self.now + 2000, limit: 1)
            #expect(after.first?.secrets == [other])

            #expect(try store.removeWebhook(projectID: projectID, at: Self.now))
            #expect(try !store.removeWebhook(projectID: projectID, at: Self.now))
            #expect(try store.webhook(projectID: projectID) == nil)
            let events = try store.webhookEvents(projectID: projectID, failedOnly: true, limit: 5)
            #expect(events.count == 1 && events.first?.lastError == "webhook removed")
            #expect(try store.rotateWebhookSecret(projectID: projectID, secret: other, previousExpiresAt: 0, at: 0) == nil)
        }
    }

    @Test("a purge deletes the delivered and failed events of the jobs it deletes, and keeps pending ones", arguments: StoreKind.allCases)
    func purgeDeletesFinishedEvents(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            try Self.setWebhook(fixture)
            let store = try Self.webhooks(fixture)
            for user in ["user-delivered", "user-pending"] {
                let job = try fixture.insertJob(userID: user, startAt: Self.now + 100_000)
                _ = try fixture.admin.cancelJob(id: job.id, projectID: fixture.project.id, at: Self.now)
            }
            let claimed = try #require(
                try store.claimDueDeliveries(owner: "w", now: Self.now, leaseUntil: Self.now + 10, limit: 1).first)
            #expect(try store.recordDeliveryAttempt(
                rowID: claimed.event.rowID, owner: "w", at: Self.now, state: .delivered, nextAttemptAt: nil,
                status: 200, error: nil))
            #expect(try fixture.admin.purgeFinishedJobs(before: Self.now + 1, limit: 100) == 2)
            let left = try store.webhookEvents(projectID: fixture.project.id, failedOnly: false, limit: 10)
            #expect(left.map(\.state) == [.pending])
            #expect(left.first?.rowID != claimed.event.rowID)
        }
    }
}
