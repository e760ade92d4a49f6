import CSQLite3
import Foundation
import JobsCore
import Testing

@testable import SQLiteStore

/// Group commit and checkpoints outside the commit (`SQLiteLogSync`, `SQLiteConnection+Log.swift`).
@Suite("Writes: group commit and checkpoints")
struct LogSyncTests {
    @Test("with synchronous FULL every write operation syncs the log before it returns; reads do not")
    func fullSyncsEachWrite() throws {
        try StoreFixture.with { fixture in
            let store = try fixture.connector.connect()
            let sync = fixture.connector.logSync
            let before = sync.syncCount
            guard case .created(let job) = try store.createJob(
                .deleteUserData(userID: "ada", createdAt: 1, startAt: 2), projectID: fixture.project.id)
            else {
                Issue.record("not created")
                return
            }
            #expect(sync.syncCount == before + 1)
            #expect(try store.job(id: job.id, projectID: fixture.project.id) == job)
            #expect(sync.syncCount == before + 1, "a read syncs nothing")
            // A cancel that changes nothing answers from what it read: synced as well.
            #expect(try store.cancelJob(id: job.id, projectID: fixture.project.id, at: 3) != .notFound)
            #expect(try store.cancelJob(id: job.id, projectID: fixture.project.id, at: 4) != .notFound)
            #expect(sync.syncCount == before + 3)
        }
    }

    @Test("with synchronous NORMAL nothing syncs the log on a write")
    func normalSyncsNothing() throws {
        try StoreFixture.with(options: .init(synchronous: .normal)) { fixture in
            let store = try fixture.connector.connect()
            _ = try store.createJob(
                .deleteUserData(userID: "ada", createdAt: 1, startAt: 2), projectID: fixture.project.id)
            #expect(fixture.connector.logSync.syncCount == 0)
        }
    }

    @Test("a log that cannot be synced fails the operation as unavailable, and the next sync runs again")
    func failedSync() throws {
        let sync = SQLiteLogSync()
        // Not a directory on the way: open fails with ENOTDIR, as an unreachable disk would fail the sync.
        let error = #expect(throws: SQLiteError.self) { try sync.syncLog(atPath: "/dev/null/jobs.sqlite3-wal") }
        #expect(error?.code == CSQLITE3_IOERR_FSYNC)
        #expect(error?.storeError(while: "cancelling job 1").kind == .unavailable)
        #expect(sync.syncCount == 0)
        // A missing log is nothing to sync (SQLite removes it only once checkpointed); the failure left no
        // sync marked as running, or this would wait forever.
        try sync.syncLog(atPath: "/nonexistent-\(UInt64.random(in: 0...UInt64.max))-wal")
        #expect(sync.syncCount == 1)
    }

    @Test("writes checkpoint the log once it passes 1000 frames: it stops growing", arguments: [
        SQLiteOptions.Synchronous.full, .normal,
    ])
    func checkpoints(synchronous: SQLiteOptions.Synchronous) throws {
        try StoreFixture.with(options: .init(synchronous: synchronous)) { fixture in
            let store = try fixture.connector.connect()
            // Each job writes several pages (the row and its indexes): thousands of frames without checkpoints.
            for index in 0..<1500 {
                _ = try store.createJob(
                    .deleteUserData(userID: "user-\(index)", createdAt: 1, startAt: 2), projectID: fixture.project.id)
            }
            let pageSize = try #require(Int(fixture.admin.connection.executeForText("PRAGMA page_size") ?? ""))
            let logSize = try #require(
                FileManager.default.attributesOfItem(atPath: fixture.path + "-wal")[.size] as? Int)
            // A log restarts from its beginning after a complete checkpoint; frames are a page and a 24-byte head.
            let bound = (Int(SQLiteConnection.checkpointFrames) + 100) * (pageSize + 24) + 32
            #expect(logSize <= bound, "log of \(logSize) bytes")
            #expect(try fixture.admin.jobs(projectID: fixture.project.id, status: nil, afterID: 0, limit: 2000).count
                == 1500)
        }
    }
}
