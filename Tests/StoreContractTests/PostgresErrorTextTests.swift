import Foundation
import JobsCore
import JobsTesting
import Testing
@testable import PostgresStore

/// PostgreSQL's errors as the log shows them: one readable line, and no row values.
@Suite("PostgreSQL error text in the log")
struct PostgresErrorTextTests {
    @Test("libpq's multi-line messages become one line")
    func oneLine() {
        let message = "connection to server at \"127.0.0.1\", port 1 failed: Connection refused\n"
            + "\tIs the server running on that host and accepting TCP/IP connections?\n"
        #expect(
            PostgresError(sqlState: nil, message: message).description
                == "connection to server at \"127.0.0.1\", port 1 failed: Connection refused; "
                + "Is the server running on that host and accepting TCP/IP connections?")
    }

    @Test("a refused connection and a server error read as one line; a violation's values stay out")
    func realErrors() throws {
        let refused = #expect(throws: StoreError.self) {
            try PostgresConnector(url: "postgresql://postgres@127.0.0.1:1/postgres?connect_timeout=2").open()
        }
        let refusedText = try #require(refused).message
        #expect(!refusedText.contains("\n") && !refusedText.contains("\t"), "\(refusedText)")

        let database = try PostgresServer.shared().createDatabase()
        let connection = try PostgresConnection(url: database.url)
        try connection.executeScript("CREATE TABLE t (user_id text UNIQUE)")
        try connection.execute("INSERT INTO t VALUES ($1)", [.text("alice@example.com")])
        let violation = #expect(throws: PostgresError.self) {
            try connection.execute("INSERT INTO t VALUES ($1)", [.text("alice@example.com")])
        }
        let text = try #require(violation).description
        #expect(text.contains("duplicate key value violates unique constraint"), "\(text)")
        #expect(text.hasSuffix("(SQLSTATE 23505)"), "\(text)")
        #expect(!text.contains("alice"), "\(text)")
        #expect(!text.contains("\n"), "\(text)")
    }
}
