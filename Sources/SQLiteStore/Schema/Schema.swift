/// The store's schema as a list of versioned steps. To change it, append a ``SchemaMigration`` with the next
/// version; ``currentVersion`` follows.
enum Schema {
    /// Every step, in version order, starting at 1.
    static let migrations: [SchemaMigration] = [version1, version2, version3, version4, version5, version6, version7, version8, version9]

    /// The version this program reads and writes.
    static var currentVersion: Int { migrations.last?.version ?? 0 }

    /// Organizations, their API keys and projects, and jobs.
    ///
    /// `STRICT` tables refuse values of the wrong type instead of storing them as they come. Job ids use
    /// `AUTOINCREMENT` so that an id is never reused, even after the newest job is deleted: the API promises
    /// ids unique across the store and increasing in creation order.
    static let version1 = SchemaMigration(
        version: 1,
        statements: [
            """
            CREATE TABLE organizations (
                id INTEGER PRIMARY KEY,
                name TEXT NOT NULL,
                created_at INTEGER NOT NULL
            ) STRICT
            """,
            """
            CREATE TABLE api_keys (
                id INTEGER PRIMARY KEY,
                org_id INTEGER NOT NULL REFERENCES organizations(id),
                key_hash BLOB NOT NULL UNIQUE,
                hint TEXT NOT NULL,
                created_at INTEGER NOT NULL,
                revoked_at INTEGER
            ) STRICT
            """,
            """
            CREATE TABLE projects (
                id INTEGER PRIMARY KEY,
                org_id INTEGER NOT NULL REFERENCES organizations(id),
                project_key TEXT NOT NULL UNIQUE,
                name TEXT NOT NULL,
                created_at INTEGER NOT NULL
            ) STRICT
            """,
            """
            CREATE TABLE jobs (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                project_id INTEGER NOT NULL REFERENCES projects(id),
                action TEXT NOT NULL,
                reference_id TEXT NOT NULL,
                description TEXT NOT NULL,
                status TEXT NOT NULL
                    CHECK (status IN ('scheduled', 'running', 'completed', 'failed', 'cancelled')),
                created_at INTEGER NOT NULL,
                updated_at INTEGER,
                start_at INTEGER NOT NULL,
                errors TEXT
            ) STRICT
            """,
            // Listing a project's jobs in id order reads this index in order: no sort.
            "CREATE INDEX jobs_by_project ON jobs(project_id, id)",
            // At most one active job per project, action and user. The index, not a read before the insert,
            // decides: two concurrent inserts cannot both pass.
            """
            CREATE UNIQUE INDEX jobs_one_active ON jobs(project_id, action, reference_id)
                WHERE status IN ('scheduled', 'running')
            """,
        ])

    /// Leases for workers, and indexes that find due work without reading the whole table.
    ///
    /// A `running` job is held by the worker named in `lease_owner` until `lease_expires_at`; both are `NULL`
    /// unless a worker holds it. A `running` job without a lease (released, imported as `running`, or left
    /// `running` by a version 1 store, which had no workers) belongs to no one and is claimed like an expired
    /// one. The `CHECK`s keep that shape: only a `running` job holds a lease, and a lease has both parts.
    /// `ADD COLUMN` tests them against the rows already there, which all pass (every new value is `NULL`).
    static let version2 = SchemaMigration(
        version: 2,
        statements: [
            "ALTER TABLE jobs ADD COLUMN lease_owner TEXT CHECK (lease_owner IS NULL OR status = 'running')",
            """
            ALTER TABLE jobs ADD COLUMN lease_expires_at INTEGER
                CHECK ((lease_expires_at IS NULL) = (lease_owner IS NULL))
            """,
            // Scheduled jobs by start time: a claim reads the due ones oldest first, in order, and stops at its
            // limit. The entries end with the rowid, so equal start times come in id order with no sort.
            "CREATE INDEX jobs_due ON jobs(start_at) WHERE status = 'scheduled'",
            // Running jobs by lease end: a claim finds expired and missing leases without reading the others.
            "CREATE INDEX jobs_leased ON jobs(lease_expires_at) WHERE status = 'running'",
        ])

