import JobsCore
import Testing

@testable import SQLiteStore

/// What only SQLite can hold: text that is not UTF-8. Every other query test is in the store contract suite
/// (Tests/StoreContractTests/JobQueryTests.swift), on SQLite and PostgreSQL.
@Suite("API queries: reading text that is not UTF-8")
struct SQLiteJobQueryTests {
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
}
