-- Appends @count scheduled jobs to project @project of a store that deploy/bench/seed-jobs.sql filled, for the
-- cancel scenarios of deploy/bench.sh and deploy/soak.sh: each is due at @start_at (far enough ahead that no worker
-- takes it), about a user of its own, and gets the next ids and list positions. Safe while the app runs (one write
-- transaction; run the sqlite3 shell with a busy timeout). Prints the first new id.
--   sqlite3 -bail STORE ".timeout 30000" ".parameter set @project P" ".parameter set @count N" \
--       ".parameter set @now EPOCH_MS" ".parameter set @start_at EPOCH_MS" ".read deploy/bench/add-scheduled-jobs.sql"
BEGIN IMMEDIATE;
CREATE TEMP TABLE IF NOT EXISTS added_base AS SELECT 0 AS first_id, 0 AS first_position;
DELETE FROM temp.added_base;
INSERT INTO temp.added_base
SELECT (SELECT coalesce(max(id), 0) + 1 FROM jobs), (SELECT last_position + 1 FROM projects WHERE id = @project);
WITH RECURSIVE numbers(n) AS (SELECT 0 UNION ALL SELECT n + 1 FROM numbers WHERE n + 1 < @count)
INSERT INTO jobs (id, project_id, position, action, reference_id, description, status, created_at, updated_at, start_at,
    errors)
SELECT
    first_id + n,
    @project,
    first_position + n,
    'delete_user_data',
    'pool-' || (first_id + n) || '@example.com',
    'Delete user sessions of userId = pool-' || (first_id + n) || '@example.com',
    'scheduled',
    @now,
    NULL,
    @start_at,
    NULL
FROM numbers, temp.added_base;
UPDATE projects SET last_position = last_position + @count WHERE id = @project;
SELECT first_id FROM temp.added_base;
COMMIT;
