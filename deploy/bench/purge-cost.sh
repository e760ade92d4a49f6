#!/usr/bin/env bash
# What `jobsctl job purge` costs on a SQLite store of N jobs (default 10^6): half of them finished (even ids,
# `updatedAt` = their id in ms), half scheduled and interleaved with them, in one project, so that every batch also
# moves the scheduled jobs below it (the list stays dense). Times, each on a fresh copy of the store: a purge that
# finds nothing (every finished job is newer than the cutoff: the scan of the finished jobs alone), and a purge of
# the finished jobs among the oldest fifth (N/10 deleted, in batches of 1,000, each its own write transaction: how
# long the API's writes may wait for one batch is about the total over N/10,000).
#
# Usage: deploy/bench/purge-cost.sh [JOBS]      (jobsctl from PURGE_BIN_DIR, else .build/release, else .build/debug)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source deploy/lib.sh
jobs=${1:-1000000}
is_count() { [[ $1 =~ ^[1-9][0-9]*$ ]]; }
is_count "$jobs" && ((jobs >= 20)) || die "JOBS=$jobs: a whole number, at least 20"
bin_dir=${PURGE_BIN_DIR:-.build/release}
[[ -x $bin_dir/jobsctl ]] || bin_dir=.build/debug
[[ -x $bin_dir/jobsctl ]] || die "no jobsctl in $bin_dir: swift build -c release first"
jobsctl=$bin_dir/jobsctl
run_dir=$(mktemp -d /tmp/jobs-purge-cost.XXXXXX)
trap 'rm -rf "$run_dir"' EXIT

seed=$run_dir/seed.sqlite3
JOBS_STORE=$seed "$jobsctl" init >/dev/null
JOBS_STORE=$seed "$jobsctl" org create Bench >/dev/null
JOBS_STORE=$seed "$jobsctl" project create --org 1 --project-key 3sWXSsqHgSKnE87YkNJK Bench >/dev/null
sqlite3 "$seed" >/dev/null <<SQL
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $jobs)
INSERT INTO jobs (project_id, action, reference_id, description, status, created_at, updated_at, start_at, position)
SELECT 1, 'delete_user_data', 'user-' || i, 'Delete user data', CASE WHEN i % 2 = 0 THEN 'completed' ELSE 'scheduled' END,
    i, CASE WHEN i % 2 = 0 THEN i ELSE NULL END, 4000000000000, i
FROM n;
UPDATE projects SET last_position = $jobs;
PRAGMA wal_checkpoint(TRUNCATE);
SQL

# purge NAME CUTOFF: the seconds one purge takes on a fresh copy of the store, and what it deleted.
purge() {
    local store=$run_dir/$1.sqlite3 start end output
    cp "$seed" "$store"
    start=$(date +%s%N)
    output=$(JOBS_STORE=$store "$jobsctl" job purge --finished-before "$2" 2>/dev/null)
    end=$(date +%s%N)
    printf '%-34s %8d ms   %s\n' "$1" $(((end - start) / 1000000)) "$output"
}
log "$jobs jobs ($((jobs / 2)) finished), $(du -h "$seed" | cut -f1) SQLite store, $jobsctl"
purge "nothing to purge (scan only)" 0
purge "$((jobs / 10)) finished jobs" $((jobs / 5 + 1))
