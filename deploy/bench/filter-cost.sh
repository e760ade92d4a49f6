#!/usr/bin/env bash
# What a filtered list page costs at N jobs (default 10^6), on SQLite and on PostgreSQL: the statements the app runs
# for `GET /jobs?referenceId=…`, `?status=…` and `?status=a,b` (the texts of Sources/SQLStore/SQLStatements.swift,
# with literal values), each the best of 3 in one warm session of the engine's shell (sqlite3's `.timer`, psql's
# `\timing`: the statement alone, not the shell). One project; 100,000 users with N/100,000 jobs each; the newest
# job of every user active (half scheduled, half running: 5 % each), the others 80 % completed, 5 % failed and 5 %
# cancelled of the whole.
#
# Usage: deploy/bench/filter-cost.sh [JOBS]      (jobsctl from FILTER_BIN_DIR, else .build/release, else .build/debug)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
source deploy/lib.sh
source deploy/bench/cost-setup.sh
jobs=${1:-1000000}
[[ $jobs =~ ^[1-9][0-9]*$ ]] && ((jobs >= 200000 && jobs % 100000 == 0)) || die "JOBS=$jobs: a multiple of 100,000, at least 200,000"
cost_setup filter-cost "${FILTER_BIN_DIR:-}"
per_user=$((jobs / 100000))

columns="id, description, status, project_id, action, reference_id, created_at, updated_at, start_at, errors"
# job k (0-based) of user u is id u + 1 + k * 100000: the last k of each user is active; of the others, 1 in 18
# failed and 1 in 18 cancelled (at 10^6: 5 % of all jobs each).
status_of() { # the SQL expression of a job's status from `i`, its id
    cat <<SQL
CASE WHEN (i - 1) / 100000 = $((per_user - 1)) THEN (CASE WHEN (i - 1) % 2 = 0 THEN 'scheduled' ELSE 'running' END)
     WHEN ((i - 1) % 100000 + (i - 1) / 100000) % 18 = 0 THEN 'failed'
     WHEN ((i - 1) % 100000 + (i - 1) / 100000) % 18 = 1 THEN 'cancelled'
     ELSE 'completed' END
SQL
}
one() { # STATUS OFFSET
    echo "SELECT $columns FROM jobs WHERE project_id = 1 AND status = '$1' ORDER BY id LIMIT 50 OFFSET $2;"
}
several() { # OFFSET STATUS...
    local offset=$1 branch=() status
    shift
    for status in "$@"; do
        branch+=("SELECT $columns FROM (SELECT $columns FROM jobs WHERE project_id = 1 AND status = '$status' ORDER BY id LIMIT $((offset + 50))) AS $status")
    done
    local IFS=$'\n'
    echo "${branch[*]/#/UNION ALL }" | sed '1s/^UNION ALL //'
    echo "ORDER BY id LIMIT 50 OFFSET $offset;"
}
report() { printf '%-11s %-48s %9s ms\n' "$1" "$2" "$3"; }
# best TIMES...: the smallest number
best() { printf '%s\n' "$@" | sort -g | head -n 1; }

# SQLite
store=$run_dir/jobs.sqlite3
cost_store "$store" 3sWXSsqHgSKnE87YkNJK
sqlite3 -bail "$store" >/dev/null <<SQL
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $jobs)
INSERT INTO jobs (project_id, action, reference_id, description, status, created_at, updated_at, start_at, position)
SELECT 1, 'delete_user_data', 'user-' || ((i - 1) % 100000), 'Delete user data', $(status_of), i, i, i, i FROM n;
UPDATE projects SET last_position = $jobs;
PRAGMA wal_checkpoint(TRUNCATE);
SQL
reference="SELECT $columns FROM jobs WHERE project_id = 1 AND reference_id = 'user-4242' AND status IN ('scheduled', 'running', 'completed', 'failed', 'cancelled') ORDER BY id LIMIT 50 OFFSET 0;"
last_completed=$(($(sqlite3 "$store" "SELECT count(*) FROM jobs WHERE status = 'completed'") - 50))
queries=(
    "referenceId, page 1|$reference"
    "status=completed, page 1|$(one completed 0)"
    "status=completed, offset 100,000|$(one completed 100000)"
    "status=completed, offset $last_completed (last page)|$(one completed "$last_completed")"
    "status=scheduled,running, page 1|$(several 0 scheduled running)"
    "status=scheduled,running, offset 10,000|$(several 10000 scheduled running)"
    "status=scheduled,running, offset 100,000|$(several 100000 scheduled running)"
)
log "$jobs jobs, $(du -m "$store" | cut -f1) MB SQLite store: $(sqlite3 "$store" "SELECT group_concat(status || ' ' || n, ', ') FROM (SELECT status, count(*) AS n FROM jobs GROUP BY status)")"
for entry in "${queries[@]}"; do
    name=${entry%%|*} sql=${entry#*|}
    times=$(printf '.timer on\n%s\n%s\n%s\n' "$sql" "$sql" "$sql" | sqlite3 "$store" | sed -n 's/^Run Time: real \([0-9.]*\).*/\1/p')
    # The shell's timer counts whole milliseconds here: 0 is under one.
    report sqlite "$name" "$(awk -v t="$(best $times)" 'BEGIN { if (t * 1000 < 1) print "< 1"; else printf "%.0f", t * 1000 }')"
done

# PostgreSQL
url=$(deploy/postgres-test-server.sh start "$pg_dir" | tail -1)
cost_store "$url" 3sWXSsqHgSKnE87YkNJK
psql -q -v ON_ERROR_STOP=1 -d "$url" >/dev/null <<SQL
INSERT INTO jobs (project_id, action, reference_id, description, status, created_at, updated_at, start_at, position)
SELECT 1, 'delete_user_data', 'user-' || ((i - 1) % 100000), 'Delete user data', $(status_of), i, i, i, i
FROM generate_series(1, $jobs) AS i;
UPDATE projects SET last_position = $jobs;
VACUUM ANALYZE jobs;
SQL
for entry in "${queries[@]}"; do
    name=${entry%%|*} sql=${entry#*|}
    times=$(printf '\\timing on\n%s\n%s\n%s\n' "$sql" "$sql" "$sql" | psql -q -d "$url" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p')
    report postgresql "$name" "$(best $times)"
done
