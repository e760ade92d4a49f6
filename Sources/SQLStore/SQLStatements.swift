/// The text of every statement of the shared store, prepared by an engine as its `Query`.
///
/// One text serves both engines where their SQL is the same; ``SQLDialect`` holds the statements whose text
/// really differs. Parameters are written `?1`, `?2`, …: an engine that spells them otherwise (PostgreSQL's `$1`)
/// converts the text once, in `make`. Made once per engine, as a `static let`.
public final class SQLStatements<Query: Sendable>: Sendable {
    /// The columns of a job, in the order ``SQLJobStore/decodeJob(_:)`` reads them.
    public static var jobColumns: String {
        "id, description, status, project_id, action, reference_id, created_at, updated_at, start_at, errors"
    }
    /// The columns of a project, in the order ``SQLJobStore/decodeProject(_:)`` reads them.
    public static var projectColumns: String { "id, org_id, project_key, name, created_at" }
    /// The columns of an API key, in the order ``SQLJobStore/decodeAPIKey(_:)`` reads them.
    public static var apiKeyColumns: String { "id, org_id, hint, created_at, revoked_at, expires_at" }
    /// The columns of an organization, in the order ``SQLJobStore/decodeOrganization(_:)`` reads them.
    public static var organizationColumns: String { "id, name, created_at, active_job_limit" }

    // MARK: API

    /// A key authenticates at `?2` while it is not revoked and not past its expiry (a rotated key's grace).
    public let principal: Query
    /// The project with key `?1` if it belongs to organization `?2`.
    public let projectInOrganization: Query
    /// The key, the project and the job of a request in one statement: three unique-index lookups, one read
    /// transaction (SQLite) or one round trip (PostgreSQL). The job's columns come first, in ``jobColumns``
    /// order, so ``SQLJobStore/decodeJob(_:)`` reads them as any job; then the project's id, then the key's id
    /// and organization. `?2` or `?3` `NULL` leaves the project or the job out (a `LEFT JOIN` on `NULL` finds
    /// nothing).
    public let requestLookup: Query
    /// ``SQLDialect/jobsPage``.
    public let jobsPage: Query
    /// Up to `?8` jobs of project `?1` with reference id `?2` and a status among `?3` … `?7` (unused slots
    /// `NULL`), in id order, after skipping `?9`: one range of `jobs_by_reference`, as long as the user's jobs.
    public let jobsOfReference: Query
    /// Up to `?3` jobs of project `?1` in status `?2`, in id order, after skipping `?4`: one range of
    /// `jobs_by_status`, read in order (a page `n` deep steps over the `(n - 1) * limit` entries before it).
    public let jobsOfStatus: Query
    /// Up to `?8` jobs of project `?1` with a status among `?2` … `?6` (unused slots `NULL`), in id order,
    /// after skipping `?9`. One branch per status reads at most `?7` (offset plus limit) entries of its range of
    /// `jobs_by_status` in id order, and the branches are merged: a page costs at most offset plus limit
    /// entries per status, and the sorting of that many (SQLite sorts each branch's rows again for the merge).
    public let jobsOfStatuses: Query
    /// The job `?1` if it belongs to project `?2`.
    public let jobInProject: Query
    /// One statement, so that of many concurrent cancels exactly one finds the job still active. A cancelled job
    /// holds no lease: its worker's next renewal or finish finds it gone.
    public let cancelJob: Query
    /// The next position of project `?1`, and its organization's active-job limit (`NULL`: none); it takes the
    /// write lock (SQLite) or the project's row lock (PostgreSQL), which every creation in the project takes
    /// first.
    public let takePosition: Query
    /// How many active jobs the organization of project `?1` holds, counted up to `?2`: two ranges of
    /// `jobs_by_status` per project of the organization, each read no further than the limit.
    public let activeJobsInOrganization: Query
    /// `?2` positions of project `?1` at once, for an import in one transaction: the last one comes back.
    public let takePositions: Query
    /// ``insertJob`` for an import, which needs only the id back.
    public let importJob: Query
    /// Inserts a job (the bindings of ``SQLJobStore/insertBindings(_:projectID:position:)``), returning it.
    public let insertJob: Query
    /// ``SQLDialect/activeJobID``.
    public let activeJobID: Query

