import JobsCore
import JobsTesting
import Testing

@Suite("Store contract: Monitoring: the workers' registry and the queue's figures")
struct MonitoringTests {
    static let now = WorkerStoreTests.now

    static func worker(_ id: String, seen: Int64 = now, staleAfter: Int64 = 3_000) -> WorkerRecord {
        WorkerRecord(
            id: id, host: "host-\(id)", pid: 4242, version: "1.2.3", actions: [.deleteUserData, JobAction(rawValue: "export")],
            concurrency: 4, startedAt: now - 60_000, lastSeenAt: seen, staleAfter: staleAfter)
    }

    @Test("a worker registers, refreshes its last-seen time, and is gone once it unregisters", arguments: StoreKind.allCases)
    func registry(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            let store = fixture.admin
            try store.registerWorker(Self.worker("w1"))
            try store.registerWorker(Self.worker("w2"))
            #expect(try store.queueSummary(at: Self.now).workers == [Self.worker("w1"), Self.worker("w2")])

            #expect(try store.refreshWorker(id: "w1", at: Self.now + 2_000))
            let refreshed = try store.queueSummary(at: Self.now + 4_000)
            #expect(refreshed.workers.first { $0.id == "w1" }?.lastSeenAt == Self.now + 2_000)
            // w2 was last seen 4 s ago with 3 s of grace: it aged out; w1 is live.
            #expect(refreshed.liveWorkers.map(\.id) == ["w1"])

            try store.unregisterWorker(id: "w1")
            #expect(try store.queueSummary(at: Self.now).workers.map(\.id) == ["w2"])
            #expect(try !store.refreshWorker(id: "w1", at: Self.now + 5_000))
            try store.unregisterWorker(id: "w1")

            // Registering again replaces the row; a worker unseen for a day is deleted by the next registration.
            var again = Self.worker("w2")
            again.concurrency = 9
            try store.registerWorker(again)
            try store.registerWorker(Self.worker("w3", seen: Self.now + 86_400_001))
            #expect(try store.queueSummary(at: Self.now).workers.map(\.id) == ["w3"])
        }
    }

    @Test("the queue's figures: jobs by status, due now and the oldest, expired and lease-less running jobs, running per owner", arguments: StoreKind.allCases)
    func queueFigures(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            let store = fixture.admin
            let empty = try store.queueSummary(at: Self.now)
            #expect(empty.jobsByStatus == [.scheduled: 0, .running: 0, .completed: 0, .failed: 0, .cancelled: 0])
            #expect(empty.dueNow == 0 && empty.oldestDueStartAt == nil && empty.oldestDueAge == 0)
            #expect(empty.expiredLeases == 0 && empty.runningByOwner.isEmpty)

            try fixture.insertJob(userID: "due-old", startAt: Self.now - 7_000)
            try fixture.insertJob(userID: "due-new", startAt: Self.now)
            try fixture.insertJob(userID: "later", startAt: Self.now + 1)
            try fixture.insertJob(userID: "done-1", status: .completed)
            try fixture.insertJob(userID: "done-2", status: .completed)
            try fixture.insertJob(userID: "failed", status: .failed)
            // Imported running without a lease: nobody's, claimable at once.
            try fixture.insertJob(userID: "orphan", status: .running)
            let a = try fixture.insertJob(userID: "leased-a", startAt: Self.now - 100_000)
            let b = try fixture.insertJob(userID: "leased-b", startAt: Self.now - 100_000)
            let c = try fixture.insertJob(userID: "leased-c", startAt: Self.now - 100_000)
            // Claimed long ago with a lease that has expired by `now`, then two still leased.
            let stale = try store.claimDueJobs(
                owner: "dead", now: Self.now - 50_000, leaseUntil: Self.now - 1, limit: 1, actions: [.deleteUserData])
            let live = try store.claimDueJobs(
                owner: "w1", now: Self.now - 50_000, leaseUntil: Self.now + 30_000, limit: 2, actions: [.deleteUserData])
            #expect(Set((stale + live).map(\.job.id)) == [a.id, b.id, c.id])

            let summary = try store.queueSummary(at: Self.now)
            #expect(summary.jobsByStatus == [.scheduled: 3, .running: 4, .completed: 2, .failed: 1, .cancelled: 0])
            #expect(summary.dueNow == 2)
            #expect(summary.oldestDueStartAt == Self.now - 7_000)
            #expect(summary.oldestDueAge == 7_000)
            #expect(summary.expiredLeases == 2)
            #expect(summary.runningByOwner == ["dead": 1, "w1": 2])

            #expect(try store.dueActions(at: Self.now) == [
                DueAction(action: .deleteUserData, count: 2, oldestStartAt: Self.now - 7_000)
            ])
            #expect(try store.dueActions(at: Self.now - 8_000) == [])
        }
    }
}
