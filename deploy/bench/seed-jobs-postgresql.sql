-- Fills the jobs table of a PostgreSQL store made by `jobsctl init` (with @projects projects created) with :jobs
-- valid jobs in the very layout of deploy/bench/seed-jobs.sql (read its header): job i belongs to project
-- 1 + (i - 1) % :projects, is about user "user-i@example.com", even k = (i - 1) / :projects are `scheduled` (due at
-- the next midnight after :now), odd k final. Each job's position in its project is k + 1, and each project's
-- last_position its count, as the store keeps them. Run with psql:
--   psql -v ON_ERROR_STOP=1 -d URL -v jobs=N -v projects=P -v now=EPOCH_MS -f deploy/bench/seed-jobs-postgresql.sql
BEGIN;
INSERT INTO jobs (id, project_id, position, action, reference_id, description, status, created_at, updated_at,
    start_at, errors)
SELECT
    i,
    1 + (i - 1) % :projects,
    (i - 1) / :projects + 1,
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
    CASE WHEN k % 2 = 0 THEN (:now::bigint / 86400000 + 1) * 86400000 ELSE created_at + 60000 END,
    CASE WHEN k % 8 = 5 THEN 'session store unreachable' END
FROM (
    SELECT i, (i - 1) / :projects AS k,
        :now::bigint - 86400000 - (:jobs - i) * greatest(1, 7776000000 / :jobs) AS created_at
    FROM generate_series(1::bigint, :jobs) AS i
) AS layout;
UPDATE projects SET last_position = (SELECT count(*) FROM jobs WHERE project_id = projects.id);
SELECT setval(pg_get_serial_sequence('jobs', 'id'), :jobs);
COMMIT;
VACUUM ANALYZE jobs;
