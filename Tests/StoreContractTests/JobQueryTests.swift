import JobsCore
import Testing

@Suite("Store contract: API queries: keys, projects, listing and reading jobs")
struct ContractJobQueryTests {
    @Test("an active key gives its principal; unknown and revoked keys give nil", arguments: StoreKind.allCases)
    func principal(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            let store = try fixture.connector.connect()
            #expect(
                try store.principal(forKeyHash: fixture.key.hash, at: ContractFixture.now)
                    == Principal(keyID: fixture.keyRecord.id, organizationID: fixture.organization.id))
            #expect(try store.principal(forKeyHash: APIKey.generate().hash, at: ContractFixture.now) == nil)

            try #require(try fixture.admin.revokeAPIKey(id: fixture.keyRecord.id, at: ContractFixture.now + 5) != .notFound)
            #expect(try store.principal(forKeyHash: fixture.key.hash, at: ContractFixture.now + 10) == nil)
        }
    }

    @Test("a project is found only through its own organization", arguments: StoreKind.allCases)
    func projectOfOrganization(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            let store = try fixture.connector.connect()
            #expect(
                try store.project(key: fixture.project.key, organizationID: fixture.organization.id)
                    == fixture.project)
            let other = try fixture.makeProject()
            #expect(try store.project(key: other.key, organizationID: fixture.organization.id) == nil)
            #expect(try store.project(key: ProjectKey.random(), organizationID: fixture.organization.id) == nil)
        }
    }

    /// Five jobs in the fixture's project, interleaved with jobs of another project.
    static let pages: [(limit: Int, offset: Int64, expected: [Int])] = [
        (limit: 2, offset: 0, expected: [0, 1]),
        (limit: 2, offset: 2, expected: [2, 3]),
        (limit: 2, offset: 4, expected: [4]),
        (limit: 2, offset: 5, expected: []),
        (limit: 50, offset: 0, expected: [0, 1, 2, 3, 4]),
        (limit: 200, offset: 1_000_000, expected: []),
        (limit: 1, offset: Int64.max, expected: []),
        (limit: Int.max, offset: 3, expected: [3, 4]),
        (limit: 0, offset: 0, expected: []),
        (limit: -1, offset: 0, expected: []),
        (limit: 3, offset: -7, expected: [0, 1, 2]),
    ]

    @Test("jobs are listed by ascending id, paginated by limit and offset", arguments: StoreKind.allCases, pages)
    func listing(kind: StoreKind, page: (limit: Int, offset: Int64, expected: [Int])) throws {
        try ContractFixture.with(kind) { fixture in
            let other = try fixture.makeProject()
            var ours: [Job] = []
            for index in 0..<5 {
                ours.append(try fixture.insertJob(userID: "user-\(index)"))
                try fixture.insertJob(userID: "user-\(index)", projectID: other.id)
            }
            let store = try fixture.connector.connect()
            let listed = try store.jobs(projectID: fixture.project.id, limit: page.limit, offset: page.offset)
            #expect(listed == page.expected.map { ours[$0] })

            // The API's list route writes the page through writeJobs: the same bytes as the listed jobs written.
            var written = JSONWriter()
            try store.writeJobs(projectID: fixture.project.id, limit: page.limit, offset: page.offset, to: &written)
            var expected = JSONWriter()
            Job.write(listed, to: &expected)
            #expect(written.text == expected.text)
        }
    }

    @Test("a job is read by id within its project only", arguments: StoreKind.allCases)
    func jobInProject(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            let other = try fixture.makeProject()
            let job = try fixture.insertJob(userID: "alice")
            let foreign = try fixture.insertJob(userID: "alice", projectID: other.id)
            let store = try fixture.connector.connect()
            #expect(try store.job(id: job.id, projectID: fixture.project.id) == job)
            #expect(try store.job(id: foreign.id, projectID: fixture.project.id) == nil)
            #expect(try store.job(id: job.id + 1000, projectID: fixture.project.id) == nil)
            #expect(try store.job(id: Int64.min, projectID: fixture.project.id) == nil)
        }
    }

    @Test("NULL columns read as nil and set ones round-trip, whatever the text", arguments: StoreKind.allCases)
    func columnRoundTrip(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            let fresh = try fixture.insertJob(userID: "bob")
            #expect(fresh.updatedAt == nil)
            #expect(fresh.errors == nil)

            let text = "naïve ユーザー 🚀 with a \u{7F} DEL, 'quotes' and \\x00"
            let failed = NewJob(
                description: text, status: .failed, action: JobAction(rawValue: "export"), referenceID: "",
                createdAt: Int64.min, updatedAt: Int64.max, startAt: 0, errors: "")
            guard case .created(let stored) = try fixture.admin.importJob(failed, projectID: fixture.project.id) else {
                Issue.record("import refused")
                return
            }
            let read = try #require(try fixture.admin.job(id: stored.id))
            #expect(read == stored)
            #expect(read.description == text)
            #expect(read.referenceID == "")
            #expect(read.errors == "")
            #expect(read.updatedAt == Int64.max)
            #expect(read.createdAt == Int64.min)
            #expect(read.action == JobAction(rawValue: "export"))
        }
    }

    @Test("text with NUL: SQLite keeps it; PostgreSQL, whose text cannot hold it, refuses it as invalid",
        arguments: StoreKind.allCases)
    func nulText(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            let job = NewJob(
                description: "a \u{0} b", status: .completed, action: .deleteUserData, referenceID: "nul",
                createdAt: 1, updatedAt: 2, startAt: 3, errors: nil)
            switch kind {
            case .sqlite:
                guard case .created(let stored) = try fixture.admin.importJob(job, projectID: fixture.project.id) else {
                    Issue.record("import refused")
                    return
                }
                #expect(try fixture.admin.job(id: stored.id)?.description == "a \u{0} b")
            case .postgres:
                let error = #expect(throws: StoreError.self) {
                    try fixture.admin.importJob(job, projectID: fixture.project.id)
                }
                #expect(error?.kind == .invalid)
                #expect(try fixture.admin.jobs(projectID: fixture.project.id, status: nil, afterID: 0, limit: 10).isEmpty)
            }
        }
    }

    @Test("job ids increase in creation order and are never reused", arguments: StoreKind.allCases)
    func idsNeverReused(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            let first = try fixture.insertJob(userID: "a")
            let second = try fixture.insertJob(userID: "b")
            #expect(second.id > first.id)
            try fixture.execute("DELETE FROM jobs WHERE id = \(second.id)")
            let third = try fixture.insertJob(userID: "c")
            #expect(third.id > second.id)
        }
    }
}