    // MARK: Idempotency keys

    /// Forgets key `?2` of organization `?1` if it was stored at `?3` or before (24 hours ago).
    public let expireIdempotencyKey: Query
    /// Takes key `?2` of organization `?1` for method `?3` and path `?4` at `?5`: a row comes back when the key
    /// was free. A concurrent transaction holding the same key makes this wait for its end (the primary key).
    public let claimIdempotencyKey: Query
    /// The method, path, status and body stored with key `?2` of organization `?1`.
    public let idempotencyKey: Query
    /// Stores status `?3` and body `?4` with key `?2` of organization `?1`.
    public let recordIdempotentResponse: Query
    /// Forgets key `?2` of organization `?1`: its outcome is not one to store.
    public let releaseIdempotencyKey: Query
    /// Forgets every key stored at `?1` or before (`idempotency_keys_by_age`), returning 1 for each.
    public let purgeIdempotencyKeys: Query

    // MARK: Workers

    /// ``SQLDialect/claimDueJobs``.
    public let claimDueJobs: Query
    /// Every write on a leased job is fenced on `status = 'running' AND lease_owner = ?2`.
    public let renewLease: Query
    /// Ends job `?1` of owner `?2` as `?3` with errors `?4` at `?5`, dropping its lease.
    public let finishJob: Query
    /// A `running` job without a lease is claimable at once (see ``claimDueJobs``).
    public let releaseLease: Query
    /// The distinct owners of the unexpired leases at `?1` (ending at or after it): one range of `jobs_leased`,
    /// as many rows as jobs running at the moment.
    public let leaseOwners: Query
    /// Drops every unexpired lease (at `?2`) of owner `?1`, a worker known to be gone, returning the jobs' ids:
    /// they stay `running` without a lease, which the next claim takes over at once.
    public let releaseOwnerLeases: Query

    // MARK: Administration

    /// Inserts organization `?1` created at `?2`.
    public let insertOrganization: Query
    /// The organization `?1`.
    public let organization: Query
    /// Every organization, in id order.
    public let organizations: Query
    /// Sets the active-job limit of organization `?1` to `?2` (`NULL`: none), returning the organization.
    public let setActiveJobLimit: Query
    /// Inserts a key of organization `?1` with hash `?2` and hint `?3`, created at `?4`.
    public let insertAPIKey: Query
    /// The keys of organization `?1`, in id order.
    public let apiKeys: Query
    /// The key `?1`.
    public let apiKey: Query
    /// Only a key not revoked yet changes: a revoked key keeps its first revocation time.
    public let revokeAPIKey: Query
    /// ``SQLDialect/endRotatedKey``.
    public let endRotatedKey: Query
    /// Inserts a project of organization `?1` with key `?2` and name `?3`, created at `?4`.
    public let insertProject: Query
    /// The project with key `?1`.
    public let project: Query
    /// The project `?1`.
    public let projectByID: Query
    /// ``SQLDialect/projects``.
    public let projects: Query
    /// The job `?1`, whatever its project.
    public let job: Query
    /// ``SQLDialect/jobsAfter``.
    public let jobsAfter: Query
    /// Every project's id, in order.
    public let projectIDs: Query
    /// ``SQLDialect/purgeCount``.
    public let purgeCount: Query

    // MARK: Monitoring

    /// Inserts or replaces worker `?1` (host, pid, version, actions, concurrency, started, last seen, stale after).
    public let registerWorker: Query
    /// Sets the last-seen time of worker `?1` to `?2`, returning something when the row exists.
    public let refreshWorker: Query
    /// Deletes worker `?1`.
    public let unregisterWorker: Query
    /// Deletes the workers not seen since `?1`.
    public let deleteForgottenWorkers: Query
    /// Every worker, by host, pid and id, in ``WorkerRecord``'s field order.
    public let workers: Query
    /// `status, count` for each status that has jobs.
    public let jobsByStatus: Query
    /// How many `scheduled` jobs are due at `?1` and the oldest `start_at` among them: one range of `jobs_due`.
    public let dueJobs: Query
    /// How many `running` jobs have a lease that expired before `?1` or none: two ranges of `jobs_leased`.
    public let expiredLeases: Query
    /// `lease_owner, count` of the `running` jobs that have an owner.
    public let runningByOwner: Query
    /// `action, count, min(start_at)` of the jobs due at `?1`, by action.
    public let dueActions: Query

