import SQLStore

extension PostgresJobStore {
    /// Every statement of the shared store, with PostgreSQL's dialect and its `$1`-style parameters; each is
    /// prepared once per session.
    public static let statements = SQLStatements<String>(dialect: dialect, make: dollarParameters)

    /// `sql` with each `?` (a parameter in the shared texts; they hold no other) spelled `$`, as PostgreSQL does.
    static func dollarParameters(_ sql: String) -> String {
        String(sql.map { $0 == "?" ? "$" : $0 })
    }

    /// The statements whose PostgreSQL text differs from SQLite's. Parameters whose type nothing else in the
    /// statement fixes are cast.
    static let dialect = SQLDialect(
        // `LEAST` keeps `position_base + offset` from overflowing (an offset that large is past the end anyway);
        // a missing project gives no rows.
        jobsPage: """
            SELECT \(SQLStatements<String>.jobColumns) FROM jobs
            WHERE project_id = ?1 AND position > (
                SELECT position_base + LEAST(?3::bigint, 9223372036854775807 - position_base)
                FROM projects WHERE id = ?1)
            ORDER BY position LIMIT ?2
            """,
        activeJobID: """
            SELECT id FROM jobs
            WHERE project_id = ?1 AND action = ?2 AND reference_id = ?3 AND status IN ('scheduled', 'running')
            """,
        // `FOR UPDATE SKIP LOCKED` passes over rows another claim is locking, so concurrent claims never wait for
        // each other and never pick the same job; a row locked after a concurrent change is re-checked against
        // the condition. Two branches, each in its partial index (`jobs_due`, `jobs_leased`): due `scheduled`
        // jobs, and `running` jobs whose lease expired or that have none. A taken-over job keeps its
        // `updated_at`: its status does not change.
        claimDueJobs: """
            WITH due AS (
                SELECT id, start_at FROM jobs
                WHERE status = 'scheduled' AND start_at <= ?2 AND action = ANY(?5::text[])
                ORDER BY start_at, id LIMIT ?4 FOR UPDATE SKIP LOCKED
            ), abandoned AS (
                SELECT id, start_at FROM jobs
                WHERE status = 'running' AND (lease_expires_at < ?2 OR lease_expires_at IS NULL)
                    AND action = ANY(?5::text[])
                ORDER BY start_at, id LIMIT ?4 FOR UPDATE SKIP LOCKED
            ), chosen AS (
                SELECT id FROM (SELECT id, start_at FROM due UNION ALL SELECT id, start_at FROM abandoned) candidates
                ORDER BY start_at, id LIMIT ?4
            )
            UPDATE jobs SET
                status = 'running',
                updated_at = CASE WHEN jobs.status = 'scheduled' THEN ?2 ELSE jobs.updated_at END,
                lease_owner = ?1,
                lease_expires_at = ?3
            FROM chosen WHERE jobs.id = chosen.id
            RETURNING jobs.id, jobs.description, jobs.status, jobs.project_id, jobs.action, jobs.reference_id,
                jobs.created_at, jobs.updated_at, jobs.start_at, jobs.errors,
                (SELECT project_key FROM projects WHERE projects.id = jobs.project_id)
            """,
        // `least` passes over a `NULL`.
        endRotatedKey: """
            UPDATE api_keys SET
                revoked_at = CASE WHEN ?3::bigint IS NULL THEN ?2::bigint ELSE revoked_at END,
                expires_at = CASE WHEN ?3::bigint IS NULL THEN expires_at ELSE least(expires_at, ?3::bigint) END
            WHERE id = ?1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?2::bigint)
            RETURNING \(SQLStatements<String>.apiKeyColumns)
            """,
        projects: """
            SELECT \(SQLStatements<String>.projectColumns) FROM projects
            WHERE ?1::bigint IS NULL OR org_id = ?1::bigint ORDER BY id
            """,
        jobsAfter: """
            SELECT \(SQLStatements<String>.jobColumns) FROM jobs
            WHERE project_id = ?1 AND id > ?2 AND (?3::text IS NULL OR status = ?3::text)
            ORDER BY id LIMIT ?4
            """,
        purgeCount: """
            SELECT count(*) FROM jobs
            WHERE status IN ('completed', 'failed', 'cancelled') AND coalesce(updated_at, created_at) < ?1
            """,
        // One pass over the table (see the SQLite dialect).
        jobsByStatus: "SELECT status, count(*) FROM jobs GROUP BY status")

    /// The statements only the PostgreSQL store runs: its schema version and its purge.
    enum SQL {
        static let versionTableExists = "SELECT to_regclass('schema_version') IS NOT NULL"
        static let schemaVersion = "SELECT coalesce(max(version), 0) FROM schema_version"
        static let recordVersion = "INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)"
        static let migrationLock = "SELECT pg_advisory_xact_lock($1)"
    }
}
