import JobsCore
import Testing

@Suite("Store contract: Cancelling a job")
struct ContractCancelJobTests {
    @Test("scheduled and running jobs are cancelled; final ones come back unchanged", arguments: StoreKind.allCases, JobStatus.allCases)
    func cancel(kind: StoreKind, status: JobStatus) throws {
        try ContractFixture.with(kind) { fixture in
            let job = try fixture.insertJob(userID: "dave", status: status)
            let store = try fixture.connector.connect()
            let time = ContractFixture.now + 42
            let outcome = try store.cancelJob(id: job.id, projectID: fixture.project.id, at: time)
            if status.isCancellable {
                var expected = job
                expected.status = .cancelled
                expected.updatedAt = time
                #expect(outcome == .cancelled(expected))
                #expect(try store.job(id: job.id, projectID: fixture.project.id) == expected)
            } else {
                #expect(outcome == .notCancellable(job))
                #expect(try store.job(id: job.id, projectID: fixture.project.id) == job)
            }
        }
    }

    @Test("cancelling twice: the second answer is notCancellable with the first cancellation's time", arguments: StoreKind.allCases)
    func cancelTwice(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            let job = try fixture.insertJob(userID: "erin")
            let store = try fixture.connector.connect()
            let first = try store.cancelJob(id: job.id, projectID: fixture.project.id, at: 10)
            guard case .cancelled(let cancelled) = first else {
                Issue.record("first cancel did not cancel")
                return
            }
            let second = try store.cancelJob(id: job.id, projectID: fixture.project.id, at: 20)
            #expect(second == .notCancellable(cancelled))
        }
    }

    @Test("a missing job and another project's job are not found, and stay untouched", arguments: StoreKind.allCases)
    func notFound(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            let other = try fixture.makeProject()
            let foreign = try fixture.insertJob(userID: "frank", projectID: other.id)
            let store = try fixture.connector.connect()
            #expect(try store.cancelJob(id: foreign.id, projectID: fixture.project.id, at: 1) == .notFound)
            #expect(try store.cancelJob(id: 999_999, projectID: fixture.project.id, at: 1) == .notFound)
            #expect(try fixture.admin.job(id: foreign.id) == foreign)
        }
    }
}
