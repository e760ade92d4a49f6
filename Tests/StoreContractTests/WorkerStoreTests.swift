import JobsCore
import JobsTesting
import Testing


@Suite("Store contract: Workers: claiming due jobs under a lease, renewing, finishing, releasing")
struct WorkerStoreTests {
    /// A time after every fixture job's default start (creation + 1 s).
    static let now = ContractFixture.now + 10_000
    static let leaseUntil = now + 30_000

    @Test("a claim takes only due scheduled jobs, oldest first, and leaves the rest untouched", arguments: StoreKind.allCases)
    func claimsDueJobs(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            let later = try fixture.insertJob(userID: "later", startAt: Self.now - 1000)
            let oldest = try fixture.insertJob(userID: "oldest", startAt: Self.now - 5000)
            let onTheDot = try fixture.insertJob(userID: "on-the-dot", startAt: Self.now)
            let notDue = try fixture.insertJob(userID: "not-due", startAt: Self.now + 1)
            var untouched = [notDue]
            for status in [JobStatus.completed, .failed, .cancelled] {
                untouched.append(try fixture.insertJob(userID: "final-\(status)", status: status, startAt: 0))
            }

            let store = try fixture.connector.connectForAdministration(create: false)
            let claimed = try store.claim("w1")

            #expect(claimed.map(\.job.id) == [oldest.id, later.id, onTheDot.id])
            for (claim, before) in zip(claimed, [oldest, later, onTheDot]) {
                var expected = before
                expected.status = .running
                expected.updatedAt = Self.now
                #expect(claim == fixture.claimed(expected, until: Self.leaseUntil))
                #expect(try fixture.admin.job(id: before.id) == expected)
                #expect(try fixture.lease(of: before.id) == Lease(owner: "w1", expiresAt: Self.leaseUntil))
            }
            for job in untouched {
                #expect(try fixture.admin.job(id: job.id) == job)
                #expect(try fixture.lease(of: job.id) == Lease.unleased)
            }
        }
    }

    @Test("a claim respects its limit, taking equal start times in id order; the next claim takes the rest", arguments: StoreKind.allCases)
    func limitAndOrder(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            let startTimes: [Int64] = [300, 100, 200, 100, 400]
            var jobs: [Job] = []
            for (index, startAt) in startTimes.enumerated() {
                jobs.append(try fixture.insertJob(userID: "user-\(index)", startAt: Self.now - 1000 + startAt))
            }
            let store = try fixture.connector.connectForAdministration(create: false)
            #expect(try store.claim("w1", limit: 2).map(\.job.id) == [jobs[1].id, jobs[3].id])
            #expect(try store.claim("w2", limit: 2).map(\.job.id) == [jobs[2].id, jobs[0].id])
            #expect(try store.claim("w1", limit: 2).map(\.job.id) == [jobs[4].id])
            // Every job is leased now, and no lease has expired: nothing is left to claim, by anyone.
            for owner in ["w1", "w2", "w3"] {
                #expect(try store.claim(owner) == [])
            }
        }
    }

    @Test("a limit of 0 or less claims nothing", arguments: StoreKind.allCases, [0, -1, Int.min])
    func nonPositiveLimit(kind: StoreKind, limit: Int) throws {
        try ContractFixture.with(kind) { fixture in
            let job = try fixture.insertJob(userID: "idle", startAt: 0)
            #expect(try fixture.admin.claim("w1", limit: limit) == [])
            #expect(try fixture.admin.job(id: job.id) == job)
        }
    }

    @Test("an expired lease is taken over by another owner, keeping status and updatedAt; an unexpired one is not", arguments: StoreKind.allCases)
    func takeover(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            let job = try fixture.insertJob(userID: "lease", startAt: 0)
            let first = try fixture.connector.connectForAdministration(create: false)
            let second = try fixture.connector.connectForAdministration(create: false)
            let leaseEnd = Self.now + 100
            let claimed = try #require(try first.claim("w1", until: leaseEnd, limit: 1).first)
            #expect(claimed.job.id == job.id)

            // Up to and including its last millisecond, the lease holds.
            for time in [Self.now + 1, leaseEnd] {
                #expect(try second.claim("w2", at: time, until: time + 100) == [])
            }
            let takenOver = try second.claim("w2", at: leaseEnd + 1, until: leaseEnd + 500)
            #expect(takenOver == [fixture.claimed(claimed.job, until: leaseEnd + 500)])
            #expect(takenOver.first?.job.status == .running)
            #expect(takenOver.first?.job.updatedAt == Self.now)
            #expect(try fixture.lease(of: job.id) == Lease(owner: "w2", expiresAt: leaseEnd + 500))

            // The first worker is fenced out of the job it lost; the second finishes it.
            #expect(try first.renewLease(jobID: job.id, owner: "w1", until: leaseEnd + 1000) == .lost(claimed.job))
            #expect(
                try first.finishJob(id: job.id, owner: "w1", status: .completed, errors: nil, at: leaseEnd + 2) == nil)
            #expect(try first.releaseLease(jobID: job.id, owner: "w1") == false)
            #expect(try fixture.lease(of: job.id) == Lease(owner: "w2", expiresAt: leaseEnd + 500))
            let finished = try second.finishJob(
                id: job.id, owner: "w2", status: .completed, errors: nil, at: leaseEnd + 3)
            #expect(finished?.status == .completed)
            #expect(finished?.updatedAt == leaseEnd + 3)
        }
    }

    @Test("a running job without a lease (imported, or from a version 1 store) is claimed at once as it is", arguments: StoreKind.allCases)
    func unleasedRunningJob(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            let job = try fixture.insertJob(userID: "orphan", status: .running, startAt: Self.now + 50_000)
            #expect(try fixture.lease(of: job.id) == Lease.unleased)
            #expect(try fixture.admin.claim("w1") == [fixture.claimed(job, until: Self.leaseUntil)])
        }
    }

    @Test("taken-over and due jobs are claimed together, oldest start first", arguments: StoreKind.allCases)
    func mixedClaim(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            let expiring = try fixture.insertJob(userID: "expiring", startAt: Self.now - 3000)
            _ = try fixture.admin.claim("dead", until: Self.now + 10, limit: 1)
            let due = try fixture.insertJob(userID: "due", startAt: Self.now - 4000)
            let dueLater = try fixture.insertJob(userID: "due-later", startAt: Self.now - 2000)
            let orphan = try fixture.insertJob(userID: "orphan", status: .running, startAt: Self.now - 2500)
            let claimed = try fixture.admin.claim("w2", at: Self.now + 11)
            #expect(claimed.map(\.job.id) == [due.id, expiring.id, orphan.id, dueLater.id])
            #expect(claimed.map(\.job.updatedAt) == [Self.now + 11, Self.now, nil, Self.now + 11])
            #expect(claimed.allSatisfy { $0.job.status == .running && $0.leaseExpiresAt == Self.leaseUntil })
        }
    }

    @Test("the lease owner renews its lease; another owner cannot, and learns what the job is now", arguments: StoreKind.allCases)
    func renew(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            let job = try fixture.insertJob(userID: "renew", startAt: 0)
            let store = try fixture.connector.connectForAdministration(create: false)
            let claimed = try #require(try store.claim("w1", limit: 1).first)
            let later = Self.leaseUntil + 5000
            #expect(try store.renewLease(jobID: job.id, owner: "w1", until: later) == .renewed(until: later))
            #expect(try fixture.lease(of: job.id) == Lease(owner: "w1", expiresAt: later))

            #expect(try store.renewLease(jobID: job.id, owner: "w2", until: later + 1) == .lost(claimed.job))
            #expect(try fixture.lease(of: job.id) == Lease(owner: "w1", expiresAt: later))
            #expect(try store.renewLease(jobID: 999_999, owner: "w1", until: later) == .lost(nil))
            // A lease that ran out but was not taken over yet is still its owner's to renew.
            #expect(try store.renewLease(jobID: job.id, owner: "w1", until: 1) == .renewed(until: 1))
            #expect(try store.renewLease(jobID: job.id, owner: "w1", until: later) == .renewed(until: later))
        }
    }

    @Test("after a cancel, renewing is lost with the cancelled job, finishing is refused, and it stays cancelled", arguments: StoreKind.allCases)
    func cancelFencesTheWorker(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            let job = try fixture.insertJob(userID: "cancel", startAt: 0)
            let worker = try fixture.connector.connectForAdministration(create: false)
            _ = try worker.claim("w1", limit: 1)

            let api = try fixture.connector.connect()
            let outcome = try api.cancelJob(id: job.id, projectID: job.projectID, at: Self.now + 5)
            guard case .cancelled(let cancelled) = outcome else {
                Issue.record("the running job was not cancelled: \(outcome)")
                return
            }
            #expect(cancelled.status == .cancelled)
            #expect(cancelled.updatedAt == Self.now + 5)
            // A cancelled job holds no lease.
            #expect(try fixture.lease(of: job.id) == Lease.unleased)

            #expect(try worker.renewLease(jobID: job.id, owner: "w1", until: Self.leaseUntil) == .lost(cancelled))
            for status in [JobStatus.completed, .failed] {
                #expect(
                    try worker.finishJob(id: job.id, owner: "w1", status: status, errors: "x", at: Self.now + 9)
                        == nil)
            }
            #expect(try worker.releaseLease(jobID: job.id, owner: "w1") == false)
            #expect(try fixture.admin.job(id: job.id) == cancelled)
            // Nobody ever claims it again, however late they look.
            #expect(try worker.claim("w2", at: Self.leaseUntil + 1, until: Self.leaseUntil + 2) == [])
        }
    }

    @Test("a cancelled scheduled job is never claimed", arguments: StoreKind.allCases)
    func cancelledScheduledJob(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            let job = try fixture.insertJob(userID: "never", startAt: 0)
            #expect(try fixture.admin.cancelJob(id: job.id, projectID: job.projectID, at: Self.now) != .notFound)
            #expect(try fixture.admin.claim("w1", at: Self.now + 1) == [])
            #expect(try fixture.admin.job(id: job.id)?.status == .cancelled)
        }
    }

    @Test("finishing as completed or failed records the outcome and drops the lease",
        arguments: StoreKind.allCases, [JobStatus.completed, .failed])
    func finish(kind: StoreKind, status: JobStatus) throws {
        try ContractFixture.with(kind) { fixture in
            let job = try fixture.insertJob(userID: "finish", startAt: 0)
            let store = try fixture.connector.connectForAdministration(create: false)
            let claimed = try #require(try store.claim("w1", limit: 1).first)
            let errors: String? = status == .failed ? "exit status 3: no such user" : nil
            let finished = try store.finishJob(
                id: job.id, owner: "w1", status: status, errors: errors, at: Self.now + 77)

            var expected = claimed.job
            expected.status = status
            expected.errors = errors
            expected.updatedAt = Self.now + 77
            #expect(finished == expected)
            #expect(try fixture.admin.job(id: job.id) == expected)
            #expect(try fixture.lease(of: job.id) == Lease.unleased)
            // Final: a second finish is refused, and the API cannot cancel it.
            #expect(
                try store.finishJob(id: job.id, owner: "w1", status: .failed, errors: "again", at: Self.now + 78)
                    == nil)
            #expect(
                try store.cancelJob(id: job.id, projectID: job.projectID, at: Self.now + 79)
                    == .notCancellable(expected))
            // The API shows the job with its ten keys and nothing of the lease.
            let shown = try #require(try fixture.connector.connect().job(id: job.id, projectID: job.projectID))
            #expect(shown.jsonText == expected.jsonText)
            #expect(!shown.jsonText.contains("lease"))
        }
    }

    @Test("finishing with a status other than completed or failed is refused and changes nothing",
        arguments: StoreKind.allCases, [JobStatus.scheduled, .running, .cancelled])
    func finishWithInvalidStatus(kind: StoreKind, status: JobStatus) throws {
        try ContractFixture.with(kind) { fixture in
            let job = try fixture.insertJob(userID: "invalid", startAt: 0)
            let store = try fixture.connector.connectForAdministration(create: false)
            let claimed = try #require(try store.claim("w1", limit: 1).first)
            let error = #expect(throws: StoreError.self) {
                try store.finishJob(id: job.id, owner: "w1", status: status, errors: nil, at: Self.now + 1)
            }
            #expect(error?.kind == .invalid)
            #expect(try fixture.admin.job(id: job.id) == claimed.job)
            #expect(try fixture.lease(of: job.id) == Lease(owner: "w1", expiresAt: Self.leaseUntil))
        }
    }

    @Test("a released job is claimable at once by another owner; the releasing owner is fenced out", arguments: StoreKind.allCases)
    func release(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            let job = try fixture.insertJob(userID: "release", startAt: 0)
            let first = try fixture.connector.connectForAdministration(create: false)
            let second = try fixture.connector.connectForAdministration(create: false)
            let claimed = try #require(try first.claim("w1", limit: 1).first)

            #expect(try second.releaseLease(jobID: job.id, owner: "w2") == false)
            #expect(try second.releaseLease(jobID: 999_999, owner: "w1") == false)
            #expect(try first.releaseLease(jobID: job.id, owner: "w1"))
            // Still running, with no lease.
            #expect(try fixture.admin.job(id: job.id) == claimed.job)
            #expect(try fixture.lease(of: job.id) == Lease.unleased)
            #expect(try first.releaseLease(jobID: job.id, owner: "w1") == false)
            #expect(try first.renewLease(jobID: job.id, owner: "w1", until: Self.leaseUntil) == .lost(claimed.job))
            #expect(
                try first.finishJob(id: job.id, owner: "w1", status: .completed, errors: nil, at: Self.now + 2) == nil)

            // Long before the released lease would have ended.
            let again = try second.claim("w2", at: Self.now + 1, until: Self.now + 9000)
            #expect(again == [fixture.claimed(claimed.job, until: Self.now + 9000)])
            #expect(try fixture.lease(of: job.id) == Lease(owner: "w2", expiresAt: Self.now + 9000))
        }
    }

    @Test("claimed jobs carry their own project's key", arguments: StoreKind.allCases)
    func projectKeys(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            let other = try fixture.makeProject()
            let ours = try fixture.insertJob(userID: "same", startAt: 1)
            let theirs = try fixture.insertJob(userID: "same", projectID: other.id, startAt: 2)
            let claimed = try fixture.admin.claim("w1")
            #expect(claimed.map(\.job.id) == [ours.id, theirs.id])
            #expect(claimed.map(\.projectKey) == [fixture.project.key, other.key])
        }
    }

    @Test("workers on their own threads and connections, racing in small batches, claim each of 200 jobs once",
        arguments: StoreKind.allCases, [2, 4])
    func racingWorkers(kind: StoreKind, workers: Int) throws {
        try ContractFixture.with(kind) { fixture in
            var expected: Set<Int64> = []
            for index in 0..<200 {
                // Few start times, each shared by many jobs, so that the id tiebreak is raced too.
                expected.insert(try fixture.insertJob(userID: "user-\(index)", startAt: Int64(index % 7)).id)
            }
            let connector = fixture.connector
            let results = concurrently(threads: workers) { startLine in
                let store = Result { try connector.connectForAdministration(create: false) }
                let owner = "worker-\(UInt64.random(in: 0...UInt64.max))"
                startLine.arriveAndWait()
                return Result { () throws -> (owner: String, batches: [[Int64]]) in
                    let store = try store.get()
                    var batches: [[Int64]] = []
                    while true {
                        let batch = try store.claim(owner, limit: 3)
                        if batch.isEmpty { return (owner, batches) }
                        batches.append(batch.map(\.job.id))
                    }
                }
            }
            let claims = try results.map { try $0.get() }
            #expect(Set(claims.map(\.owner)).count == workers)
            #expect(claims.allSatisfy { $0.batches.allSatisfy { $0.count <= 3 } })
            let all = claims.flatMap { $0.batches.joined() }
            #expect(all.count == 200)
            #expect(Set(all) == expected)
            for claim in claims {
                for id in claim.batches.joined() {
                    #expect(try fixture.lease(of: id) == Lease(owner: claim.owner, expiresAt: Self.leaseUntil))
                }
            }
            let running = try fixture.admin.jobs(
                projectID: fixture.project.id, status: .running, afterID: 0, limit: 500)
            #expect(running.count == 200)
        }
    }

    @Test("the lease owners are those of unexpired leases; releasing an owner's leases frees only its unexpired jobs for the next claim", arguments: StoreKind.allCases)
    func releasingTheLeasesOfAGoneOwner(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            let jobs = try (0..<4).map { try fixture.insertJob(userID: "user-\($0)", startAt: Self.now - 1000) }
            let store = try fixture.connector.connectForAdministration(create: false)
            #expect(try store.claim("gone", limit: 2).map(\.job.id) == [jobs[0].id, jobs[1].id])
            #expect(try store.claim("alive", limit: 1).map(\.job.id) == [jobs[2].id])
            // The last one's lease ends before the time of the read: an expired lease is the claim's already.
            #expect(try store.claim("expired", until: Self.now + 1, limit: 1).map(\.job.id) == [jobs[3].id])
            let later = Self.now + 2

            #expect(try store.leaseOwners(now: later).sorted() == ["alive", "gone"])
            #expect(try store.releaseLeases(owner: "gone", now: later) == [jobs[0].id, jobs[1].id])
            for job in jobs.prefix(2) {
                #expect(try fixture.lease(of: job.id) == Lease.unleased)
                #expect(try fixture.admin.job(id: job.id)?.status == .running)
            }
            #expect(try fixture.lease(of: jobs[2].id) == Lease(owner: "alive", expiresAt: Self.leaseUntil))
            #expect(try fixture.lease(of: jobs[3].id) == Lease(owner: "expired", expiresAt: Self.now + 1))
            #expect(try store.leaseOwners(now: later) == ["alive"])
            #expect(try store.releaseLeases(owner: "gone", now: later) == [])

            // The released jobs and the expired one go to the next claim; the live owner's stays its own.
            let taken = try store.claim("rescuer", at: later, until: later + 30_000).map(\.job.id)
            #expect(taken == [jobs[0].id, jobs[1].id, jobs[3].id])
            #expect(try fixture.lease(of: jobs[2].id) == Lease(owner: "alive", expiresAt: Self.leaseUntil))
        }
    }
}

extension WorkerStore {
    /// ``claimDueJobs(owner:now:leaseUntil:limit:actions:)`` at the suite's usual times, for `delete_user_data`,
    /// unless told otherwise.
    func claim(
        _ owner: String, at now: Int64 = WorkerStoreTests.now, until leaseUntil: Int64 = WorkerStoreTests.leaseUntil,
        limit: Int = 10, actions: [JobAction] = [.deleteUserData]
    ) throws -> [ClaimedJob] {
        try claimDueJobs(owner: owner, now: now, leaseUntil: leaseUntil, limit: limit, actions: actions)
    }
}

/// A job's lease columns as stored.
struct Lease: Equatable {
    var owner: String?
    var expiresAt: Int64?

    /// No lease: both columns `NULL`.
    static let unleased = Lease(owner: nil, expiresAt: nil)
}

extension ContractFixture {
    /// `job` as a claim of the fixture's project with a lease until `until` returns it.
    func claimed(_ job: Job, until: Int64) -> ClaimedJob {
        ClaimedJob(job: job, projectKey: project.key, leaseExpiresAt: until)
    }
}
