extension SQLiteJobStore {
    /// Every cached statement, in one place so tests can ask SQLite how it plans each query.
    enum SQL {
        /// The columns of a job, in the order ``SQLiteJobStore/decodeJob(_:)`` reads them.
        static let jobColumns =
            "id, description, status, project_id, action, reference_id, created_at, updated_at, start_at, errors"
        static let projectColumns = "id, org_id, project_key, name, created_at"
        static let apiKeyColumns = "id, org_id, hint, created_at, revoked_at, expires_at"

        // MARK: API

        /// A key authenticates at `?2` while it is not revoked and not past its expiry (a rotated key's grace).
        static let principal = SQLiteQuery(
            """
                SELECT id, org_id FROM api_keys
                WHERE key_hash = ?1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?2)
                """)
        static let projectInOrganization = SQLiteQuery(
            "SELECT \(projectColumns) FROM projects WHERE project_key = ?1 AND org_id = ?2")
        /// A page is one range of `jobs_by_position`: the project's jobs in id order hold the positions after
        /// its `position_base` with no gap, so skipping `?3` jobs means starting after position
        /// `position_base + ?3`. (SQLite turns an integer sum that overflows into a real, which no position
        /// exceeds: a page far past the end is empty, not an error.)
        static let jobsPage = SQLiteQuery(
            """
                SELECT \(jobColumns) FROM jobs
                WHERE project_id = ?1 AND position > (SELECT position_base FROM projects WHERE id = ?1) + ?3
                ORDER BY position LIMIT ?2
                """)
        static let jobInProject = SQLiteQuery("SELECT \(jobColumns) FROM jobs WHERE id = ?1 AND project_id = ?2")
        /// One statement, so that of many concurrent cancels exactly one finds the job still active. A cancelled
        /// job holds no lease: its worker's next renewal or finish finds it gone.
        static let cancelJob = SQLiteQuery(
            """
                UPDATE jobs SET status = 'cancelled', updated_at = ?3, lease_owner = NULL, lease_expires_at = NULL
                WHERE id = ?1 AND project_id = ?2 AND status IN ('scheduled', 'running')
                RETURNING \(jobColumns)
                """)
        /// The next position of project `?1`, taken in the insert's transaction (under the write lock).
        static let takePosition = SQLiteQuery(
            "UPDATE projects SET last_position = last_position + 1 WHERE id = ?1 RETURNING last_position")
        /// `?2` positions of project `?1` at once, for an import in one transaction: the last one comes back.
        static let takePositions = SQLiteQuery(
            "UPDATE projects SET last_position = last_position + ?2 WHERE id = ?1 RETURNING last_position")
        /// ``insertJob`` for an import, which needs only the id back.
        static let importJob = SQLiteQuery(
            """
                INSERT INTO jobs (description, status, project_id, action, reference_id, created_at, updated_at,
                    start_at, errors, position)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                RETURNING id
                """)
        static let insertJob = SQLiteQuery(
            """
                INSERT INTO jobs (description, status, project_id, action, reference_id, created_at, updated_at,
                    start_at, errors, position)
                VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
                RETURNING \(jobColumns)
                """)
        /// The condition repeats `jobs_one_active`'s own, so that SQLite can answer from that partial index.
        static let activeJobID = SQLiteQuery(
            """
                SELECT id FROM jobs
                WHERE project_id = ?1 AND action = ?2 AND reference_id = ?3
                    AND (status = 'scheduled' OR status = 'running')
                """)

        // MARK: Workers

        /// Claims up to `?4` due jobs for owner `?1` at time `?2` with a lease until `?3`, in one statement: the
        /// write lock is taken before the candidates are read, so two claims never pick the same job. Only jobs
        /// whose action is in `?5`, a JSON array of the worker's action names, are candidates.
        ///
        /// Three kinds of candidate, merged oldest `start_at` first (then id), each read from a partial index:
        /// due `scheduled` jobs (`jobs_due`, in order, so the merge stops at the limit), `running` jobs whose
        /// lease expired (`jobs_leased`), and `running` jobs without a lease (`jobs_leased`, `NULL` entries).
        /// Only the last two are sorted, and there are few of them: one per dead worker's job. Separate branches
        /// rather than `OR`: SQLite searches each index range instead of scanning the index. A taken-over job
        /// keeps its `updated_at`: its status does not change. `RETURNING` gives rows in no particular order.
        static let claimDueJobs = SQLiteQuery(
            """
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
                RETURNING \(jobColumns), (SELECT project_key FROM projects WHERE projects.id = jobs.project_id)
                """)
        /// Every write on a leased job is fenced on `status = 'running' AND lease_owner = ?2`.
        static let renewLease = SQLiteQuery(
            """
                UPDATE jobs SET lease_expires_at = ?3
                WHERE id = ?1 AND status = 'running' AND lease_owner = ?2
                RETURNING lease_expires_at
                """)
        static let finishJob = SQLiteQuery(
            """
                UPDATE jobs SET status = ?3, errors = ?4, updated_at = ?5, lease_owner = NULL, lease_expires_at = NULL
                WHERE id = ?1 AND status = 'running' AND lease_owner = ?2
                RETURNING \(jobColumns)
                """)
        /// A `running` job without a lease is claimable at once (see ``claimDueJobs``).
        static let releaseLease = SQLiteQuery(
            """
                UPDATE jobs SET lease_owner = NULL, lease_expires_at = NULL
                WHERE id = ?1 AND status = 'running' AND lease_owner = ?2
                RETURNING id
                """)

