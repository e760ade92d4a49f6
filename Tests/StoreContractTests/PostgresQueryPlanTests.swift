import JobsCore
import JobsTesting
import Testing
@testable import PostgresStore

/// The PostgreSQL store's statements can be answered from its indexes, in order, without reading the table or
/// sorting it. On a test-sized table the planner prefers a sequential scan, so these plans are asked for with
/// `enable_seqscan = off`: what they show is that a fitting index exists and the statement can use it.
@Suite("PostgreSQL query plans")
struct PostgresQueryPlanTests {
    /// Each statement with its parameter types and values, and what its plan must contain and must not.
    static let statements: [(name: String, sql: String, types: String, values: String, uses: [String])] = [
        ("list page", PostgresJobStore.statements.jobsPage, "bigint, bigint, bigint", "1, 100, 1000",
         ["Index Scan using jobs_position"]),
        ("reference page", PostgresJobStore.statements.jobsOfReference,
         "bigint, text, text, text, text, text, text, bigint, bigint",
         "1, 'alice', 'scheduled', 'running', NULL, NULL, NULL, 50, 0", ["Index Scan using jobs_by_reference"]),
        ("status page", PostgresJobStore.statements.jobsOfStatus, "bigint, text, bigint, bigint",
         "1, 'scheduled', 50, 0", ["Index Scan using jobs_by_status"]),
        ("several statuses page", PostgresJobStore.statements.jobsOfStatuses,
         "bigint, text, text, text, text, text, bigint, bigint, bigint",
         "1, 'scheduled', 'failed', NULL, NULL, NULL, 50, 50, 0", ["Index Scan using jobs_by_status", "Merge Append"]),
        ("claim", PostgresJobStore.statements.claimDueJobs, "text, bigint, bigint, bigint, text[]",
         "'w', 5000, 9000, 10, '{delete_user_data}'", ["Index Scan using jobs_due", "jobs_leased"]),
        // On an empty table any index on id or project fits the planner; on a real one it takes the primary key.
        ("get", PostgresJobStore.statements.jobInProject, "bigint, bigint", "1, 1", ["Index Scan"]),
        ("cancel", PostgresJobStore.statements.cancelJob, "bigint, bigint, bigint", "1, 1, 5", ["Index Scan"]),
        ("key", PostgresJobStore.statements.principal, "bytea, bigint", "'\\x00', 5", ["api_keys_key_hash_key"]),
        ("request lookup", PostgresJobStore.statements.requestLookup, "bytea, text, bigint, bigint", "'\\x00', 'k', 1, 5",
         ["api_keys_key_hash_key", "projects_project_key_key", "jobs_pkey"]),
        ("purge batch", PostgresJobStore.SQL.purgeDelete, "bigint, bigint, bigint", "1, 100, 10",
         ["jobs_position"]),
        // A job imported finished without updated_at is found by its created_at, in the same index.
        ("purge any", PostgresJobStore.SQL.purgeAny, "bigint, bigint", "1, 100", ["jobs_finished"]),
        ("purge count", PostgresJobStore.statements.purgeCount, "bigint", "100", ["jobs_finished"]),
        ("due now", PostgresJobStore.statements.dueJobs, "bigint", "100", ["jobs_due"]),
        ("expired leases", PostgresJobStore.statements.expiredLeases, "bigint", "100", ["jobs_leased"]),
    ]

    @Test("each statement reads an index, never the whole jobs table", arguments: statements)
    func plan(statement: (name: String, sql: String, types: String, values: String, uses: [String])) throws {
        let database = try PostgresServer.shared().createDatabase()
        let store = try PostgresConnector(url: database.url).open()
        try store.migrate()
        try store.connection.executeScript("SET enable_seqscan = off")
        let types = statement.types.isEmpty ? "" : "(\(statement.types))"
        let values = statement.values.isEmpty ? "" : "(\(statement.values))"
        try store.connection.executeScript("PREPARE planned\(types) AS \(statement.sql)")
        let plan = try store.connection.rows("EXPLAIN (COSTS OFF) EXECUTE planned\(values)") {
            $0.text(at: 0)
        }.joined(separator: "\n")
        for expected in statement.uses {
            #expect(plan.contains(expected), "\(statement.name):\n\(plan)")
        }
        #expect(!plan.contains("Seq Scan on jobs"), "\(statement.name):\n\(plan)")
        if ["list page", "reference page", "status page"].contains(statement.name) {
            #expect(!plan.contains("Sort"), "a page comes in index order:\n\(plan)")
        }
    }
}
