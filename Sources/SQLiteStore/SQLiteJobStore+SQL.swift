import JobsCore
import SQLStore

extension SQLiteJobStore {
    /// Every statement of the shared store, with SQLite's dialect; each is prepared once per connection and found
    /// again by its query's identity.
    public static let statements = SQLStatements<SQLiteQuery>(dialect: dialect, make: SQLiteQuery.init)

    /// The claim's `?5`: a JSON array of the action names, read with `json_each`.
    public static func actionList(_ actions: [JobAction]) -> SQLValue {
        var names = JSONWriter()
        names.raw("[")
        for (index, action) in actions.enumerated() {
            if index > 0 { names.raw(",") }
            names.string(action.rawValue)
        }
        names.raw("]")
        return .text(names.text)
    }

    /// The statements whose SQLite text differs from PostgreSQL's.
    static let dialect = SQLDialect(
        // A page starts after position `position_base + ?3`. SQLite turns an integer sum that overflows into a
        // real, which no position exceeds: a page far past the end is empty, not an error.
        jobsPage: """
            SELECT \(SQLStatements<SQLiteQuery>.jobColumns) FROM jobs
            WHERE project_id = ?1 AND position > (SELECT position_base FROM projects WHERE id = ?1) + ?3
            ORDER BY position LIMIT ?2
            """,
        // The user's jobs (`jobs_by_reference`, named: the status test must not lead the planner to the far
        // longer range of `jobs_by_status`), then their action and status from the rows.
        activeJobID: """
            SELECT id FROM jobs INDEXED BY jobs_by_reference
            WHERE project_id = ?1 AND reference_id = ?3 AND action = ?2
                AND (status = 'scheduled' OR status = 'running')
            """,
        // The write lock is taken before the candidates are read, so two claims never pick the same job. Three
        // kinds of candidate, merged oldest `start_at` first (then id), each read from a partial index: due
        // `scheduled` jobs (`jobs_due`, in order, so the merge stops at the limit), `running` jobs whose lease
        // expired (`jobs_leased`), and `running` jobs without a lease (`jobs_leased`, `NULL` entries). Separate
        // branches rather than `OR`: SQLite searches each index range instead of scanning the index. A
        // taken-over job keeps its `updated_at`: its status does not change.
        claimDueJobs: """
            UPDATE jobs SET
                status = 'running',
                updated_at = CASE WHEN status = 'scheduled' THEN ?2 ELSE updated_at END,
                lease_owner = ?1,
                lease_expires_at = ?3
            WHERE id IN (
                SELECT id FROM (
                    SELECT id, start_at FROM jobs
                    WHERE status = 'scheduled' AND start_at <= ?2 AND action IN (SELECT value FROM json_each(?5))
                    UNION ALL
                    SELECT id, start_at FROM jobs
                    WHERE status = 'running' AND lease_expires_at < ?2
                        AND action IN (SELECT value FROM json_each(?5))
                    UNION ALL
                    SELECT id, start_at FROM jobs
                    WHERE status = 'running' AND lease_expires_at IS NULL
                        AND action IN (SELECT value FROM json_each(?5))
                    ORDER BY start_at, id
                    LIMIT ?4))
            RETURNING \(SQLStatements<SQLiteQuery>.jobColumns),
                (SELECT project_key FROM projects WHERE projects.id = jobs.project_id)
            """,
        endRotatedKey: """
            UPDATE api_keys SET
                revoked_at = CASE WHEN ?3 IS NULL THEN ?2 ELSE revoked_at END,
                expires_at = CASE WHEN ?3 IS NULL THEN expires_at ELSE min(coalesce(expires_at, ?3), ?3) END
            WHERE id = ?1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?2)
            RETURNING \(SQLStatements<SQLiteQuery>.apiKeyColumns)
            """,
        projects: """
            SELECT \(SQLStatements<SQLiteQuery>.projectColumns) FROM projects WHERE ?1 IS NULL OR org_id = ?1
            ORDER BY id
            """,
        // One range of `jobs_by_status` per status after id `?2`, each read in id order up to the limit (a status
        // other than `?3`, when given, reads nothing), merged.
        jobsAfter: JobStatus.allCases.map { status in
            """
            SELECT \(SQLStatements<SQLiteQuery>.jobColumns) FROM (
                SELECT \(SQLStatements<SQLiteQuery>.jobColumns) FROM jobs
                WHERE project_id = ?1 AND status = '\(status.rawValue)' AND id > ?2
                    AND (?3 IS NULL OR ?3 = '\(status.rawValue)')
                ORDER BY id LIMIT ?4
            ) AS \(status.rawValue)
            """
        }.joined(separator: "\nUNION ALL\n") + "\nORDER BY id LIMIT ?4",
        purgeCount: """
            SELECT count(*) FROM jobs
            WHERE (status = 'completed' OR status = 'failed' OR status = 'cancelled')
                AND coalesce(updated_at, created_at) < ?1
            """,
        // One pass over `jobs_by_status` (docs/MONITORING.md).
        jobsByStatus: "SELECT status, count(*) FROM jobs GROUP BY status")

    /// The statements only the SQLite store runs: its schema version and its purge.
    enum SQL {
        static let schemaVersion = SQLiteQuery("PRAGMA user_version")
        /// Purge, per project: up to `?3` finished jobs ended before `?2`, lowest ids (so lowest positions) first,
        /// as id and position: the three finished statuses' ranges of `jobs_by_status`, each read in id order up
        /// to the limit, merged. A job imported finished without an `updated_at` ended, as far as anyone knows,
        /// when it was created.
        static let purgeCandidates = SQLiteQuery(
            ["completed", "failed", "cancelled"].map { status in
                """
                SELECT id, position FROM (
                    SELECT id, position FROM jobs
                    WHERE project_id = ?1 AND status = '\(status)' AND coalesce(updated_at, created_at) < ?2
                    ORDER BY id LIMIT ?3
                ) AS \(status)
                """
            }.joined(separator: "\nUNION ALL\n") + "\nORDER BY id LIMIT ?3")
        /// Exactly the candidates up to id `?3`: every finished job ended before `?2` at or below it.
        static let purgeDelete = SQLiteQuery(
            """
                DELETE FROM jobs
                WHERE project_id = ?1 AND status IN ('completed', 'failed', 'cancelled') AND id <= ?3
                    AND coalesce(updated_at, created_at) < ?2
                RETURNING id
                """)
        /// The jobs that stayed at or below the highest deleted position `?2`, highest first.
        static let purgeSurvivors = SQLiteQuery(
            """
                SELECT id, position FROM jobs WHERE project_id = ?1 AND position <= ?2 ORDER BY position DESC
                """)
        static let moveJob = SQLiteQuery("UPDATE jobs SET position = ?2 WHERE id = ?1")
        static let setPositionBase = SQLiteQuery("UPDATE projects SET position_base = ?2 WHERE id = ?1")
    }
}
