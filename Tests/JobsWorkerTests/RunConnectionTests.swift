import Foundation
import JobsCore
import JobsTesting
import Testing
@testable import JobsWorker

/// A run's store connection that fails to open: tried again within the job's lease, not given up at once.
@Suite struct RunConnectionTests {
    /// Fails the calls to `connect` numbered in `failing` (1 is the claimer's own), succeeds otherwise.
    final class FlakyConnect: @unchecked Sendable {
        // Safe to share: `calls` is only touched with `lock` held.
        private let lock = NSLock()
        private var calls = 0
        let store: any WorkerStore
        let failing: (Int) -> Bool

        init(store: any WorkerStore, failing: @escaping (Int) -> Bool) {
            self.store = store
            self.failing = failing
        }

        var count: Int { lock.withLock { calls } }

        func connect() throws -> any WorkerStore {
            let call = lock.withLock { () -> Int in
                calls += 1
                return calls
            }
            if failing(call) { throw StoreError(.unavailable, "the server is restarting (call \(call))") }
            return store
        }
    }

    @Test func aConnectionThatOpensOnALaterAttemptRunsTheJob() throws {
        let fixture = try RunFixture()
        let program = try fixture.script("exit 0")
        let job = fixture.store.add(user: "retried", startAt: 1000)
        let flaky = FlakyConnect(store: fixture.store) { (2...4).contains($0) }
        let worker = JobRunner(
            configuration: try fixture.configuration(program: program, lease: .seconds(30), once: true),
            connect: { try flaky.connect() }, log: fixture.lines.log, environment: ["PATH=/usr/bin:/bin"])

        let summary = try worker.run()
        #expect(summary.completed == 1)
        #expect(summary.other == 0)
        #expect(fixture.store.job(job.id)?.status == .completed)
        #expect(flaky.count == 5)
        #expect(fixture.lines.text.contains("trying again within its lease"))
        #expect(fixture.lines.text.contains("the store opened on attempt 4"))
    }

    @Test func aConnectionThatNeverOpensIsGivenUpBeforeTheLeaseEnds() throws {
        let fixture = try RunFixture()
        let program = try fixture.script("exit 0")
        let job = fixture.store.add(user: "unreachable", startAt: 1000)
        let flaky = FlakyConnect(store: fixture.store) { $0 >= 2 }
        let lease: Duration = .seconds(4)
        let worker = JobRunner(
            configuration: try fixture.configuration(program: program, lease: lease, watch: .seconds(1), once: true),
            connect: { try flaky.connect() }, log: fixture.lines.log, environment: ["PATH=/usr/bin:/bin"])

        let started = JobsAPI.now()
        let summary = try worker.run()
        #expect(summary.other == 1)
        #expect(flaky.count >= 3, "tried \(flaky.count - 1) times")
        // Given up while the lease still held (it ends 4 s after the claim), the job untouched.
        #expect(JobsAPI.now() < started + lease.inMilliseconds)
        #expect(fixture.store.job(job.id)?.status == .running)
        #expect(fixture.lines.text.contains("the job stays running until its lease expires"))
    }
}
