import CSQLite3
import JobsCore
import Testing
@testable import SQLiteStore

@Suite("Classifying SQLite's errors")
struct SQLiteErrorTests {
    static let classifications: [(code: Int32, kind: StoreError.Kind)] = [
        (SQLITE_BUSY, .unavailable),
        (SQLITE_BUSY | (2 << 8), .unavailable),  // SQLITE_BUSY_SNAPSHOT
        (SQLITE_LOCKED, .unavailable),
        (SQLITE_FULL, .unavailable),
        (SQLITE_READONLY, .unavailable),
        (SQLITE_READONLY | (4 << 8), .unavailable),  // SQLITE_READONLY_DBMOVED
        (SQLITE_IOERR, .unavailable),
        (SQLITE_IOERR | (4 << 8), .unavailable),  // SQLITE_IOERR_FSYNC
        (SQLITE_CANTOPEN, .unavailable),
        (SQLITE_PROTOCOL, .unavailable),
        (CSQLITE3_CONSTRAINT_UNIQUE, .conflict),
        (CSQLITE3_CONSTRAINT_PRIMARYKEY, .conflict),
        (CSQLITE3_CONSTRAINT_FOREIGNKEY, .invalid),
        (SQLITE_CONSTRAINT | (5 << 8), .invalid),  // SQLITE_CONSTRAINT_NOTNULL
        (SQLITE_CONSTRAINT | (1 << 8), .invalid),  // SQLITE_CONSTRAINT_CHECK
        (SQLITE_TOOBIG, .invalid),
        (SQLITE_ERROR, .internal),
        (SQLITE_CORRUPT, .internal),
        (SQLITE_NOTADB, .internal),
        (SQLITE_MISUSE, .internal),
        (SQLITE_NOMEM, .internal),
    ]

    @Test("each result code maps to the kind the API answers", arguments: classifications)
    func classification(entry: (code: Int32, kind: StoreError.Kind)) {
        let error = SQLiteError(code: entry.code, message: "text from SQLite").storeError(while: "testing")
        #expect(error.kind == entry.kind)
        #expect(error.message.contains("extended code \(entry.code)"))
        #expect(error.message.contains("text from SQLite"))
        #expect(error.message.hasPrefix("SQLite failed while testing: SQLITE_"))
    }

    @Test("a CHECK violation from a real statement carries SQLite's own text")
    func realConstraintError() throws {
        try StoreFixture.with { fixture in
            let error = #expect(throws: SQLiteError.self) {
                try fixture.admin.connection.execute(
                    "INSERT INTO jobs (project_id, action, reference_id, description, status, created_at, start_at) "
                        + "VALUES (\(fixture.project.id), 'a', 'b', 'c', 'paused', 1, 2)")
            }
            #expect(error?.code == SQLITE_CONSTRAINT | (1 << 8))
            #expect(error?.message.contains("CHECK constraint failed") == true)
            #expect(error?.storeError(while: "inserting").kind == .invalid)
        }
    }

    @Test("a failed statement is reset and reusable; the connection keeps working")
    func statementReuseAfterFailure() throws {
        try StoreFixture.with { fixture in
            let connection = fixture.admin.connection
            let sql = "INSERT INTO organizations (name, created_at) VALUES (?1, ?2)"
            #expect(throws: SQLiteError.self) { try connection.run(sql, [.null, .integer(1)]) }
            try connection.run(sql, [.text("after"), .integer(2)])
            #expect(!connection.isInTransaction)
            // Nested use of one statement gets a private copy instead of resetting the outer one.
            let counts = try connection.rows("SELECT id FROM organizations ORDER BY id") { outer in
                try connection.rows("SELECT id FROM organizations ORDER BY id") { $0.int64(at: 0) }.count
                    + Int(outer.int64(at: 0) * 0)
            }
            #expect(counts == [2, 2])
        }
    }
}
