import Foundation
import JobsCore
import Synchronization
import Testing

@testable import SQLiteStore

/// The log must restart even while readers never stop (`SQLiteConnection.restartFrames`): passive checkpoints
/// alone copied the frames but never found the log unused, and it grew without bound.
@Suite("Writes: the log restarts under steady reads")
struct LogRestartTests {
    @Test("3,000 writes while four threads read without pause leave the log near its restart size")
    func restartsUnderSteadyReads() throws {
        try StoreFixture.with { fixture in
            let stop = Atomic<Bool>(false)
            let reads = Atomic<Int>(0)
            let readers = (0..<4).map { _ in
                Thread { [connector = fixture.connector, projectID = fixture.project.id] in
                    guard let store = try? connector.connect() else { return }
                    while !stop.load(ordering: .relaxed) {
                        _ = try? store.jobs(projectID: projectID, limit: 20, offset: 0)
                        reads.add(1, ordering: .relaxed)
                    }
                }
            }
            readers.forEach { $0.start() }
            defer { stop.store(true, ordering: .relaxed) }

            let store = try fixture.connector.connect()
            for index in 0..<3000 {
                _ = try store.createJob(
                    .deleteUserData(userID: "user-\(index)", createdAt: 1, startAt: 2), projectID: fixture.project.id)
            }
            stop.store(true, ordering: .relaxed)
            #expect(reads.load(ordering: .relaxed) > 0)

            let pageSize = try #require(Int(fixture.admin.connection.executeForText("PRAGMA page_size") ?? ""))
            let logSize = try #require(
                FileManager.default.attributesOfItem(atPath: fixture.path + "-wal")[.size] as? Int)
            // Frames are a page and a 24-byte head. The log may reach the restart size plus what one round of
            // checkpoints lets through before the next writer starts it over.
            let frames = Int(SQLiteConnection.restartFrames) + 2 * Int(SQLiteConnection.checkpointFrames)
            #expect(logSize <= frames * (pageSize + 24) + 32, "log of \(logSize) bytes")
        }
    }
}
