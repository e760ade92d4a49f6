#!/usr/bin/env bash
# What `jobsctl job purge` costs on a store of N jobs (default 10^6): half of them finished (even ids,
# `updatedAt` = their id in ms), half scheduled and interleaved with them, in one project, so that every batch also
# moves the scheduled jobs below it (the list stays dense). Times, each on a fresh copy of the store: a purge that
# finds nothing (every finished job is newer than the cutoff: the scan of the finished jobs alone), and a purge of
# the finished jobs among the oldest fifth (N/10 deleted, in batches of 1,000, each its own write transaction: how
# long the API's writes may wait for one batch is about the total over N/10,000).
#
# PURGE_LAYOUT=apart puts the finished half first (ids 1 … N/2) instead, so that no active job sits among the purged
# ones: each batch then deletes and moves nothing else (the usual case of a daily purge).
#
# SQLite by default. With --postgres, a PostgreSQL server of its own (deploy/postgres-test-server.sh, with fsync
# turned back on: a purge's commits pay for durability as in production), each copy made with CREATE DATABASE …
# TEMPLATE and analyzed first.
#
# Usage: deploy/bench/purge-cost.sh [--postgres] [JOBS]  (jobsctl from PURGE_BIN_DIR, else .build/release, else
# .build/debug; PURGE_BATCH_SIZE, default 1000, is the purge's --batch-size)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source deploy/lib.sh
source deploy/bench/cost-setup.sh
engine=sqlite
if [[ ${1:-} == --postgres ]]; then
    engine=postgres
    shift
fi
jobs=${1:-1000000}
is_count() { [[ $1 =~ ^[1-9][0-9]*$ ]]; }
is_count "$jobs" && ((jobs >= 20)) || die "JOBS=$jobs: a whole number, at least 20"
batch_size=${PURGE_BATCH_SIZE:-1000}
layout=${PURGE_LAYOUT:-interleaved}
case $layout in
    interleaved) finished="i % 2 = 0" ;;
    apart) finished="i <= $jobs / 2" ;;
    *) die "PURGE_LAYOUT=$layout: interleaved or apart" ;;
esac
is_count "$batch_size" || die "PURGE_BATCH_SIZE=$batch_size: a whole number, at least 1"
cost_setup purge-cost "${PURGE_BIN_DIR:-}"

# The jobs, in the engine's SQL: $1 is the count.
seed_rows() {
    cat <<SQL
INSERT INTO jobs (project_id, action, reference_id, description, status, created_at, updated_at, start_at, position)
SELECT 1, 'delete_user_data', 'user-' || i, 'Delete user data', CASE WHEN $finished THEN 'completed' ELSE 'scheduled' END,
    i, CASE WHEN $finished THEN i ELSE NULL END, 4000000000000, i
FROM $2;
UPDATE projects SET last_position = $1;
SQL
}

if [[ $engine == sqlite ]]; then
    seed=$run_dir/seed.sqlite3
    cost_store "$seed"
    {
        echo "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $jobs)"
        seed_rows "$jobs" n
        echo "PRAGMA wal_checkpoint(TRUNCATE);"
    } | sqlite3 "$seed" >/dev/null
    size=$(du -h "$seed" | cut -f1)
    # copy NAME: a fresh copy of the seed; prints its DSN.
    copy() { cp "$seed" "$run_dir/$1.sqlite3" && echo "$run_dir/$1.sqlite3"; }
else
    command -v psql >/dev/null || die "psql not found: install postgresql-client"
    url=$(deploy/postgres-test-server.sh start "$pg_dir")
    psql -qX "$url" -c "ALTER SYSTEM SET fsync = on" -c "SELECT pg_reload_conf()" >/dev/null
    psql -qX "$url" -c "CREATE DATABASE seed" >/dev/null
    seed=${url%/*}/seed
    cost_store "$seed"
    seed_rows "$jobs" "generate_series(1, $jobs) AS n(i)" | psql -qX -v ON_ERROR_STOP=1 "$seed" >/dev/null
    size=$(psql -qXAt "$seed" -c "SELECT pg_size_pretty(pg_database_size('seed'))")
    copy() {
        psql -qX "$url" -c "CREATE DATABASE \"$1\" TEMPLATE seed" >/dev/null
        psql -qX "${url%/*}/$1" -c "ANALYZE" >/dev/null
        echo "${url%/*}/$1"
    }
fi

# purge NAME CUTOFF: the milliseconds one purge takes on a fresh copy of the store, and what it deleted.
purge() {
    local store start end output
    store=$(copy "$1")
    start=$(date +%s%N)
    output=$(JOBS_STORE=$store "$jobsctl" job purge --finished-before "$2" --batch-size "$batch_size" 2>/dev/null)
    end=$(date +%s%N)
    printf '%-34s %8d ms   %s\n' "$3" $(((end - start) / 1000000)) "$output"
}
log "$jobs jobs ($((jobs / 2)) finished, $layout), $size $engine store, batches of $batch_size, $jobsctl"
purge scan 0 "nothing to purge (scan only)"
if [[ $layout == interleaved ]]; then
    purge tenth $((jobs / 5 + 1)) "$((jobs / 10)) finished jobs"
else
    purge tenth $((jobs / 10 + 1)) "$((jobs / 10)) finished jobs"
fi
