import JobsCore
import Testing

@testable import SQLiteStore

/// The list route's page is written straight from SQLite's column bytes (``SQLiteJobStore/writeJobs``). Whatever
/// the text holds — bytes that are not UTF-8 included, which only SQLite can store — it must be byte for byte what
/// reading the jobs and writing them with `Job.write(to:)` gives.
@Suite("API queries: a page written from the rows")
struct JobPageJSONTests {
    /// Texts stored in every text column of a job (`description`, `action`, `reference_id`, `errors`).
    static let texts: [[UInt8]] = [
        [],
        Array("Delete user sessions of userId = user-1@example.com".utf8),
        Array(#"a"b\c"#.utf8),
        [0x00],
        [0x41, 0x00, 0x42],
        Array(0x00...0x1F) + [0x7F],
        Array("naïve ユーザー 🚀 \u{2028} done".utf8),
        [0xFF],
        [0x80],
        [0x41, 0xFF, 0x42, 0xC3],
        [0xC0, 0xAF],
        [0xED, 0xA0, 0x80],
        [0xF4, 0x90, 0x80, 0x80],
        Array("1234567\"".utf8),
        Array("12345678\\".utf8),
        Array("abcdefghijklmno\n".utf8),
        Array("abcdefghijklmnop\u{1F}q".utf8),
        Array("an ASCII run first: abcdefgh".utf8) + [0xFF] + Array("\"tail\\".utf8),
        Array("no escape, then é".utf8) + [0xE9] + Array("\t".utf8),
    ]

    @Test("the page is byte for byte the jobs read and written one by one", arguments: texts)
    func pageMatchesJobs(text: [UInt8]) throws {
        try StoreFixture.with { fixture in
            let tricky = try fixture.insertJob(userID: "tricky")
            let plain = try fixture.insertJob(userID: "plain", status: .completed)
            let hex = text.map { ($0 < 0x10 ? "0" : "") + String($0, radix: 16) }.joined()
            let value = "CAST(x'\(hex)' AS TEXT)"
            try fixture.admin.connection.execute(
                "UPDATE jobs SET description = \(value), action = \(value), reference_id = \(value), "
                    + "errors = \(value) WHERE id = \(tricky.id)")
            try fixture.admin.connection.execute("UPDATE jobs SET updated_at = 42 WHERE id = \(plain.id)")

            let store = try fixture.connector.connect()
            var written = JSONWriter()
            try store.writeJobs(projectID: fixture.project.id, limit: 10, offset: 0, to: &written)

            let jobs = try store.jobs(projectID: fixture.project.id, limit: 10, offset: 0)
            try #require(jobs.count == 2)
            #expect(jobs[0].description == String(decoding: text, as: UTF8.self))
            #expect(jobs[1].updatedAt == 42 && jobs[1].errors == nil)
            var expected = JSONWriter()
            Job.write(jobs, to: &expected)
            #expect(written.bytes == expected.bytes)
        }
    }

    @Test("a status is recognized from its bytes exactly when it names a JobStatus")
    func statusNames() {
        for status in JobStatus.allCases {
            var name = status.rawValue
            #expect(name.withUTF8 { JobStatus.isName($0) }, "\(status)")
        }
        for other in ["", "Failed", "runnin", "runningg", "scheduleD", "cancelled\0", "completed "] {
            var name = other
            #expect(!name.withUTF8 { JobStatus.isName($0) }, "\(other)")
        }
    }

    @Test("a row with an unknown status fails the page as it fails reading the job")
    func unknownStatus() throws {
        try StoreFixture.with { fixture in
            let job = try fixture.insertJob(userID: "odd")
            // Only a store edited around the CHECK constraint can hold such a row.
            try fixture.admin.connection.execute("PRAGMA ignore_check_constraints = ON")
            try fixture.admin.connection.execute("UPDATE jobs SET status = 'paused' WHERE id = \(job.id)")

            let store = try fixture.connector.connect()
            var written = JSONWriter()
            let pageError = #expect(throws: StoreError.self) {
                try store.writeJobs(projectID: fixture.project.id, limit: 10, offset: 0, to: &written)
            }
            let readError = #expect(throws: StoreError.self) {
                try store.jobs(projectID: fixture.project.id, limit: 10, offset: 0)
            }
            #expect(pageError?.kind == .internal)
            #expect(pageError?.kind == readError?.kind)
            #expect(pageError?.message == readError?.message)
        }
    }
}
