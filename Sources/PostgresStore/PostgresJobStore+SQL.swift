extension PostgresJobStore {
    /// The text of every statement, in one place. Each is prepared once per connection.
    enum SQL {
        /// The columns of a job, in the order ``PostgresJobStore/decodeJob(_:)`` reads them.
        static let jobColumns =
            "id, description, status, project_id, action, reference_id, created_at, updated_at, start_at, errors"
        static let projectColumns = "id, org_id, project_key, name, created_at"
        static let apiKeyColumns = "id, org_id, hint, created_at, revoked_at, expires_at"

        // MARK: API

        /// A key authenticates at `$2` while it is not revoked and not past its expiry (a rotated key's grace).
        static let principal = """
            SELECT id, org_id FROM api_keys
            WHERE key_hash = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2::bigint)
            """
        static let projectInOrganization =
            "SELECT \(projectColumns) FROM projects WHERE project_key = $1 AND org_id = $2"
        /// A page is one range of the `jobs_position` index, whatever its number: the project's jobs hold the
        /// positions `position_base + 1 …` in id order. `LEAST` keeps `position_base + offset` from overflowing
        /// (an offset that large is past the end anyway); a missing project gives no rows.
        static let jobsPage = """
            SELECT \(jobColumns) FROM jobs
            WHERE project_id = $1 AND position > (
                SELECT position_base + LEAST($2::bigint, 9223372036854775807 - position_base)
                FROM projects WHERE id = $1)
            ORDER BY position LIMIT $3
            """
        static let jobInProject = "SELECT \(jobColumns) FROM jobs WHERE id = $1 AND project_id = $2"
        /// One statement, so that of many concurrent cancels exactly one finds the job still active (a second
        /// one waits for the first's row lock, then re-checks the condition on the new row and finds it
        /// cancelled). A cancelled job holds no lease.
        static let cancelJob = """
            UPDATE jobs SET status = 'cancelled', updated_at = $3, lease_owner = NULL, lease_expires_at = NULL
            WHERE id = $1 AND project_id = $2 AND status IN ('scheduled', 'running')
            RETURNING \(jobColumns)
            """
        /// Takes the project's row lock and the next position in one step; a creation runs it before drawing an
        /// id from the sequence, so within a project id order equals position order.
        static let nextPosition =
            "UPDATE projects SET last_position = last_position + 1 WHERE id = $1 RETURNING last_position"
        /// `$2` positions of project `$1` at once (and its row lock), for an import in one transaction: the last one
        /// comes back.
        static let takePositions =
            "UPDATE projects SET last_position = last_position + $2 WHERE id = $1 RETURNING last_position"
        /// ``insertJob`` for an import, which needs only the id back.
        static let importJob = """
            INSERT INTO jobs (description, status, action, reference_id, created_at, updated_at, start_at, errors,
                project_id, position)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            ON CONFLICT (project_id, action, reference_id) WHERE status IN ('scheduled', 'running') DO NOTHING
            RETURNING id
            """
        /// Inserts unless `jobs_one_active` holds an active job with the same project, action and user: then no
        /// row comes back (`ON CONFLICT … DO NOTHING` names that partial index as its arbiter).
        static let insertJob = """
            INSERT INTO jobs (description, status, action, reference_id, created_at, updated_at, start_at, errors,
                project_id, position)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
            ON CONFLICT (project_id, action, reference_id) WHERE status IN ('scheduled', 'running') DO NOTHING
            RETURNING \(jobColumns)
            """
        /// The condition repeats `jobs_one_active`'s own, so that the planner answers from that partial index.
        static let activeJobID = """
            SELECT id FROM jobs
            WHERE project_id = $1 AND action = $2 AND reference_id = $3 AND status IN ('scheduled', 'running')
            """
        static let projectExists = "SELECT 1 FROM projects WHERE id = $1"

        // MARK: Workers

        /// Claims up to `$4` due jobs for owner `$1` at time `$2` with a lease until `$3`, in one statement.
        /// `FOR UPDATE SKIP LOCKED` passes over rows another claim is locking, so concurrent claims never wait
        /// for each other and never pick the same job; a row locked after a concurrent change is re-checked
        /// against the condition. Two branches, each in its partial index (`jobs_due`, `jobs_leased`): due
        /// `scheduled` jobs, and `running` jobs whose lease expired or that have none. Only jobs whose action is in
        /// `$5`, the worker's action names, are candidates. A taken-over job keeps its `updated_at`: its status
        /// does not change. `RETURNING` gives rows in no particular order.
        static let claimDueJobs = """
            WITH due AS (
                SELECT id, start_at FROM jobs
                WHERE status = 'scheduled' AND start_at <= $2 AND action = ANY($5::text[])
                ORDER BY start_at, id LIMIT $4 FOR UPDATE SKIP LOCKED
            ), abandoned AS (
                SELECT id, start_at FROM jobs
                WHERE status = 'running' AND (lease_expires_at < $2 OR lease_expires_at IS NULL)
                    AND action = ANY($5::text[])
                ORDER BY start_at, id LIMIT $4 FOR UPDATE SKIP LOCKED
            ), chosen AS (
                SELECT id FROM (SELECT id, start_at FROM due UNION ALL SELECT id, start_at FROM abandoned) candidates
                ORDER BY start_at, id LIMIT $4
            )
            UPDATE jobs SET
                status = 'running',
                updated_at = CASE WHEN jobs.status = 'scheduled' THEN $2 ELSE jobs.updated_at END,
                lease_owner = $1,
                lease_expires_at = $3
            FROM chosen WHERE jobs.id = chosen.id
            RETURNING jobs.id, jobs.description, jobs.status, jobs.project_id, jobs.action, jobs.reference_id,
                jobs.created_at, jobs.updated_at, jobs.start_at, jobs.errors,
                (SELECT project_key FROM projects WHERE projects.id = jobs.project_id)
            """
        /// Every write on a leased job is fenced on `status = 'running' AND lease_owner = $2`.
        static let renewLease = """
            UPDATE jobs SET lease_expires_at = $3
            WHERE id = $1 AND status = 'running' AND lease_owner = $2
            RETURNING lease_expires_at
            """
        static let finishJob = """
            UPDATE jobs SET status = $3, errors = $4, updated_at = $5, lease_owner = NULL, lease_expires_at = NULL
            WHERE id = $1 AND status = 'running' AND lease_owner = $2
            RETURNING \(jobColumns)
            """
        /// A `running` job without a lease is claimable at once (see ``claimDueJobs``).
        static let releaseLease = """
            UPDATE jobs SET lease_owner = NULL, lease_expires_at = NULL
            WHERE id = $1 AND status = 'running' AND lease_owner = $2
            RETURNING id
            """

        // MARK: Administration

        static let versionTableExists = "SELECT to_regclass('schema_version') IS NOT NULL"
        static let schemaVersion = "SELECT coalesce(max(version), 0) FROM schema_version"
        static let recordVersion = "INSERT INTO schema_version (version, applied_at) VALUES ($1, $2)"
        static let migrationLock = "SELECT pg_advisory_xact_lock($1)"
        static let insertOrganization =
            "INSERT INTO organizations (name, created_at) VALUES ($1, $2) RETURNING id, name, created_at"
        static let organization = "SELECT id, name, created_at FROM organizations WHERE id = $1"
        static let organizations = "SELECT id, name, created_at FROM organizations ORDER BY id"
        static let insertAPIKey = """
            INSERT INTO api_keys (org_id, key_hash, hint, created_at) VALUES ($1, $2, $3, $4)
            RETURNING \(apiKeyColumns)
            """
        static let apiKeys = "SELECT \(apiKeyColumns) FROM api_keys WHERE org_id = $1 ORDER BY id"
        static let apiKey = "SELECT \(apiKeyColumns) FROM api_keys WHERE id = $1"
        /// Only a key not revoked yet changes: a revoked key keeps its first revocation time.
        static let revokeAPIKey = """
            UPDATE api_keys SET revoked_at = $2 WHERE id = $1 AND revoked_at IS NULL
            RETURNING \(apiKeyColumns)
            """
        /// The old key of a rotation, if it is active at `$2`: revoked at `$2` when `$3` is `NULL`, else expiring
        /// at `$3` or at the earlier expiry it had (`least` passes over a `NULL`).
        static let endRotatedKey = """
            UPDATE api_keys SET
                revoked_at = CASE WHEN $3::bigint IS NULL THEN $2::bigint ELSE revoked_at END,
                expires_at = CASE WHEN $3::bigint IS NULL THEN expires_at ELSE least(expires_at, $3::bigint) END
            WHERE id = $1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > $2::bigint)
            RETURNING \(apiKeyColumns)
            """
        static let insertProject = """
            INSERT INTO projects (org_id, project_key, name, created_at) VALUES ($1, $2, $3, $4)
            RETURNING \(projectColumns)
            """
        static let project = "SELECT \(projectColumns) FROM projects WHERE project_key = $1"
        static let projectByID = "SELECT \(projectColumns) FROM projects WHERE id = $1"
        /// Every project, or those of organization `$1`, in id order.
        static let projects =
            "SELECT \(projectColumns) FROM projects WHERE $1::bigint IS NULL OR org_id = $1::bigint ORDER BY id"
        static let job = "SELECT \(jobColumns) FROM jobs WHERE id = $1"
        static let jobsAfter = """
            SELECT \(jobColumns) FROM jobs
            WHERE project_id = $1 AND id > $2 AND ($3::text IS NULL OR status = $3::text)
            ORDER BY id LIMIT $4
            """
    }
}
