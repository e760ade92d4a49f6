import Foundation
import JobsCore
import JobsTesting
import Testing
@testable import JobsWorker

/// The claim loop against a fake store.
@Suite struct WorkerLoopTests {
    func worker(_ fixture: RunFixture, _ configuration: WorkerConfiguration) -> JobRunner {
        let store = fixture.store
        return JobRunner(
            configuration: configuration, connect: { store }, log: fixture.lines.log,
            environment: ["PATH=/usr/bin:/bin"])
    }

    @Test func runOnceRunsEveryDueJobWithinTheConcurrencyAndLeavesTheRest() throws {
        let fixture = try RunFixture()
        let program = try fixture.script("echo \"$JOB_ID\" >> \"$DIR/ran\"\nsleep 0.1")
        let due = (0..<7).map { fixture.store.add(user: "due-\($0)", startAt: 1000) }
        let later = fixture.store.add(user: "later", startAt: JobsAPI.now() + 3_600_000)
        let cancelled = fixture.store.add(user: "cancelled", startAt: 1000)
        fixture.store.cancel(cancelled.id)

        let summary = try worker(fixture, fixture.configuration(program: program, concurrency: 3, once: true)).run()

        #expect(summary.claimed == 7)
        #expect(summary.completed == 7)
        for job in due { #expect(fixture.store.job(job.id)?.status == .completed) }
        #expect(fixture.store.job(later.id)?.status == .scheduled)
        #expect(fixture.store.job(later.id)?.updatedAt == nil)
        #expect(fixture.store.job(cancelled.id)?.status == .cancelled)
        let ran = (fixture.directory.contents(of: "ran") ?? "").split(separator: "\n").compactMap { Int64($0) }
        #expect(ran.sorted() == due.map(\.id))
        #expect(fixture.store.mostJobsLeasedAtOnce <= 3)
        #expect(fixture.lines.all.filter { $0.contains("scheduled → running") }.count == 7)
    }

    @Test func aRunningJobWhoseLeaseExpiredIsTakenOver() throws {
        let fixture = try RunFixture()
        let program = try fixture.script("exit 0")
        let job = fixture.store.add(user: "orphan", startAt: 1000)
        // Another worker claimed it with a lease that has already ended, then died.
        _ = try fixture.store.claimDueJobs(
            owner: "dead-worker", now: 2000, leaseUntil: 3000, limit: 1, actions: [.deleteUserData])

        let summary = try worker(fixture, fixture.configuration(program: program, once: true)).run()
        #expect(summary.completed == 1)
        #expect(fixture.store.job(job.id)?.status == .completed)
        #expect(fixture.lines.text.contains("taken over"))
    }

    @Test func stopLetsRunningProgramsFinishWithinTheGracePeriod() throws {
        let fixture = try RunFixture()
        // The program finishes only once the worker was asked to stop (the test says when).
        let program = try fixture.script(
            "touch \"$DIR/started-$JOB_ID\"\n\(shellWaitingForFile("\"$DIR/go\""))\ntouch \"$DIR/finished-$JOB_ID\"")
        let job = fixture.store.add(user: "short", startAt: 1000)
        let worker = worker(fixture, try fixture.configuration(program: program, grace: .seconds(60)))
        let finished = PendingSummary()
        Thread.detachNewThread { finished.set(Result { try worker.run() }) }
        #expect(eventually { fixture.directory.exists("started-\(job.id)") })

