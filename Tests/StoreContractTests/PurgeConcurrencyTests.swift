import JobsCore
import JobsTesting
import Testing

@Suite("Store contract: purging while the API creates and cancels")
struct PurgeConcurrencyTests {
    @Test("a purge racing creations and cancels in the same project: positions stay dense and in id order",
        arguments: StoreKind.allCases)
    func purgeDuringCreations(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            var old: [Job] = []
            for index in 0..<120 {
                var job = NewJob.deleteUserData(userID: "old-\(index)", createdAt: 1, startAt: 2)
                // Every fifth one stays active: survivors the purge has to move.
                job.status = index % 5 == 0 ? .scheduled : .completed
                job.updatedAt = job.status.isFinal ? 100 : nil
                guard case .created(let stored) = try fixture.admin.importJob(job, projectID: fixture.project.id) else {
                    throw StoreError(.conflict, "unexpected conflict")
                }
                old.append(stored)
            }
            let connector = fixture.connector
            let oldIDs = old.map(\.id)
            let projectID = fixture.project.id
            // Three threads, each purging in small batches, creating jobs and cancelling old ones, interleaved.
            let results = concurrently(threads: 3) { startLine in
                let store = Result { try connector.connectForAdministration(create: false) }
                let thread = UInt64.random(in: 0...UInt64.max)
                startLine.arriveAndWait()
                return Result { () throws -> (purged: Int, created: [Int64]) in
                    let store = try store.get()
                    var purged = 0
                    var created: [Int64] = []
                    for round in 0..<40 {
                        purged += try store.purgeFinishedJobs(before: 200, limit: 7)
                        if case .created(let job) = try store.createJob(
                            .deleteUserData(userID: "new-\(thread)-\(round)", createdAt: 1000, startAt: 2000),
                            projectID: projectID)
                        {
                            created.append(job.id)
                        }
                        _ = try store.cancelJob(id: oldIDs[(round * 5) % oldIDs.count], projectID: projectID, at: 5000)
                    }
                    return (purged, created)
                }
            }
            let outcomes = try results.map { try $0.get() }
            // Left of the old jobs: the active ones (some cancelled since, at 5000: too recent for the purge);
            // every finished one ended at 100 and goes.
            var purged = outcomes.map(\.purged).reduce(0, +)
            while case let batch = try fixture.admin.purgeFinishedJobs(before: 200, limit: 50), batch > 0 {
                purged += batch
            }
            let left = try fixture.admin.jobs(projectID: projectID, status: nil, afterID: 0, limit: 1000)
            let created = outcomes.flatMap(\.created)
            #expect(created.count == 120)
            #expect(purged == 96)
            #expect(Set(left.map(\.id)) == Set(old.filter { $0.status == .scheduled }.map(\.id) + created))
            #expect(try ContractPositionTests.isDense(fixture, projectID: projectID))
            // The API's pages see exactly that, in id order.
            let store = try connector.connect()
            #expect(try ContractPurgeTests.pages(store, projectID: projectID, limit: 7) == left)
        }
    }
}
