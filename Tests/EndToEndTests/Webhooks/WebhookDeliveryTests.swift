import Foundation
import JobsTesting
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Webhooks end to end (issue 19): the real stack, `jobsctl worker` processes, and a receiver on loopback that
/// verifies every delivery with the `standardwebhooks` library. SQLite, or PostgreSQL with `JOBS_TEST_STORE`.
@Suite(.serialized)
struct WebhookDeliveryTests {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .appendingPathComponent("webhook-receiver.py").path

    /// A worker fixture whose project has a webhook to a receiver that knows its secret.
    struct Setup {
        let fixture: WorkerFixture
        let receiver: WebhookReceiver
        let secret: String

        init() throws {
            fixture = try WorkerFixture()
            receiver = try WebhookReceiver(script: WebhookDeliveryTests.script, secrets: [])
            let set = try #require(
                try fixture.stack.jobsctl(
                    ["webhook", "set", "--project", fixture.projectKey, "--allow-http", receiver.url]
                ).first)
            secret = try #require(set["secret"]?.string)
            try receiver.setSecrets([secret])
        }

        /// An action that completes a job of user `ok…`, fails one of `bad…` (exit 3), and sleeps for others.
        func action() throws -> [String] {
            try fixture.action(
                """
                case "$REFERENCE_ID" in ok*) exit 0 ;; bad*) echo broken >&2; exit 3 ;; *) sleep 60 ;; esac
                """)
        }

