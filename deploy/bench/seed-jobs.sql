-- Fills the jobs table of a store made by `jobsctl init` with @jobs valid jobs, for deploy/bench.sh. Run with the
-- sqlite3 shell after setting the parameters:
--   sqlite3 -bail STORE ".parameter set @jobs N" ".parameter set @projects P" ".parameter set @now EPOCH_MS" \
--       ".read deploy/bench/seed-jobs.sql"
-- (`jobsctl job import` stores one job per transaction, each synced to disk: about 2,500 jobs a second here,
-- several minutes for a million. This takes seconds.)
--
-- Job i (1 ... @jobs) belongs to project 1 + (i - 1) % @projects (so project p holds ids p, p + P, p + 2P, ...),
-- is about user "user-i@example.com" (one user per job: the one-active-job-per-user index holds), and was created
-- in the 90 days that end a day before @now, in id order. With k = (i - 1) / @projects, its position in its
-- project: even k are `scheduled` (due at the next midnight after @now: no worker would take them yet), odd k are
-- final: `completed` (k % 8 = 1 or 3), `failed` (5), `cancelled` (7). Its list position (schema 3) is k + 1, and
-- each project's last_position is its job count. deploy/bench.sh relies on this layout to pick job ids, list pages
-- and the scheduled jobs it cancels.

-- Losing the store to a crash during this load costs nothing; the app sets its own durability per connection.
PRAGMA synchronous = OFF;
BEGIN IMMEDIATE;
WITH RECURSIVE
    numbers(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM numbers WHERE i < @jobs),
    layout(i, project_id, k, created_at) AS (
        SELECT i, 1 + (i - 1) % @projects, (i - 1) / @projects,
            @now - 86400000 - (@jobs - i) * max(1, 7776000000 / @jobs)
        FROM numbers)
INSERT INTO jobs (id, project_id, position, action, reference_id, description, status, created_at, updated_at, start_at,
    errors)
SELECT
    i,
    project_id,
    k + 1,
    'delete_user_data',
    'user-' || i || '@example.com',
    'Delete user sessions of userId = user-' || i || '@example.com',
    CASE
        WHEN k % 2 = 0 THEN 'scheduled'
        WHEN k % 8 = 5 THEN 'failed'
        WHEN k % 8 = 7 THEN 'cancelled'
        ELSE 'completed'
    END,
    created_at,
    CASE WHEN k % 2 = 0 THEN NULL ELSE created_at + 120000 END,
    CASE WHEN k % 2 = 0 THEN (@now / 86400000 + 1) * 86400000 ELSE created_at + 60000 END,
    CASE WHEN k % 8 = 5 THEN 'session store unreachable' END
FROM layout;
UPDATE projects SET last_position = (SELECT count(*) FROM jobs WHERE jobs.project_id = projects.id);
COMMIT;
-- Everything into the main file: the app starts with an empty WAL, as after a quiet night.
PRAGMA wal_checkpoint(TRUNCATE);