    /// Positions: list pages as index ranges, whatever their number.
    ///
    /// Each job has a position in its project; the project's jobs in ascending id order hold the positions
    /// `position_base + 1 … last_position` with no gap, kept by every insert and by purges. Page `n` of `limit`
    /// is then the range after `position_base + (n - 1) * limit` in `jobs_by_position`, not an
    /// offset counted row by row. Existing jobs are numbered in id order per project. `ADD COLUMN … NOT NULL`
    /// needs a default; every insert gives its position, so the 0 is only ever seen during this step.
    static let version3 = SchemaMigration(
        version: 3,
        statements: [
            "ALTER TABLE projects ADD COLUMN position_base INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE projects ADD COLUMN last_position INTEGER NOT NULL DEFAULT 0",
            "ALTER TABLE jobs ADD COLUMN position INTEGER NOT NULL DEFAULT 0",
            """
            UPDATE jobs SET position = numbered.position
            FROM (SELECT id, row_number() OVER (PARTITION BY project_id ORDER BY id) AS position FROM jobs)
                AS numbered
            WHERE jobs.id = numbered.id
            """,
            "UPDATE projects SET last_position = (SELECT count(*) FROM jobs WHERE jobs.project_id = projects.id)",
            "CREATE UNIQUE INDEX jobs_by_position ON jobs(project_id, position)",
            // Finished jobs per project in position order, with their end time: a purge finds the oldest
            // positions that may go without reading the active jobs or the table.
            """
            CREATE INDEX jobs_finished ON jobs(project_id, position, updated_at)
                WHERE status IN ('completed', 'failed', 'cancelled')
            """,
        ])

    /// The partial indexes on status sets, with their condition as `=` tests joined by `OR` instead of `IN`.
    ///
    /// A write evaluates each partial index's condition on the old and the new row, and SQLite evaluates a
    /// constant `IN` list there by filling an ephemeral (temporary) b-tree with the list first: a cancel built
    /// three of them, which cost more than the rest of its statement. The `OR` form is compared in place. The
    /// same rows are indexed, and the queries that use these indexes state the same `OR` condition, as SQLite
    /// wants to choose a partial index.
    static let version4 = SchemaMigration(
        version: 4,
        statements: [
            "DROP INDEX jobs_one_active",
            """
            CREATE UNIQUE INDEX jobs_one_active ON jobs(project_id, action, reference_id)
                WHERE status = 'scheduled' OR status = 'running'
            """,
            "DROP INDEX jobs_finished",
            """
            CREATE INDEX jobs_finished ON jobs(project_id, position, updated_at)
                WHERE status = 'completed' OR status = 'failed' OR status = 'cancelled'
            """,
        ])

    /// Key rotation and purges of imported jobs.
    ///
    /// `api_keys.expires_at`: when a key stops working by itself, set on the old key of a rotation with a grace
    /// period (`jobsctl key rotate --grace`); `NULL` for never, which every key had before. A job imported
    /// finished without `updated_at` is purged by its `created_at`: `jobs_finished` holds both times, so a purge
    /// still reads its candidates from the index alone.
    static let version5 = SchemaMigration(
        version: 5,
        statements: [
            "ALTER TABLE api_keys ADD COLUMN expires_at INTEGER",
            "DROP INDEX jobs_finished",
            """
            CREATE INDEX jobs_finished ON jobs(project_id, position, updated_at, created_at)
                WHERE status = 'completed' OR status = 'failed' OR status = 'cancelled'
            """,
        ])

    /// Monitoring: the workers' registry.
    ///
    /// `workers`: one row per running `jobsctl worker`, keyed by the name its leases carry, written when it
    /// starts, its `last_seen_at` refreshed every poll, deleted when it stops; a killed worker's row stays until
    /// a day after it was last seen, no longer live once `stale_after` milliseconds passed (``WorkerRecord``).
    /// `actions`: the action names separated by spaces (names have none).
    static let version6 = SchemaMigration(
        version: 6,
        statements: [
            """
            CREATE TABLE workers (
                id TEXT PRIMARY KEY,
                host TEXT NOT NULL,
                pid INTEGER NOT NULL,
                version TEXT NOT NULL,
                actions TEXT NOT NULL,
                concurrency INTEGER NOT NULL,
                started_at INTEGER NOT NULL,
                last_seen_at INTEGER NOT NULL,
                stale_after INTEGER NOT NULL
            ) STRICT
            """,
        ])