        func deliveries() throws -> [JSONValue] {
            try fixture.stack.jobsctl(["webhook", "deliveries", "--project", fixture.projectKey])
        }
    }

    @Test func eachFinalStateArrivesOnceSignedAsTheJobShowsIt() throws {
        let setup = try Setup()
        let worker = try setup.fixture.stack.startWorker(try setup.action() + ["--poll-seconds", "0.2"])
        let completed = try #require(try setup.fixture.requestDeletion("ok-ada@example.com")["jobId"]?.int)
        let failed = try #require(try setup.fixture.requestDeletion("bad-bob@example.com")["jobId"]?.int)
        let running = try #require(try setup.fixture.requestDeletion("slow-cy@example.com")["jobId"]?.int)
        try setup.fixture.waitForJob(running, status: "running")
        try setup.fixture.cancel(running)  // through nginx and the app, not the worker

        #expect(eventually(timeout: 30) { setup.receiver.received.count >= 3 }, "\(worker.log)")
        let received = setup.receiver.received
        #expect(received.count == 3)
        var types: [String: Int64] = [:]
        for delivery in received {
            #expect(delivery["verifiedBy"] == .array([.number("0")]), "\(delivery)")
            #expect(delivery["tamperedVerifies"] == .bool(false))
            #expect(delivery["contentType"]?.string == "application/json")
            #expect(delivery["id"]?.string?.hasPrefix("msg_") == true)
            let body = try JSONValue(parsing: try #require(delivery["body"]?.string))
            #expect(body.keys == ["type", "timestamp", "data"])
            let jobID = try #require(body["data"]?["jobId"]?.int)
            #expect(body["data"] == (try setup.fixture.job(jobID)), "the job exactly as GET shows it")
            types[try #require(body["type"]?.string)] = jobID
        }
        #expect(types == ["job.completed": completed, "job.failed": failed, "job.cancelled": running])
        #expect(Set(received.compactMap { $0["id"]?.string }).count == 3)
        #expect(eventually { (try? setup.deliveries().allSatisfy { $0["state"]?.string == "delivered" }) == true })
        try worker.stop()
        for user in ["ok-ada", "bad-bob", "slow-cy"] { #expect(!worker.log.contains(user), "no user id in the log") }
        #expect(!worker.log.contains(setup.secret.dropFirst(6)))
    }

    /// TLS certificates are verified: a receiver whose certificate no authority signed gets no delivery (not even
    /// the request), the event stays pending with the reason, and nothing of it reaches the receiver's log.
    @Test func aReceiverWithAnUntrustedCertificateGetsNothing() throws {
        let fixture = try WorkerFixture()
        let receiver = try WebhookReceiver(script: Self.script, secrets: [], selfSignedTLS: true)
        #expect(receiver.url.hasPrefix("https://"))
        let set = try #require(try fixture.stack.jobsctl(["webhook", "set", "--project", fixture.projectKey, receiver.url]).first)
        try receiver.setSecrets([try #require(set["secret"]?.string)])
        let worker = try fixture.stack.startWorker(
            try fixture.action("exit 0") + ["--poll-seconds", "0.2", "--webhook-first-retry-seconds", "0.2"])
        _ = try fixture.requestDeletion("ok-tls")
        var events: [JSONValue] = []
        #expect(eventually(timeout: 30) {
            events = (try? fixture.stack.jobsctl(["webhook", "deliveries", "--project", fixture.projectKey])) ?? []
            return events.count == 1 && (events[0]["attempts"]?.int ?? 0) >= 2
        }, "\(worker.log)")
        #expect(events.first?["state"]?.string == "pending")
        let error = events.first?["lastError"]?.string ?? ""
        #expect(error.contains("certificate") || error.contains("SSL"), "\(events)")
        #expect(receiver.received.isEmpty, "\(receiver.received)")
        try worker.stop()
    }

    @Test func fiveHundredThreeTimesThenOKGetsTheSameIDFourTimesThenNothing() throws {
        let setup = try Setup()
        try setup.receiver.setResponses(["500", "500", "500"])
        let worker = try setup.fixture.stack.startWorker(
            try setup.action() + ["--poll-seconds", "0.2", "--webhook-first-retry-seconds", "0.1"])
        _ = try setup.fixture.requestDeletion("ok-1")
        #expect(eventually(timeout: 30) {
            (try? setup.deliveries().first?["state"]?.string) == "delivered"
        }, "\(worker.log)")
        let received = setup.receiver.received
        #expect(received.map { $0["answered"]?.string } == ["500", "500", "500", "200"])
        #expect(Set(received.compactMap { $0["id"]?.string }).count == 1)
        #expect(try setup.deliveries().first?["attempts"]?.int == 4)
        try worker.stop()
        #expect(setup.receiver.received.count == 4)
    }

    @Test func aReceiverDownForAWhileGetsEverythingOnceBack() throws {
        let setup = try Setup()
        let port = setup.receiver.port
        setup.receiver.stop()
        let worker = try setup.fixture.stack.startWorker(
            try setup.action() + ["--poll-seconds", "0.2", "--webhook-first-retry-seconds", "0.2"])
        for user in ["ok-1", "ok-2", "bad-3"] { _ = try setup.fixture.requestDeletion(user) }
        #expect(eventually(timeout: 30) {
            let events = (try? setup.deliveries()) ?? []
            return events.count == 3 && events.allSatisfy { ($0["attempts"]?.int ?? 0) >= 2 }
        }, "\(worker.log)")
        #expect(try setup.deliveries().allSatisfy { $0["lastError"]?.string?.contains("connect") == true })
        try setup.receiver.start(port: port)
        #expect(eventually(timeout: 30) {
            (try? setup.deliveries().allSatisfy { $0["state"]?.string == "delivered" }) == true
        }, "\(worker.log)")
        #expect(Set(setup.receiver.received.compactMap { $0["id"]?.string }).count == 3)
        #expect(setup.receiver.received.count == 3)
        try worker.stop()
    }

    @Test func aWorkerKilledBetweenCompletionAndDeliveryDeliversAfterTheRestart() throws {
        let setup = try Setup()
        try setup.receiver.setResponses(["hang"])
        let first = try setup.fixture.stack.startWorker(try setup.action() + ["--poll-seconds", "0.2"])
        let job = try #require(try setup.fixture.requestDeletion("ok-1")["jobId"]?.int)
        try setup.fixture.waitForJob(job, status: "completed")
        #expect(eventually { setup.receiver.received.count == 1 }, "\(first.log)")
        first.send(SIGKILL)
        #expect(first.waitForExit(timeout: 10) != nil)

        let second = try setup.fixture.stack.startWorker(try setup.action() + ["--poll-seconds", "0.2"])
        // The dead worker's lease on the event (the 10 s request limit and 5 s) ends first.
        #expect(eventually(timeout: 40) {
            (try? setup.deliveries().first?["state"]?.string) == "delivered"
        }, "\(second.log)")
        let received = setup.receiver.received
        #expect(received.map { $0["answered"]?.string } == ["hang", "200"])
        #expect(Set(received.compactMap { $0["id"]?.string }).count == 1, "one id, seen twice after the crash")
        try second.stop()
    }

    @Test func duringARotationBothSecretsSign() throws {
        let setup = try Setup()
        let rotated = try #require(
            try setup.fixture.stack.jobsctl(["webhook", "rotate-secret", "--project", setup.fixture.projectKey]).first)
        let newSecret = try #require(rotated["secret"]?.string)
        try setup.receiver.setSecrets([setup.secret, newSecret])
        let worker = try setup.fixture.stack.startWorker(try setup.action() + ["--poll-seconds", "0.2"])
        _ = try setup.fixture.requestDeletion("ok-1")
        #expect(eventually(timeout: 30) { setup.receiver.received.count == 1 }, "\(worker.log)")
        #expect(setup.receiver.received.first?["verifiedBy"] == .array([.number("0"), .number("1")]))
        try worker.stop()
    }

    @Test func twoWorkersDeliverEachEventOnce() throws {
        let setup = try Setup()
        let arguments = try setup.action() + ["--poll-seconds", "0.2", "--concurrency", "4"]
        let workers = [try setup.fixture.stack.startWorker(arguments), try setup.fixture.stack.startWorker(arguments)]
        for index in 1...12 { _ = try setup.fixture.requestDeletion("ok-\(index)") }
        #expect(eventually(timeout: 60) {
            let events = (try? setup.deliveries()) ?? []
            return events.count == 12 && events.allSatisfy { $0["state"]?.string == "delivered" }
        }, "\(workers.map(\.log))")
        let ids = setup.receiver.received.compactMap { $0["id"]?.string }
        #expect(ids.count == 12 && Set(ids).count == 12)
        // Delivery latency, from the job's final state (its updatedAt) to the receiver reading the request.
        let latencies = try setup.receiver.received.map { delivery -> Int64 in
            let body = try JSONValue(parsing: try #require(delivery["body"]?.string))
            return try #require(delivery["receivedAt"]?.int) - (try #require(body["data"]?["updatedAt"]?.int))
        }.sorted()
        print("webhook delivery latency (ms), 12 events, 2 workers: min \(latencies[0]), median \(latencies[6]), max \(latencies[11])")
        for worker in workers { try worker.stop() }
    }

    @Test func aRedirectIsNotFollowedButRetriedLikeAnyOtherAnswer() throws {
        let setup = try Setup()
        try setup.receiver.setResponses(["302"])
        let worker = try setup.fixture.stack.startWorker(
            try setup.action() + ["--poll-seconds", "0.2", "--webhook-first-retry-seconds", "0.2"])
        _ = try setup.fixture.requestDeletion("ok-1")
        #expect(eventually(timeout: 30) {
            (try? setup.deliveries().first?["state"]?.string) == "delivered"
        }, "\(worker.log)")
        #expect(setup.receiver.received.map { $0["answered"]?.string } == ["302", "200"])
        #expect(setup.receiver.received.map { $0["path"]?.string } == ["/hook", "/hook"], "never /redirected")
        #expect(worker.log.contains("attempt 1 failed (HTTP 302)"))
        try worker.stop()
    }
}
