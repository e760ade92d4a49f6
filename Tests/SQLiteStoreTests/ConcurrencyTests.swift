import Foundation
import JobsCore
import Testing

@testable import SQLiteStore

/// SQLite's own side of concurrency: the busy timeout. Racing cancels, creations and mixed load are in the store
/// contract suite (Tests/StoreContractTests/ConcurrencyTests.swift), on SQLite and PostgreSQL.
@Suite("Concurrent connections: the busy timeout")
struct SQLiteConcurrencyTests {
    @Test("while another connection holds the write lock past the busy timeout, writes fail as unavailable")
    func busyStore() throws {
        try StoreFixture.with(options: .init(busyTimeoutMilliseconds: 50)) { fixture in
            let job = try fixture.insertJob(userID: "pat")
            let store = try fixture.connector.connect()
            try fixture.admin.connection.run("BEGIN IMMEDIATE")

            let started = Date()
            let createError = #expect(throws: StoreError.self) {
                try store.createJob(
                    .deleteUserData(userID: "quinn", createdAt: 1, startAt: 2), projectID: job.projectID)
            }
            #expect(createError?.kind == .unavailable)
            #expect(createError?.message.contains("SQLITE_BUSY") == true)
            #expect(Date().timeIntervalSince(started) >= 0.04, "waited for the busy timeout first")
            let cancelError = #expect(throws: StoreError.self) {
                try store.cancelJob(id: job.id, projectID: job.projectID, at: 5)
            }
            #expect(cancelError?.kind == .unavailable)

            // Readers are not blocked by the writer in WAL mode.
            #expect(try store.job(id: job.id, projectID: job.projectID) == job)

            try fixture.admin.connection.run("ROLLBACK")
            // Once the lock is gone the same connection writes again: nothing was left half-done.
            guard case .created = try store.createJob(
                .deleteUserData(userID: "quinn", createdAt: 1, startAt: 2), projectID: job.projectID)
            else {
                Issue.record("not created after the lock was released")
                return
            }
            #expect(try store.cancelJob(id: job.id, projectID: job.projectID, at: 6) != .notFound)
        }
    }
}
