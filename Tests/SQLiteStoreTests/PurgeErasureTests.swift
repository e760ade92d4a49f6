import Foundation
import JobsCore
import Testing

@testable import SQLiteStore

/// A purge really erases: afterwards no store file (the database, its `-wal`) holds a purged user id, in any
/// form the store wrote it (reference id, description), while jobs that stay are still there.
@Suite("SQLite: a purge leaves no purged user id in the store's files")
struct PurgeErasureTests {
    /// Every file of the store: the database and its log.
    static func storeBytes(_ path: String) -> Data {
        var bytes = Data()
        for file in [path, path + "-wal"] {
            if let data = FileManager.default.contents(atPath: file) { bytes.append(data) }
        }
        return bytes
    }

    static func contains(_ bytes: Data, _ text: String) -> Bool {
        bytes.range(of: Data(text.utf8)) != nil
    }

    @Test func purgedUserIDsAreGoneFromTheDatabaseAndItsLog() throws {
        try StoreFixture.with { fixture in
            let tag = UInt64.random(in: 1_000_000...9_999_999)
            let purged = (1...3).map { "purged-\(tag)-\($0)@example.com" }
            let cancelled = "cancelled-\(tag)@example.com"
            let kept = "kept-\(tag)@example.com"
            for userID in purged { try fixture.insertJob(userID: userID, status: .completed) }
            // A job written twice (created, then cancelled): the older version of its row must go too.
            let toCancel = try fixture.insertJob(userID: cancelled)
            let api = try fixture.connector.connect()
            guard case .cancelled = try api.cancelJob(id: toCancel.id, projectID: fixture.project.id, at: StoreFixture.now + 1)
            else {
                Issue.record("the job was not cancelled")
                return
            }
            try fixture.insertJob(userID: kept)

            // The check can fail: before the purge, the files hold every id.
            let before = Self.storeBytes(fixture.path)
            for userID in purged + [cancelled, kept] {
                #expect(Self.contains(before, userID), "\(userID) is not in the files before the purge")
            }

            #expect(try fixture.admin.purgeFinishedJobs(before: StoreFixture.now + 10, limit: 1000) == 4)
            #expect(try fixture.admin.eraseDeletedData() == true)

            let after = Self.storeBytes(fixture.path)
            for userID in purged + [cancelled] {
                #expect(!Self.contains(after, userID), "\(userID) is still in the store's files after the purge")
            }
            #expect(Self.contains(after, kept), "the job that stays is no longer in the files")
            let log: Int = (try? FileManager.default.attributesOfItem(atPath: fixture.path + "-wal")[.size] as? Int) ?? 0
            #expect(log == 0, "the log still holds \(log) bytes")
        }
    }
}