        // MARK: Administration

        static let schemaVersion = SQLiteQuery("PRAGMA user_version")
        static let insertOrganization = SQLiteQuery(
            "INSERT INTO organizations (name, created_at) VALUES (?1, ?2) RETURNING id, name, created_at")
        static let organization = SQLiteQuery("SELECT id, name, created_at FROM organizations WHERE id = ?1")
        static let organizations = SQLiteQuery("SELECT id, name, created_at FROM organizations ORDER BY id")
        static let insertAPIKey = SQLiteQuery(
            """
                INSERT INTO api_keys (org_id, key_hash, hint, created_at) VALUES (?1, ?2, ?3, ?4)
                RETURNING \(apiKeyColumns)
                """)
        static let apiKeys = SQLiteQuery("SELECT \(apiKeyColumns) FROM api_keys WHERE org_id = ?1 ORDER BY id")
        static let apiKey = SQLiteQuery("SELECT \(apiKeyColumns) FROM api_keys WHERE id = ?1")
        /// Only a key not revoked yet changes: a revoked key keeps its first revocation time.
        static let revokeAPIKey = SQLiteQuery(
            """
                UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL
                RETURNING \(apiKeyColumns)
                """)
        /// The old key of a rotation, if it is active at `?2`: revoked at `?2` when `?3` is `NULL`, else expiring
        /// at `?3` or at the earlier expiry it had.
        static let endRotatedKey = SQLiteQuery(
            """
                UPDATE api_keys SET
                    revoked_at = CASE WHEN ?3 IS NULL THEN ?2 ELSE revoked_at END,
                    expires_at = CASE WHEN ?3 IS NULL THEN expires_at ELSE min(coalesce(expires_at, ?3), ?3) END
                WHERE id = ?1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?2)
                RETURNING \(apiKeyColumns)
                """)
        static let insertProject = SQLiteQuery(
            """
                INSERT INTO projects (org_id, project_key, name, created_at) VALUES (?1, ?2, ?3, ?4)
                RETURNING \(projectColumns)
                """)
        static let project = SQLiteQuery("SELECT \(projectColumns) FROM projects WHERE project_key = ?1")
        static let projectByID = SQLiteQuery("SELECT \(projectColumns) FROM projects WHERE id = ?1")
        /// Every project, or those of organization `?1`, in id order.
        static let projects = SQLiteQuery(
            "SELECT \(projectColumns) FROM projects WHERE ?1 IS NULL OR org_id = ?1 ORDER BY id")
        static let job = SQLiteQuery("SELECT \(jobColumns) FROM jobs WHERE id = ?1")
        /// Purge, per project: the finished jobs ended before `?2`, lowest positions first (`jobs_finished`, whose
        /// condition the status test repeats). A job imported finished without an `updated_at` ended, as far as
        /// anyone knows, when it was created; the index holds both times, so the test reads no table row.
        static let purgeCandidates = SQLiteQuery(
            """
                SELECT position FROM jobs
                WHERE project_id = ?1 AND (status = 'completed' OR status = 'failed' OR status = 'cancelled')
                    AND coalesce(updated_at, created_at) < ?2
                ORDER BY position LIMIT ?3
                """)
        /// Exactly the candidates up to position `?3`: every finished job ended before `?2` at or below it.
        static let purgeDelete = SQLiteQuery(
            """
                DELETE FROM jobs
                WHERE project_id = ?1 AND position <= ?3
                    AND (status = 'completed' OR status = 'failed' OR status = 'cancelled')
                    AND coalesce(updated_at, created_at) < ?2
                RETURNING id
                """)
        /// How many jobs every purge batch together would delete.
        static let purgeCount = SQLiteQuery(
            """
                SELECT count(*) FROM jobs
                WHERE (status = 'completed' OR status = 'failed' OR status = 'cancelled')
                    AND coalesce(updated_at, created_at) < ?1
                """)
        /// The jobs that stayed at or below the highest deleted position `?2`, highest first.
        static let purgeSurvivors = SQLiteQuery(
            """
                SELECT id, position FROM jobs WHERE project_id = ?1 AND position <= ?2 ORDER BY position DESC
                """)
        static let moveJob = SQLiteQuery("UPDATE jobs SET position = ?2 WHERE id = ?1")
        static let setPositionBase = SQLiteQuery("UPDATE projects SET position_base = ?2 WHERE id = ?1")
        static let projectIDs = SQLiteQuery("SELECT id FROM projects ORDER BY id")
        static let jobsAfter = SQLiteQuery(
            """
                SELECT \(jobColumns) FROM jobs
                WHERE project_id = ?1 AND id > ?2 AND (?3 IS NULL OR status = ?3)
                ORDER BY id LIMIT ?4
                """)
    }
}
