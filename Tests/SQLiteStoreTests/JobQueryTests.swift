import JobsCore
import Testing
@testable import SQLiteStore

@Suite("API queries: keys, projects, listing and reading jobs")
struct JobQueryTests {
    @Test("an active key gives its principal; unknown and revoked keys give nil")
    func principal() throws {
        try StoreFixture.with { fixture in
            let store = try fixture.connector.connect()
            #expect(
                try store.principal(forKeyHash: fixture.key.hash)
                    == Principal(keyID: fixture.keyRecord.id, organizationID: fixture.organization.id))
            #expect(try store.principal(forKeyHash: APIKey.generate().hash) == nil)

            try #require(try fixture.admin.revokeAPIKey(id: fixture.keyRecord.id, at: StoreFixture.now + 5) != nil)
            #expect(try store.principal(forKeyHash: fixture.key.hash) == nil)
        }
    }

    @Test("a project is found only through its own organization")
    func projectOfOrganization() throws {
        try StoreFixture.with { fixture in
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

    @Test("jobs are listed by ascending id, paginated by limit and offset", arguments: pages)
    func listing(page: (limit: Int, offset: Int64, expected: [Int])) throws {
        try StoreFixture.with { fixture in
            let other = try fixture.makeProject()
            var ours: [Job] = []
            for index in 0..<5 {
                ours.append(try fixture.insertJob(userID: "user-\(index)"))
                try fixture.insertJob(userID: "user-\(index)", projectID: other.id)
            }
            let store = try fixture.connector.connect()
            let listed = try store.jobs(projectID: fixture.project.id, limit: page.limit, offset: page.offset)
            #expect(listed == page.expected.map { ours[$0] })
        }
    }

    @Test("a job is read by id within its project only")
    func jobInProject() throws {
        try StoreFixture.with { fixture in
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

    @Test("NULL columns read as nil and set ones round-trip, whatever the text")
    func columnRoundTrip() throws {
        try StoreFixture.with { fixture in
            let fresh = try fixture.insertJob(userID: "bob")
            #expect(fresh.updatedAt == nil)
            #expect(fresh.errors == nil)

            let text = "naïve ユーザー 🚀 with a \u{0} NUL"
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

    @Test("text that is not valid UTF-8 is read lossily instead of crashing")
    func invalidUTF8() throws {
        try StoreFixture.with { fixture in
            let job = try fixture.insertJob(userID: "carol")
            try fixture.admin.connection.execute(
                "UPDATE jobs SET description = CAST(x'41ff42c3' AS TEXT), errors = CAST(x'80' AS TEXT) "
                    + "WHERE id = \(job.id)")
            let store = try fixture.connector.connect()
            let read = try #require(try store.job(id: job.id, projectID: fixture.project.id))
            #expect(read.description == "A\u{FFFD}B\u{FFFD}")
            #expect(read.errors == "\u{FFFD}")
        }
    }

    @Test("job ids increase in creation order and are never reused")
    func idsNeverReused() throws {
        try StoreFixture.with { fixture in
            let first = try fixture.insertJob(userID: "a")
            let second = try fixture.insertJob(userID: "b")
            #expect(second.id > first.id)
            try fixture.admin.connection.execute("DELETE FROM jobs WHERE id = \(second.id)")
            let third = try fixture.insertJob(userID: "c")
            #expect(third.id > second.id)
        }
    }
}
