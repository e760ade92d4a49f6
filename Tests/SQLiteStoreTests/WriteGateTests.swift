import Foundation
import JobsCore
import JobsTesting
import Testing

@testable import SQLiteStore

/// The in-process write gate: the threads of one connector queue for each other instead of meeting SQLite's
/// busy handler, while writers through another connector (another process, as far as SQLite can tell) are
/// still ordered by the busy timeout.
@Suite("Concurrent connections: the in-process write gate")
struct WriteGateTests {
    static let threads = 8
    static let jobsPerThread = 20

    /// Creates `jobsPerThread` jobs through `store`, each for its own user, and cancels each right away: an
    /// `IMMEDIATE` transaction and an autocommit `UPDATE … RETURNING` per job. Returns how many it cancelled.
    static func createAndCancel(on store: any JobStore, thread: Int, projectID: Int64) throws -> Int {
        var cancelled = 0
        for index in 0..<jobsPerThread {
            let job = NewJob.deleteUserData(userID: "user-\(thread)-\(index)", createdAt: 1, startAt: 2)
            guard case .created(let created) = try store.createJob(job, projectID: projectID) else {
                throw StoreError(.internal, "job \(index) of thread \(thread) was not created")
            }
            if case .cancelled = try store.cancelJob(id: created.id, projectID: projectID, at: 3) { cancelled += 1 }
        }
        return cancelled
    }

    @Test("threads of one connector all write at once with a busy timeout of 0 ms: none is refused as busy")
    func oneConnectorNoBusyTimeout() throws {
        // Without the gate, a busy timeout of 0 makes SQLite refuse every write that meets another at once.
        try StoreFixture.with(options: .init(busyTimeoutMilliseconds: 0)) { fixture in
            let connector = fixture.connector
            let projectID = fixture.project.id
            let numbers = ThreadNumbers()
            let results = concurrently(threads: Self.threads) { startLine in
                let store = Result { try connector.connect() }
                startLine.arriveAndWait()
                return Result {
                    try Self.createAndCancel(on: store.get(), thread: numbers.next(), projectID: projectID)
                }
            }
            let cancelled = try results.map { try $0.get() }
            #expect(cancelled == Array(repeating: Self.jobsPerThread, count: Self.threads))
            let jobs = try fixture.admin.jobs(projectID: projectID, status: .cancelled, afterID: 0, limit: 1000)
            #expect(jobs.count == Self.threads * Self.jobsPerThread)
        }
    }

    @Test("threads of two connectors to one file write at once: the busy timeout orders the connectors")
    func twoConnectors() throws {
        try StoreFixture.with { fixture in
            // A second connector has a gate of its own: to SQLite its connections are another process's.
            let connectors = [fixture.connector, SQLiteConnector(path: fixture.path)]
            let projectID = fixture.project.id
            let numbers = ThreadNumbers()
            let results = concurrently(threads: Self.threads) { startLine in
                let thread = numbers.next()
                let store = Result { try connectors[thread % 2].connect() }
                startLine.arriveAndWait()
                return Result { try Self.createAndCancel(on: store.get(), thread: thread, projectID: projectID) }
            }
            let cancelled = try results.map { try $0.get() }
            #expect(cancelled == Array(repeating: Self.jobsPerThread, count: Self.threads))
        }
    }
}

/// Gives each thread of a test its own number, 0 up.
private final class ThreadNumbers: @unchecked Sendable {
    // Safe to share: `issued` is only touched with `lock` held.
    private let lock = NSLock()
    private var issued = 0

    func next() -> Int {
        lock.lock()
        defer { lock.unlock() }
        issued += 1
        return issued - 1
    }
}
