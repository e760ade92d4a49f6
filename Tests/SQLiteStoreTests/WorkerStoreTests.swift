import JobsCore
import Testing

@testable import SQLiteStore

/// How SQLite runs a worker's statements. What the statements do is the store contract suite's business
/// (Tests/StoreContractTests/WorkerStoreTests.swift runs it on SQLite and PostgreSQL).
@Suite("Workers: the plans of claiming and of the fenced writes")
struct SQLiteWorkerStoreTests {
    @Test("a claim reads due jobs in order from jobs_due and leases from jobs_leased, never scanning jobs")
    func claimQueryPlan() throws {
        try StoreFixture.with { fixture in
            let rows = try fixture.admin.connection.rows("EXPLAIN QUERY PLAN " + SQLiteJobStore.statements.claimDueJobs.text) {
                (id: $0.int64(at: 0), parent: $0.int64(at: 1), detail: $0.text(at: 3))
            }
            let details = rows.map(\.detail)
            let due = try #require(
                rows.first { $0.detail.contains("SEARCH jobs USING INDEX jobs_due (start_at<?)") }, "\(details)")
            for expected in ["jobs_leased (lease_expires_at<?)", "jobs_leased (lease_expires_at=?)"] {
                #expect(details.contains { $0.contains("SEARCH jobs USING INDEX " + expected) }, "\(details)")
            }
            #expect(!details.contains { $0.hasPrefix("SCAN jobs") }, "\(details)")
            // The due jobs, possibly many, come in start order from the index: their branch sorts nothing, so the
            // merge stops reading them at the limit.
            #expect(!rows.contains { $0.parent == due.parent && $0.detail.contains("TEMP B-TREE") }, "\(details)")
        }
    }

    /// The fenced writes of a worker on one job.
    static let fencedWrites: [(name: String, sql: String)] = [
        ("renew", SQLiteJobStore.statements.renewLease.text),
        ("finish", SQLiteJobStore.statements.finishJob.text),
        ("release", SQLiteJobStore.statements.releaseLease.text),
    ]

    @Test("renewing, finishing and releasing find the job by its id", arguments: fencedWrites)
    func fencedWritePlans(write: (name: String, sql: String)) throws {
        try StoreFixture.with { fixture in
            let details = try fixture.admin.connection.rows("EXPLAIN QUERY PLAN " + write.sql) { $0.text(at: 3) }
            #expect(details == ["SEARCH jobs USING INTEGER PRIMARY KEY (rowid=?)"], "\(write.name)")
        }
    }
}