    /// List filters and `Idempotency-Key`s (issue 18). Version 6 is another branch's step; the numbers need not
    /// be consecutive, only increasing.
    ///
    /// `jobs_by_reference` and `jobs_by_status` answer a filtered list page as one index range each, in id order
    /// (an SQLite index entry ends with the rowid, which is the id): no sort, no scan of the project.
    ///
    /// They take the place of three indexes, so that a request writes no more index entries than before: every
    /// write is a page of the log, and two more per cancel cost it 12 % (callgrind) and 10–17 % of its requests/s
    /// (deploy/bench.sh, same run). `jobs_by_reference` also finds a user's active job, which
    /// `jobs_one_active` did: one write transaction at a time reads it and inserts, so two active jobs of one user
    /// cannot both pass (``SQLJobStore/insertSteps(_:projectID:refusingInPlace:)``); a cancel or a finish no
    /// longer changes it, as its columns stay. `jobs_by_status` also holds the purge's candidates (the finished
    /// statuses' ranges, in id order), which `jobs_finished` did, and the administrator's job list (five
    /// ranges merged), which `jobs_by_project` did. Per request: a creation writes `jobs_by_reference`,
    /// `jobs_by_status`, `jobs_due` and `jobs_by_position`, as many as before; a cancel moves its
    /// `jobs_by_status` entry and leaves `jobs_due`, as many as before.
    ///
    /// `idempotency_keys`: the outcome of the first `DELETE` a key of an organization came with, written in the
    /// transaction of the change it made, replayed for 24 hours. `status` and `body` are `NULL` only inside
    /// that transaction. `idempotency_keys_by_age` lets the purge find old keys.
    static let version7 = SchemaMigration(
        version: 7,
        statements: [
            "DROP INDEX jobs_one_active",
            "DROP INDEX jobs_finished",
            "DROP INDEX jobs_by_project",
            "CREATE INDEX jobs_by_reference ON jobs(project_id, reference_id)",
            "CREATE INDEX jobs_by_status ON jobs(project_id, status)",
            """
            CREATE TABLE idempotency_keys (
                org_id INTEGER NOT NULL REFERENCES organizations(id),
                idempotency_key TEXT NOT NULL,
                method TEXT NOT NULL,
                path TEXT NOT NULL,
                status INTEGER,
                body TEXT,
                created_at INTEGER NOT NULL,
                PRIMARY KEY (org_id, idempotency_key)
            ) STRICT, WITHOUT ROWID
            """,
            "CREATE INDEX idempotency_keys_by_age ON idempotency_keys(created_at)",
        ])