    /// Every statement, the shared texts and `dialect`'s, each made into a query by `make`.
    public init(dialect: SQLDialect, make: (String) -> Query) {
        let jobColumns = Self.jobColumns
        let projectColumns = Self.projectColumns
        let apiKeyColumns = Self.apiKeyColumns
        principal = make(
            """
            SELECT id, org_id FROM api_keys
            WHERE key_hash = ?1 AND revoked_at IS NULL AND (expires_at IS NULL OR expires_at > ?2)
            """)
        projectInOrganization = make("SELECT \(projectColumns) FROM projects WHERE project_key = ?1 AND org_id = ?2")
        requestLookup = make(
            """
            SELECT j.id, j.description, j.status, j.project_id, j.action, j.reference_id, j.created_at,
                j.updated_at, j.start_at, j.errors, p.id, k.id, k.org_id
            FROM api_keys AS k
            LEFT JOIN projects AS p ON p.project_key = ?2 AND p.org_id = k.org_id
            LEFT JOIN jobs AS j ON j.id = ?3 AND j.project_id = p.id
            WHERE k.key_hash = ?1 AND k.revoked_at IS NULL AND (k.expires_at IS NULL OR k.expires_at > ?4)
            """)
        jobsPage = make(dialect.jobsPage)
        jobsOfReference = make(
            """
            SELECT \(jobColumns) FROM jobs
            WHERE project_id = ?1 AND reference_id = ?2 AND status IN (?3, ?4, ?5, ?6, ?7)
            ORDER BY id LIMIT ?8 OFFSET ?9
            """)
        jobsOfStatus = make(
            """
            SELECT \(jobColumns) FROM jobs WHERE project_id = ?1 AND status = ?2
            ORDER BY id LIMIT ?3 OFFSET ?4
            """)
        jobsOfStatuses = make(
            (2...6).map { slot in
                """
                SELECT \(jobColumns) FROM (
                    SELECT \(jobColumns) FROM jobs WHERE project_id = ?1 AND status = ?\(slot) ORDER BY id LIMIT ?7
                ) AS status\(slot)
                """
            }.joined(separator: "\nUNION ALL\n") + "\nORDER BY id LIMIT ?8 OFFSET ?9")
        jobInProject = make("SELECT \(jobColumns) FROM jobs WHERE id = ?1 AND project_id = ?2")
        cancelJob = make(
            """
            UPDATE jobs SET status = 'cancelled', updated_at = ?3, lease_owner = NULL, lease_expires_at = NULL
            WHERE id = ?1 AND project_id = ?2 AND status IN ('scheduled', 'running')
            RETURNING \(jobColumns)
            """)
        takePosition = make(
            """
            UPDATE projects SET last_position = last_position + 1 WHERE id = ?1
            RETURNING last_position, (SELECT active_job_limit FROM organizations WHERE organizations.id = projects.org_id)
            """)
        activeJobsInOrganization = make(
            """
            SELECT count(*) FROM (
                SELECT 1 FROM jobs
                WHERE project_id IN (SELECT id FROM projects WHERE org_id = (SELECT org_id FROM projects WHERE id = ?1))
                    AND status IN ('scheduled', 'running')
                LIMIT ?2
            ) AS active
            """)
        takePositions = make(
            "UPDATE projects SET last_position = last_position + ?2 WHERE id = ?1 RETURNING last_position")
        let insert = """
            INSERT INTO jobs (description, status, project_id, action, reference_id, created_at, updated_at,
                start_at, errors, position)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)
            """
        importJob = make(insert + "\nRETURNING id")
        insertJob = make(insert + "\nRETURNING \(jobColumns)")
        activeJobID = make(dialect.activeJobID)

        expireIdempotencyKey = make(
            "DELETE FROM idempotency_keys WHERE org_id = ?1 AND idempotency_key = ?2 AND created_at <= ?3")
        claimIdempotencyKey = make(
            """
            INSERT INTO idempotency_keys (org_id, idempotency_key, method, path, created_at)
            VALUES (?1, ?2, ?3, ?4, ?5)
            ON CONFLICT (org_id, idempotency_key) DO NOTHING
            RETURNING created_at
            """)
        idempotencyKey = make(
            "SELECT method, path, status, body FROM idempotency_keys WHERE org_id = ?1 AND idempotency_key = ?2")
        recordIdempotentResponse = make(
            "UPDATE idempotency_keys SET status = ?3, body = ?4 WHERE org_id = ?1 AND idempotency_key = ?2")
        releaseIdempotencyKey = make("DELETE FROM idempotency_keys WHERE org_id = ?1 AND idempotency_key = ?2")
        purgeIdempotencyKeys = make("DELETE FROM idempotency_keys WHERE created_at <= ?1 RETURNING 1")

        claimDueJobs = make(dialect.claimDueJobs)
        renewLease = make(
            """
            UPDATE jobs SET lease_expires_at = ?3
            WHERE id = ?1 AND status = 'running' AND lease_owner = ?2
            RETURNING lease_expires_at
            """)
        finishJob = make(
            """
            UPDATE jobs SET status = ?3, errors = ?4, updated_at = ?5, lease_owner = NULL, lease_expires_at = NULL
            WHERE id = ?1 AND status = 'running' AND lease_owner = ?2
            RETURNING \(jobColumns)
            """)
        releaseLease = make(
            """
            UPDATE jobs SET lease_owner = NULL, lease_expires_at = NULL
            WHERE id = ?1 AND status = 'running' AND lease_owner = ?2
            RETURNING id
            """)
        leaseOwners = make(
            "SELECT DISTINCT lease_owner FROM jobs WHERE status = 'running' AND lease_expires_at >= ?1")
        releaseOwnerLeases = make(
            """
            UPDATE jobs SET lease_owner = NULL, lease_expires_at = NULL
            WHERE status = 'running' AND lease_expires_at >= ?2 AND lease_owner = ?1
            RETURNING id
            """)

        insertOrganization = make(
            "INSERT INTO organizations (name, created_at) VALUES (?1, ?2) RETURNING \(Self.organizationColumns)")
        organization = make("SELECT \(Self.organizationColumns) FROM organizations WHERE id = ?1")
        organizations = make("SELECT \(Self.organizationColumns) FROM organizations ORDER BY id")
        setActiveJobLimit = make(
            "UPDATE organizations SET active_job_limit = ?2 WHERE id = ?1 RETURNING \(Self.organizationColumns)")
        insertAPIKey = make(
            """
            INSERT INTO api_keys (org_id, key_hash, hint, created_at) VALUES (?1, ?2, ?3, ?4)
            RETURNING \(apiKeyColumns)
            """)
        apiKeys = make("SELECT \(apiKeyColumns) FROM api_keys WHERE org_id = ?1 ORDER BY id")
        apiKey = make("SELECT \(apiKeyColumns) FROM api_keys WHERE id = ?1")
        revokeAPIKey = make(
            """
            UPDATE api_keys SET revoked_at = ?2 WHERE id = ?1 AND revoked_at IS NULL
            RETURNING \(apiKeyColumns)
            """)
        endRotatedKey = make(dialect.endRotatedKey)
        insertProject = make(
            """
            INSERT INTO projects (org_id, project_key, name, created_at) VALUES (?1, ?2, ?3, ?4)
            RETURNING \(projectColumns)
            """)
        project = make("SELECT \(projectColumns) FROM projects WHERE project_key = ?1")
        projectByID = make("SELECT \(projectColumns) FROM projects WHERE id = ?1")
        projects = make(dialect.projects)
        job = make("SELECT \(jobColumns) FROM jobs WHERE id = ?1")
        jobsAfter = make(dialect.jobsAfter)
        projectIDs = make("SELECT id FROM projects ORDER BY id")
        purgeCount = make(dialect.purgeCount)

        registerWorker = make(
            """
            INSERT INTO workers (id, host, pid, version, actions, concurrency, started_at, last_seen_at, stale_after)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)
            ON CONFLICT (id) DO UPDATE SET host = excluded.host, pid = excluded.pid, version = excluded.version,
                actions = excluded.actions, concurrency = excluded.concurrency, started_at = excluded.started_at,
                last_seen_at = excluded.last_seen_at, stale_after = excluded.stale_after
            """)
        refreshWorker = make("UPDATE workers SET last_seen_at = ?2 WHERE id = ?1 RETURNING last_seen_at")
        unregisterWorker = make("DELETE FROM workers WHERE id = ?1")
        deleteForgottenWorkers = make("DELETE FROM workers WHERE last_seen_at < ?1")
        workers = make(
            """
            SELECT id, host, pid, version, actions, concurrency, started_at, last_seen_at, stale_after FROM workers
            ORDER BY host, pid, id
            """)
        jobsByStatus = make(dialect.jobsByStatus)
        dueJobs = make("SELECT count(*), min(start_at) FROM jobs WHERE status = 'scheduled' AND start_at <= ?1")
        expiredLeases = make(
            """
            SELECT (SELECT count(*) FROM jobs WHERE status = 'running' AND lease_expires_at < ?1)
                + (SELECT count(*) FROM jobs WHERE status = 'running' AND lease_expires_at IS NULL)
            """)
        runningByOwner = make(
            """
            SELECT lease_owner, count(*) FROM jobs WHERE status = 'running' AND lease_owner IS NOT NULL
            GROUP BY lease_owner
            """)
        dueActions = make(
            """
            SELECT action, count(*), min(start_at) FROM jobs WHERE status = 'scheduled' AND start_at <= ?1
            GROUP BY action ORDER BY action
            """)
    }
}

