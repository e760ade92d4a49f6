import JobsCore
import Testing

@Suite("Store contract: Purging finished jobs keeps positions dense and pages intact")
struct ContractPurgeTests {
    static let cutoff: Int64 = 300
    static let statuses: [JobStatus] = [.completed, .scheduled, .failed, .cancelled, .running, .completed, .failed]

    /// 21 jobs in each of two projects, interleaved: every status, finished ones ended before the cutoff (100)
    /// or after it (500, every third one). Returns the jobs of both projects in id order.
    static func populate(_ fixture: ContractFixture, other: Project) throws -> [Job] {
        var jobs: [Job] = []
        for index in 0..<21 {
            for projectID in [fixture.project.id, other.id] {
                var job = NewJob.deleteUserData(userID: "user-\(index)", createdAt: 10, startAt: 20)
                job.status = statuses[index % statuses.count]
                if job.status.isFinal { job.updatedAt = index % 3 == 2 ? 500 : 100 }
                guard case .created(let stored) = try fixture.admin.importJob(job, projectID: projectID) else {
                    throw StoreError(.conflict, "unexpected conflict")
                }
                jobs.append(stored)
            }
        }
        return jobs
    }

    static func purgeable(_ job: Job) -> Bool {
        job.status.isFinal && (job.updatedAt ?? .max) < cutoff
    }

    /// Every job of the project, read page after page as the API reads them.
    static func pages(_ store: any JobStore, projectID: Int64, limit: Int) throws -> [Job] {
        var listed: [Job] = []
        var offset: Int64 = 0
        while true {
            let page = try store.jobs(projectID: projectID, limit: limit, offset: offset)
            listed += page
            guard page.count == limit else { return listed }
            offset += Int64(limit)
        }
    }

    @Test("batch after batch: each deletes at most its size, positions stay dense, pages lose only the purged jobs",
        arguments: StoreKind.allCases, [1, 2, 5, 1000])
    func batches(kind: StoreKind, size: Int) throws {
        try ContractFixture.with(kind) { fixture in
            let other = try fixture.makeProject()
            let all = try Self.populate(fixture, other: other)
            let expectedTotal = all.filter(Self.purgeable).count
            #expect(expectedTotal == 20)
            let store = try fixture.connector.connect()

            var total = 0
            var calls = 0
            while true {
                let deleted = try fixture.admin.purgeFinishedJobs(before: Self.cutoff, limit: size)
                #expect(deleted == min(size, expectedTotal - total))
                total += deleted
                calls += 1
                for projectID in [fixture.project.id, other.id] {
                    #expect(try ContractPositionTests.isDense(fixture, projectID: projectID))
                    let left = try fixture.admin.jobs(projectID: projectID, status: nil, afterID: 0, limit: 100)
                    // Whatever was deleted was purgeable; the rest is unchanged, in the same order.
                    let removed = all.filter { $0.projectID == projectID && !left.contains($0) }
                    #expect(removed.allSatisfy(Self.purgeable))
                    #expect(left == all.filter { $0.projectID == projectID && !removed.contains($0) })
                    for limit in [1, 3, 50] {
                        #expect(try Self.pages(store, projectID: projectID, limit: limit) == left)
                    }
                }
                if deleted == 0 { break }
            }
            #expect(total == expectedTotal)
            #expect(calls == (expectedTotal + size - 1) / size + 1)
            let survivors = all.filter { !Self.purgeable($0) }
            let left = try [fixture.project.id, other.id].flatMap {
                try fixture.admin.jobs(projectID: $0, status: nil, afterID: 0, limit: 100)
            }
            #expect(Set(left.map(\.id)) == Set(survivors.map(\.id)))
            #expect(left.sorted { $0.id < $1.id } == survivors)
        }
    }

    @Test("the lowest positions go first, project by project", arguments: StoreKind.allCases)
    func lowestPositionsFirst(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            let other = try fixture.makeProject()
            let all = try Self.populate(fixture, other: other)
            #expect(try fixture.admin.purgeFinishedJobs(before: Self.cutoff, limit: 3) == 3)
            let firstThree = all.filter { $0.projectID == fixture.project.id && Self.purgeable($0) }.prefix(3)
            for job in firstThree {
                #expect(try fixture.admin.job(id: job.id) == nil)
            }
            #expect(try fixture.admin.jobs(projectID: other.id, status: nil, afterID: 0, limit: 100).count == 21)
        }
    }

    @Test("after a purge, a new job takes the next position and shows on the last page", arguments: StoreKind.allCases)
    func createAfterPurge(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            let other = try fixture.makeProject()
            _ = try Self.populate(fixture, other: other)
            while try fixture.admin.purgeFinishedJobs(before: Self.cutoff, limit: 4) > 0 {}
            let store = try fixture.connector.connect()
            let left = try Self.pages(store, projectID: fixture.project.id, limit: 50)
            guard case .created(let fresh) = try store.createJob(
                .deleteUserData(userID: "fresh", createdAt: 1, startAt: 2), projectID: fixture.project.id)
            else {
                Issue.record("no job created")
                return
            }
            #expect(try ContractPositionTests.isDense(fixture, projectID: fixture.project.id))
            #expect(try store.jobs(projectID: fixture.project.id, limit: 5, offset: Int64(left.count)) == [fresh])
        }
    }

    @Test("a limit of 0 or less, or nothing old enough, deletes nothing", arguments: StoreKind.allCases, [(0, 1_000), (-1, 1_000), (10, 100)] as [(Int, Int64)])
    func nothingToDo(kind: StoreKind, request: (limit: Int, before: Int64)) throws {
        let (limit, before) = request
        try ContractFixture.with(kind) { fixture in
            let other = try fixture.makeProject()
            let all = try Self.populate(fixture, other: other)
            #expect(try fixture.admin.purgeFinishedJobs(before: before, limit: limit) == 0)
            #expect(try fixture.integerRows("SELECT count(*) FROM jobs WHERE project_id > ?1", 0, columns: 1) == [[42]])
            #expect(all.count == 42)
        }
    }
}
