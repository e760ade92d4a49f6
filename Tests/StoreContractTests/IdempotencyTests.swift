import Foundation
import JobsCore
import JobsTesting
import Testing

@Suite("Store contract: Idempotency-Key outcomes stored with the change")
struct ContractIdempotencyTests {
    static let hour: Int64 = 60 * 60 * 1000

    func request(_ fixture: ContractFixture, key: String = "k", path: String = "/u/alice", time: Int64 = ContractFixture.now,
        organizationID: Int64? = nil) -> IdempotentRequest
    {
        IdempotentRequest(
            organizationID: organizationID ?? fixture.organization.id, key: key, method: "DELETE", path: path, time: time)
    }

    static func response(_ outcome: CreateOutcome) -> StoredResponse? {
        switch outcome {
        case .created(let job): StoredResponse(status: 200, body: Array("created \(job.id)".utf8))
        case .conflict(let id): StoredResponse(status: 409, body: Array("conflict \(id)".utf8))
        case .limitReached: nil  // as the API's 429: not stored
        }
    }

    @Test("the first request runs and stores; a repeat replays and changes nothing; another path is refused",
        arguments: StoreKind.allCases)
    func replay(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            let store = try fixture.connector.connect()
            let job = NewJob.deleteUserData(userID: "alice", createdAt: 1, startAt: 2)
            let first = try store.createJob(job, projectID: fixture.project.id, idempotency: request(fixture),
                response: Self.response)
            guard case .performed(.created(let created)) = first else {
                Issue.record("\(first)")
                return
            }
            let again = try store.createJob(job, projectID: fixture.project.id,
                idempotency: request(fixture, time: ContractFixture.now + 23 * Self.hour), response: Self.response)
            #expect(again == .replayed(StoredResponse(status: 200, body: Array("created \(created.id)".utf8))))
            let other = try store.createJob(job, projectID: fixture.project.id,
                idempotency: request(fixture, path: "/u/bob"), response: Self.response)
            #expect(other == .keyReused)
            #expect(try store.jobs(projectID: fixture.project.id, limit: 50, offset: 0).count == 1)

            // Another organization's identical key is another key.
            let foreign = try fixture.makeProject()
            let theirs = try store.createJob(job, projectID: foreign.id,
                idempotency: request(fixture, organizationID: foreign.organizationID), response: Self.response)
            guard case .performed(.created) = theirs else {
                Issue.record("\(theirs)")
                return
            }

            // After 24 hours the key is new again: the contract's conflict, stored in its turn.
            let later = try store.createJob(job, projectID: fixture.project.id,
                idempotency: request(fixture, time: ContractFixture.now + 24 * Self.hour), response: Self.response)
            #expect(later == .performed(.conflict(existingJobID: created.id)))
            let replayedConflict = try store.createJob(job, projectID: fixture.project.id,
                idempotency: request(fixture, time: ContractFixture.now + 25 * Self.hour), response: Self.response)
            #expect(replayedConflict == .replayed(StoredResponse(status: 409, body: Array("conflict \(created.id)".utf8))))
            // The stored conflict gave its position back: the list stays dense.
            let next = try store.createJob(NewJob.deleteUserData(userID: "carl", createdAt: 1, startAt: 2),
                projectID: fixture.project.id)
            guard case .created(let carl) = next else { return }
            #expect(try store.jobs(projectID: fixture.project.id, limit: 1, offset: 1) == [carl])
        }
    }

    @Test("a cancel stores its 200 or 400, not a missing job's 404", arguments: StoreKind.allCases)
    func cancel(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            let store = try fixture.connector.connect()
            let job = try fixture.insertJob(userID: "dora")
            let respond: (CancelOutcome) -> StoredResponse? = { outcome in
                switch outcome {
                case .cancelled: StoredResponse(status: 200, body: Array("ok".utf8))
                case .notCancellable: StoredResponse(status: 400, body: Array("no".utf8))
                case .notFound: nil
                }
            }
            let missing = try store.cancelJob(id: job.id + 100, projectID: fixture.project.id, at: 5,
                idempotency: request(fixture, path: "/j"), response: respond)
            #expect(missing == .performed(.notFound))
            let first = try store.cancelJob(id: job.id, projectID: fixture.project.id, at: 5,
                idempotency: request(fixture, path: "/j"), response: respond)
            guard case .performed(.cancelled) = first else {
                Issue.record("\(first)")
                return
            }
            #expect(try store.cancelJob(id: job.id, projectID: fixture.project.id, at: 6,
                idempotency: request(fixture, path: "/j"), response: respond)
                == .replayed(StoredResponse(status: 200, body: Array("ok".utf8))))
            #expect(try store.cancelJob(id: job.id, projectID: fixture.project.id, at: 6,
                idempotency: request(fixture, key: "k2", path: "/j"), response: respond)
                == .performed(.notCancellable(try #require(try store.job(id: job.id, projectID: fixture.project.id)))))
        }
    }

    /// A key row without an answer cannot be committed by the store (the key and its answer are one transaction):
    /// written by hand here, it stands for a first request still being processed. Neither a create nor a cancel
    /// with that key runs, and nothing changes.
    @Test("a key stored without an answer is in progress: nothing runs", arguments: StoreKind.allCases)
    func inProgress(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            let store = try fixture.connector.connect()
            let job = try fixture.insertJob(userID: "erin")
            for (key, path) in [("create", "/u/erin"), ("cancel", "/j")] {
                try fixture.execute(
                    "INSERT INTO idempotency_keys (org_id, idempotency_key, method, path, status, body, created_at) "
                        + "VALUES (\(fixture.organization.id), '\(key)', 'DELETE', '\(path)', NULL, NULL, "
                        + "\(ContractFixture.now))")
            }
            let created = try store.createJob(
                NewJob.deleteUserData(userID: "erin", createdAt: 1, startAt: 2), projectID: fixture.project.id,
                idempotency: request(fixture, key: "create", path: "/u/erin"), response: Self.response)
            guard case .inProgress = created else {
                Issue.record("\(created)")
                return
            }
            let cancelled = try store.cancelJob(
                id: job.id, projectID: fixture.project.id, at: 5,
                idempotency: request(fixture, key: "cancel", path: "/j"),
                response: { _ in StoredResponse(status: 200, body: Array("ok".utf8)) })
            guard case .inProgress = cancelled else {
                Issue.record("\(cancelled)")
                return
            }
            #expect(try store.jobs(projectID: fixture.project.id, limit: 10, offset: 0) == [job])
        }
    }

    @Test("32 concurrent requests with one key: one job, every answer the same", arguments: StoreKind.allCases)
    func concurrent(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            let connector = fixture.connector
            let projectID = fixture.project.id
            let keyed = request(fixture)
            let results = concurrently(threads: 32) { startLine in
                let store = Result { try connector.connect() }
                startLine.arriveAndWait()
                return Result {
                    try store.get().createJob(
                        NewJob.deleteUserData(userID: "eve", createdAt: 1, startAt: 2), projectID: projectID,
                        idempotency: keyed, response: Self.response)
                }
            }
            let outcomes = try results.map { try $0.get() }
            let performed = outcomes.compactMap { outcome -> Job? in
                if case .performed(.created(let job)) = outcome { return job }
                return nil
            }
            #expect(performed.count == 1, "\(outcomes)")
            let expected = StoredResponse(status: 200, body: Array("created \(performed.first?.id ?? 0)".utf8))
            #expect(outcomes.allSatisfy { outcome in
                if case .replayed(let stored) = outcome { return stored == expected }
                if case .inProgress = outcome { return true }
                if case .performed = outcome { return true }
                return false
            }, "\(outcomes)")
            #expect(try fixture.admin.jobs(projectID: projectID, status: nil, afterID: 0, limit: 100).count == 1)
        }
    }

    @Test("the purge removes keys 24 hours old; a purged key runs its request again", arguments: StoreKind.allCases)
    func purge(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            let store = try fixture.connector.connect()
            for (key, time) in [("old", ContractFixture.now), ("new", ContractFixture.now + 2 * Self.hour)] {
                _ = try store.createJob(
                    NewJob.deleteUserData(userID: key, createdAt: 1, startAt: 2), projectID: fixture.project.id,
                    idempotency: request(fixture, key: key, path: "/u/\(key)", time: time), response: Self.response)
            }
            #expect(try fixture.admin.purgeIdempotencyKeys(storedAtOrBefore: ContractFixture.now + Self.hour) == 1)
            let new = try store.createJob(
                NewJob.deleteUserData(userID: "new", createdAt: 1, startAt: 2), projectID: fixture.project.id,
                idempotency: request(fixture, key: "new", path: "/u/new", time: ContractFixture.now + 3 * Self.hour),
                response: Self.response)
            guard case .replayed = new else {
                Issue.record("\(new)")
                return
            }
            let old = try store.createJob(
                NewJob.deleteUserData(userID: "old", createdAt: 1, startAt: 2), projectID: fixture.project.id,
                idempotency: request(fixture, key: "old", path: "/u/old", time: ContractFixture.now + 3 * Self.hour),
                response: Self.response)
            guard case .performed(.conflict) = old else {
                Issue.record("\(old)")
                return
            }
        }
    }
}
