#!/usr/bin/env bash
# What one reading of the queue costs at N jobs (default 10^6), on SQLite and on PostgreSQL: the statements that
# /jobs-api/status and /jobs-api/metrics run at most once every 5 s per process (the texts of
# Sources/SQLStore/SQLStatements.swift and the dialects' jobsByStatus), each timed best of 3, and `jobsctl status`
# as a whole (which also groups the due jobs by action). Stores seeded by deploy/bench/seed-jobs*.sql: half the jobs
# scheduled, the rest finished. "now" is read twice: at the seed's time (no job due) and a year later (every
# scheduled job due: the due range at its longest).
#
# Usage: deploy/bench/queue-cost.sh [JOBS]      (after swift build -c release, or a debug build)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source deploy/lib.sh
source deploy/bench/cost-setup.sh
jobs=${1:-1000000}
cost_setup queue-cost
now=$(($(date +%s) * 1000))
later=$((now + 366 * 86400000))

by_status_sqlite="SELECT status, count(*) FROM jobs GROUP BY status"
by_status_pg="SELECT status, count(*) FROM jobs GROUP BY status"
queue_statements() { # NOW
    cat <<SQL
SELECT count(*), min(start_at) FROM jobs WHERE status = 'scheduled' AND start_at <= $1;
SELECT (SELECT count(*) FROM jobs WHERE status = 'running' AND lease_expires_at < $1) + (SELECT count(*) FROM jobs WHERE status = 'running' AND lease_expires_at IS NULL);
SELECT lease_owner, count(*) FROM jobs WHERE status = 'running' AND lease_owner IS NOT NULL GROUP BY lease_owner;
SELECT id, host, pid, version, actions, concurrency, started_at, last_seen_at, stale_after FROM workers ORDER BY host, pid, id;
SQL
}
best_ms() { # COMMAND...: the best of 3 wall-clock times, in ms
    local best=999999 start end
    for _ in 1 2 3; do
        start=$(date +%s%N); "$@" >/dev/null; end=$(date +%s%N)
        (((end - start) / 1000000 < best)) && best=$(((end - start) / 1000000))
    done
    echo "$best"
}
report() { printf '%-11s %-42s %6s ms\n' "$1" "$2" "$3"; }

# SQLite
store=$run_dir/jobs.sqlite3
export JOBS_STORE=$store
cost_store "$store"
sqlite3 -bail "$store" ".parameter set @jobs $jobs" ".parameter set @projects 1" ".parameter set @now $now" \
    ".read deploy/bench/seed-jobs.sql" >/dev/null
sqlite3 "$store" "PRAGMA optimize" >/dev/null
echo "$jobs jobs, $(du -m "$store" | cut -f1) MB SQLite store"
report sqlite "jobs by status" "$(best_ms sqlite3 "$store" "$by_status_sqlite")"
report sqlite "the other four, nothing due" "$(best_ms sqlite3 "$store" "$(queue_statements "$now")")"
report sqlite "the other four, every scheduled job due" "$(best_ms sqlite3 "$store" "$(queue_statements "$later")")"
report sqlite "sqlite3 starting alone (subtract)" "$(best_ms sqlite3 "$store" "SELECT 1")"
report sqlite "jobsctl status --json (whole command)" "$(best_ms "$jobsctl" status --json --max-due-age 366d)"

# PostgreSQL
url=$(deploy/postgres-test-server.sh start "$pg_dir" | tail -1)
export JOBS_STORE=$url
cost_store "$url"
psql -q -v ON_ERROR_STOP=1 -d "$url" -v jobs="$jobs" -v projects=1 -v now="$now" \
    -f deploy/bench/seed-jobs-postgresql.sql >/dev/null
psql -q -d "$url" -c "VACUUM ANALYZE jobs" >/dev/null
report postgresql "jobs by status" "$(best_ms psql -q -d "$url" -c "$by_status_pg")"
report postgresql "the other four, nothing due" "$(best_ms psql -q -d "$url" -c "$(queue_statements "$now")")"
report postgresql "the other four, every scheduled job due" "$(best_ms psql -q -d "$url" -c "$(queue_statements "$later")")"
report postgresql "psql starting alone (subtract)" "$(best_ms psql -q -d "$url" -c "SELECT 1")"
report postgresql "jobsctl status --json (whole command)" "$(best_ms "$jobsctl" status --json --max-due-age 366d)"
