import JobsCore
import Testing

@Suite("Store contract: filtered list pages (status, referenceId)")
struct ContractJobFilterTests {
    /// Filters and pages, checked against the same jobs filtered in memory.
    static let cases: [(filter: JobFilter, limit: Int, offset: Int64)] = [
        (JobFilter(statuses: [.scheduled]), 50, 0),
        (JobFilter(statuses: [.completed]), 2, 1),
        (JobFilter(statuses: [.running, .scheduled, .running]), 3, 0),
        (JobFilter(statuses: [.failed, .cancelled, .completed]), 2, 2),
        (JobFilter(statuses: JobStatus.allCases), 4, 3),
        (JobFilter(referenceID: "alice@example.com"), 50, 0),
        (JobFilter(referenceID: "alice@example.com"), 1, 2),
        (JobFilter(statuses: [.cancelled, .scheduled], referenceID: "alice@example.com"), 50, 0),
        (JobFilter(statuses: [.failed], referenceID: "alice@example.com"), 50, 0),
        (JobFilter(referenceID: "nobody"), 50, 0),
        (JobFilter(statuses: [.scheduled]), 50, Int64.max),
        (JobFilter(statuses: [.scheduled, .completed]), 200, Int64.max - 3),
        (JobFilter(statuses: [.completed]), 0, 0),
        (JobFilter(referenceID: "bob"), Int.max, -5),
    ]

    @Test("a filtered page holds the project's matching jobs in id order, paginated", arguments: StoreKind.allCases, cases)
    func filteredPage(kind: StoreKind, page: (filter: JobFilter, limit: Int, offset: Int64)) throws {
        try ContractFixture.with(kind) { fixture in
            let other = try fixture.makeProject()
            let statuses: [JobStatus] = [.completed, .scheduled, .cancelled, .completed, .running, .failed, .completed]
            var ours: [Job] = []
            for (index, status) in statuses.enumerated() {
                // alice has a finished job for every job of the others, and one active job at most.
                let user = index % 2 == 0 && (status.isFinal || index == 4) ? "alice@example.com" : "bob-\(index)"
                ours.append(try fixture.insertJob(userID: user, status: status))
                try fixture.insertJob(userID: "alice@example.com", status: .completed, projectID: other.id)
            }
            let store = try fixture.connector.connect()
            let matching = ours.filter { page.filter.matches($0) }
            let start = Int(min(max(0, page.offset), Int64(matching.count)))
            let expected = page.limit > 0 ? Array(matching[start...].prefix(page.limit)) : []
            let listed = try store.jobs(
                projectID: fixture.project.id, filter: page.filter, limit: page.limit, offset: page.offset)
            #expect(listed == expected)

            var written = JSONWriter()
            try store.writeJobs(
                projectID: fixture.project.id, filter: page.filter, limit: page.limit, offset: page.offset,
                to: &written)
            var expectedJSON = JSONWriter()
            Job.write(expected, to: &expectedJSON)
            #expect(written.text == expectedJSON.text)
        }
    }

    @Test("no filter lists as the plain list does", arguments: StoreKind.allCases)
    func noFilter(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            for index in 0..<4 { try fixture.insertJob(userID: "u\(index)", status: index == 1 ? .failed : .scheduled) }
            let store = try fixture.connector.connect()
            #expect(
                try store.jobs(projectID: fixture.project.id, filter: .none, limit: 3, offset: 1)
                    == store.jobs(projectID: fixture.project.id, limit: 3, offset: 1))
        }
    }
}
