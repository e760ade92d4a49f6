import Foundation
import JobsCore
import JobsTesting
import Testing


@Suite("Store contract: Concurrent connections")
struct ContractConcurrencyTests {
    static let threads = 8

    @Test("of 8 threads cancelling one job, exactly one cancels it and the rest are told it is not cancellable", arguments: StoreKind.allCases)
    func concurrentCancels(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            let job = try fixture.insertJob(userID: "nora", status: .running)
            let connector = fixture.connector
            let projectID = fixture.project.id
            let results = concurrently(threads: Self.threads) { startLine in
                let store = Result { try connector.connect() }
                startLine.arriveAndWait()
                return Result { try store.get().cancelJob(id: job.id, projectID: projectID, at: 99) }
            }
            let outcomes = try results.map { try $0.get() }
            let cancelled = outcomes.compactMap { outcome -> Job? in
                if case .cancelled(let job) = outcome { return job }
                return nil
            }
            #expect(cancelled.count == 1)
            #expect(cancelled.first?.status == .cancelled)
            for outcome in outcomes {
                switch outcome {
                case .cancelled: continue
                case .notCancellable(let seen): #expect(seen == cancelled.first)
                case .notFound: Issue.record("a cancel did not find the job")
                }
            }
        }
    }

    @Test("of 8 threads creating a job for one user, exactly one creates it; the rest point to it", arguments: StoreKind.allCases)
    func concurrentCreates(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            let connector = fixture.connector
            let projectID = fixture.project.id
            let results = concurrently(threads: Self.threads) { startLine in
                let store = Result { try connector.connect() }
                startLine.arriveAndWait()
                return Result {
                    try store.get().createJob(
                        .deleteUserData(userID: "olga@example.com", createdAt: 1, startAt: 2), projectID: projectID)
                }
            }
            let outcomes = try results.map { try $0.get() }
            let created = outcomes.compactMap { outcome -> Job? in
                if case .created(let job) = outcome { return job }
                return nil
            }
            #expect(created.count == 1)
            let id = try #require(created.first?.id)
            #expect(outcomes.filter { $0 == .conflict(existingJobID: id) }.count == Self.threads - 1)
            #expect(try fixture.admin.jobs(projectID: projectID, status: nil, afterID: 0, limit: 100).count == 1)
        }
    }

    @Test("connections on several threads read and write side by side without errors", arguments: StoreKind.allCases)
    func mixedLoad(kind: StoreKind) throws {
        try ContractFixture.with(kind) { fixture in
            let connector = fixture.connector
            let projectID = fixture.project.id
            let results = concurrently(threads: Self.threads) { startLine in
                let store = Result { try connector.connect() }
                startLine.arriveAndWait()
                return Result { () throws -> Int in
                    let store = try store.get()
                    var created = 0
                    for round in 0..<25 {
                        let userID = "user-\(round % 5)"
                        if case .created(let job) = try store.createJob(
                            .deleteUserData(userID: userID, createdAt: 1, startAt: 2), projectID: projectID)
                        {
                            created += 1
                            _ = try store.cancelJob(id: job.id, projectID: projectID, at: 3)
                        }
                        _ = try store.jobs(projectID: projectID, limit: 50, offset: 0)
                    }
                    return created
                }
            }
            let created = try results.map { try $0.get() }.reduce(0, +)
            let stored = try fixture.admin.jobs(projectID: projectID, status: nil, afterID: 0, limit: 10_000)
            #expect(stored.count == created)
            #expect(stored.allSatisfy { $0.status == .cancelled })
        }
    }
}