/// The statements whose text differs between engines, with `?1`-style parameters and the meaning each engine's
/// text must have.
public struct SQLDialect: Sendable {
    /// Up to `?2` jobs of project `?1` in position order, after skipping `?3`: one range of the position index,
    /// whatever the offset (the project's jobs in id order hold the positions after its `position_base` with no
    /// gap). An offset past the end, however large, gives no rows, not an error.
    public var jobsPage: String
    /// The id of project `?1`'s active job with action `?2` and reference id `?3`: PostgreSQL's condition repeats
    /// `jobs_one_active`'s own, in the form its planner matches to that partial index; SQLite reads the user's
    /// jobs from `jobs_by_reference`.
    public var activeJobID: String
    /// Claims up to `?4` due jobs for owner `?1` at time `?2` with a lease until `?3`, in one statement that
    /// never hands one job to two claims, among the actions in `?5` (``SQLJobStore/actionList(_:)``). Returns
    /// ``SQLStatements/jobColumns`` and the project's key, in no particular order.
    public var claimDueJobs: String
    /// The old key of a rotation, if it is active at `?2`: revoked at `?2` when `?3` is `NULL`, else expiring at
    /// `?3` or at the earlier expiry it had. Returns ``SQLStatements/apiKeyColumns``.
    public var endRotatedKey: String
    /// Every project, or those of organization `?1`, in id order.
    public var projects: String
    /// Up to `?4` jobs of project `?1` with an id above `?2`, only those in status `?3` unless it is `NULL`, in
    /// id order.
    public var jobsAfter: String
    /// How many finished jobs ended before `?1` (a job imported finished without an `updated_at` ended, as far
    /// as anyone knows, when it was created), read from the `jobs_finished` partial index.
    public var purgeCount: String
    /// `status, count` of the jobs for each status that has any.
    public var jobsByStatus: String

    /// A dialect of these texts.
    public init(
        jobsPage: String, activeJobID: String, claimDueJobs: String, endRotatedKey: String, projects: String,
        jobsAfter: String, purgeCount: String, jobsByStatus: String
    ) {
        self.jobsPage = jobsPage
        self.activeJobID = activeJobID
        self.claimDueJobs = claimDueJobs
        self.endRotatedKey = endRotatedKey
        self.projects = projects
        self.jobsAfter = jobsAfter
        self.purgeCount = purgeCount
        self.jobsByStatus = jobsByStatus
    }
}