    /// Webhooks (issue 19): one per project, and the outbox of events they deliver.
    ///
    /// `webhooks.secret` is the signing key in base64 (HMAC needs the key itself); `previous_secret` is the one a
    /// rotation replaced, which still signs until `previous_secret_expires_at`.
    ///
    /// `webhook_events` is the transactional outbox: the trigger `jobs_final_event` writes one row, in the
    /// statement (hence the transaction) that moves a job from `scheduled` or `running` to `completed`, `failed`
    /// or `cancelled`, when the job's project has a webhook. Whatever writes that change (a worker's finish, a
    /// cancel through the API or `jobsctl`) writes the event with it, and no other code has to remember to. The
    /// row keeps the job as it was (a purge may delete the job before the event is delivered), its event id
    /// (`msg_` and 128 random bits), and its delivery: state, attempts, when the next is due, until when attempts
    /// go on (3 days), the last answer, and the lease of the worker delivering it. The conditions on statuses
    /// and states are written with `OR`, not `IN` (see ``version4``): the trigger runs inside every final write,
    /// and its `WHEN` looks for the project's webhook first, so a project without one opens no cursor on the outbox.
    static let version8 = SchemaMigration(
        version: 8,
        statements: [
            """
            CREATE TABLE webhooks (
                project_id INTEGER PRIMARY KEY REFERENCES projects(id),
                url TEXT NOT NULL,
                allow_http INTEGER NOT NULL CHECK (allow_http = 0 OR allow_http = 1),
                secret TEXT NOT NULL,
                previous_secret TEXT,
                previous_secret_expires_at INTEGER,
                created_at INTEGER NOT NULL,
                updated_at INTEGER NOT NULL
            ) STRICT
            """,
            """
            CREATE TABLE webhook_events (
                id INTEGER PRIMARY KEY,
                event_id TEXT NOT NULL UNIQUE,
                project_id INTEGER NOT NULL REFERENCES projects(id),
                type TEXT NOT NULL,
                occurred_at INTEGER NOT NULL,
                job_id INTEGER NOT NULL,
                job_description TEXT NOT NULL,
                job_status TEXT NOT NULL,
                job_action TEXT NOT NULL,
                job_reference_id TEXT NOT NULL,
                job_created_at INTEGER NOT NULL,
                job_updated_at INTEGER,
                job_start_at INTEGER NOT NULL,
                job_errors TEXT,
                state TEXT NOT NULL CHECK (state = 'pending' OR state = 'delivered' OR state = 'failed'),
                attempts INTEGER NOT NULL DEFAULT 0,
                next_attempt_at INTEGER,
                retry_until INTEGER NOT NULL,
                last_attempt_at INTEGER,
                last_status INTEGER,
                last_error TEXT,
                lease_owner TEXT,
                lease_expires_at INTEGER CHECK ((lease_expires_at IS NULL) = (lease_owner IS NULL))
            ) STRICT
            """,
            // Due events oldest first, for claims; a project's events newest first, for listings.
            "CREATE INDEX webhook_events_due ON webhook_events(next_attempt_at) WHERE state = 'pending'",
            "CREATE INDEX webhook_events_by_project ON webhook_events(project_id, id)",
            // The failed events, counted by `jobsctl status` and the metrics without reading the delivered ones.
            "CREATE INDEX webhook_events_failed ON webhook_events(id) WHERE state = 'failed'",
            """
            CREATE TRIGGER jobs_final_event AFTER UPDATE OF status ON jobs
            WHEN (NEW.status = 'completed' OR NEW.status = 'failed' OR NEW.status = 'cancelled')
                AND (OLD.status = 'scheduled' OR OLD.status = 'running')
                AND EXISTS (SELECT 1 FROM webhooks WHERE webhooks.project_id = NEW.project_id)
            BEGIN
                INSERT INTO webhook_events (event_id, project_id, type, occurred_at, job_id, job_description, job_status, job_action,
                    job_reference_id, job_created_at, job_updated_at, job_start_at, job_errors, state, next_attempt_at,
                    retry_until)
                SELECT 'msg_' || lower(hex(randomblob(16))), NEW.project_id, 'job.' || NEW.status,
                    coalesce(NEW.updated_at, NEW.created_at), NEW.id, NEW.description, NEW.status, NEW.action,
                    NEW.reference_id, NEW.created_at, NEW.updated_at, NEW.start_at, NEW.errors, 'pending',
                    coalesce(NEW.updated_at, NEW.created_at), coalesce(NEW.updated_at, NEW.created_at) + 259200000
                FROM webhooks WHERE webhooks.project_id = NEW.project_id;
            END
            """,
        ])

    /// A limit on each organization's active jobs (issue 17): `organizations.active_job_limit`, the most
    /// `scheduled` and `running` jobs its projects may hold for the API to create another; `NULL` for none, which
    /// every organization had before.
    static let version9 = SchemaMigration(
        version: 9,
        statements: [
            "ALTER TABLE organizations ADD COLUMN active_job_limit INTEGER CHECK (active_job_limit >= 0)",
        ])
}