        worker.stop(reason: "SIGTERM")
        #expect(fixture.lines.text.contains("SIGTERM: claiming no more jobs"))
        try fixture.directory.write("go")
        let summary = try #require(finished.wait()).get()
        #expect(summary.completed == 1)
        #expect(fixture.directory.exists("finished-\(job.id)"))
        #expect(fixture.store.job(job.id)?.status == .completed)
        #expect(fixture.lines.text.contains("stopped on SIGTERM"))
    }

    @Test func stopReleasesJobsStillRunningAfterTheGracePeriodAndASecondStopSkipsIt() throws {
        let fixture = try RunFixture()
        let program = try fixture.script("touch \"$DIR/started-$JOB_ID\"\nsleep 300")
        let jobs = (0..<2).map { fixture.store.add(user: "long-\($0)", startAt: 1000) }
        let worker = worker(fixture, try fixture.configuration(program: program, grace: .seconds(120)))
        let finished = PendingSummary()
        Thread.detachNewThread { finished.set(Result { try worker.run() }) }
        #expect(eventually { jobs.allSatisfy { fixture.directory.exists("started-\($0.id)") } })

        let stoppedAt = Date()
        worker.stop(reason: "SIGTERM")
        worker.stop(reason: "SIGINT")
        let summary = try #require(finished.wait(), "the worker still runs: the grace period was not cut short").get()
        // Not the 120 s grace period: the second request cut it short; the programs went at SIGTERM (a fraction
        // of a second on an idle machine; the bound leaves room for a loaded one).
        let took = Date().timeIntervalSince(stoppedAt)
        #expect(took < 30, "the worker took \(took) s to stop")
        #expect(summary.released == 2)
        #expect(Set(fixture.store.releasedJobs) == Set(jobs.map(\.id)))
        for job in jobs {
            #expect(fixture.store.job(job.id)?.status == .running)
            #expect(fixture.store.leaseOwner(job.id) == nil)
        }
    }

    @Test func aWorkerRegistersRefreshesWhileEverySlotIsBusyAndUnregistersWhenItStops() throws {
        let fixture = try RunFixture()
        let program = try fixture.script("touch \"$DIR/started-$JOB_ID\"\nsleep 300")
        let job = fixture.store.add(user: "long", startAt: 1000)
        let worker = worker(
            fixture, try fixture.configuration(program: program, lease: .seconds(5), grace: .zero, concurrency: 1))
        let finished = PendingSummary()
        Thread.detachNewThread { finished.set(Result { try worker.run() }) }
        #expect(eventually { fixture.directory.exists("started-\(job.id)") })

        let registered = try #require(fixture.store.workers[RunFixture.owner])
        #expect(registered.pid == Int64(getpid()))
        #expect(registered.host == WorkerConfiguration.hostName())
        #expect(registered.version == Release.version)
        #expect(registered.actions == [.deleteUserData])
        #expect(registered.concurrency == 1)
        // Three polls of 50 ms, or the 5 s lease: the longer.
        #expect(registered.staleAfter == 5_000)
        // Its only slot is busy with a program that sleeps: the 50 ms poll still refreshes it.
        let seen = registered.lastSeenAt
        #expect(eventually { (fixture.store.workers[RunFixture.owner]?.lastSeenAt ?? 0) > seen + 100 })

        worker.stop(reason: "SIGTERM")
        _ = try #require(finished.wait()).get()
        #expect(fixture.store.workers.isEmpty)
    }

    @Test func aWorkerThatRunsUntilStoppedPicksUpJobsAsTheyBecomeDue() throws {
        let fixture = try RunFixture()
        let program = try fixture.script("exit 0")
        let worker = worker(fixture, try fixture.configuration(program: program))
        let finished = PendingSummary()
        Thread.detachNewThread { finished.set(Result { try worker.run() }) }
        let job = fixture.store.add(user: "soon", startAt: JobsAPI.now() + 300)
        #expect(eventually { fixture.store.job(job.id)?.status == .completed })
        worker.stop(reason: "SIGTERM")
        #expect(try #require(finished.wait()).get().completed == 1)
    }

    @Test func runOnceReportsAStoreThatCannotBeClaimedFrom() throws {
        let fixture = try RunFixture()
        fixture.store.failClaims(with: StoreError(.unavailable, "database is locked"))
        #expect(throws: StoreError.self) {
            try worker(fixture, fixture.configuration(program: "/bin/true", once: true)).run()
        }
        #expect(fixture.lines.text.contains("claiming due jobs failed"))
    }
}

/// A worker's result on another thread, once `run()` returned.
final class PendingSummary: @unchecked Sendable {
    // Safe to share: `value` is written once before `done` is signalled and read after waiting for it.
    private var value: Result<WorkerSummary, any Error>?
    private let done = DispatchSemaphore(value: 0)

    func set(_ result: Result<WorkerSummary, any Error>) {
        value = result
        done.signal()
    }

    func wait(timeout: TimeInterval = patientTimeout) -> Result<WorkerSummary, any Error>? {
        guard done.wait(timeout: .now() + timeout) == .success else { return nil }
        done.signal()
        return value
    }
}
