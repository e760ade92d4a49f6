#!/usr/bin/env bash
# Measures what docs/PERFORMANCE.md's "Sizing" reports: a store of N jobs (default 1,000,000, over 4 projects, as
# deploy/bench.sh makes it), its table and index sizes, and the app's own time per request (the duration each
# request line of jobs-fcgi's log records: from the request's arrival to its answer, without nginx or the client)
# for a job by id and for list pages at the start, the middle and the end of a project.
#
#   deploy/bench/sizing.sh sqlite        seeded by deploy/bench/seed-jobs.sql through the sqlite3 shell
#   deploy/bench/sizing.sh postgresql    a throwaway server (deploy/postgres-test-server.sh), seeded by
#                                        deploy/bench/seed-jobs-postgresql.sql through psql
#
# Environment: SIZING_JOBS (default 1000000), SIZING_BIN_DIR (jobs-fcgi and jobsctl; default: `swift build`'s
# debug build), SIZING_REQUESTS (requests per measured kind, default 200).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
cd "$repo_root"

kind=${1:-}
[[ $kind == sqlite || $kind == postgresql ]] || die "usage: $0 sqlite|postgresql"
jobs=${SIZING_JOBS:-1000000}
requests=${SIZING_REQUESTS:-200}
projects=4
if [[ -n ${SIZING_BIN_DIR:-} ]]; then
    bin_dir=$SIZING_BIN_DIR
else
    swift build >&2
    bin_dir=$(swift build --show-bin-path)
fi

run_dir=$(mktemp -d "${TMPDIR:-/tmp}/jobs-sizing.XXXXXX")
chmod 755 "$run_dir"
pids=()
stop() {
    for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
    wait 2>/dev/null || true
    [[ $kind != postgresql ]] || deploy/postgres-test-server.sh stop "$run_dir/pg" 2>/dev/null || true
    rm -rf "$run_dir"
}
trap stop EXIT

if [[ $kind == sqlite ]]; then
    store=$run_dir/jobs.sqlite3
else
    store=$(deploy/postgres-test-server.sh start "$run_dir/pg")
fi
jobsctl() { JOBS_STORE=$store "$bin_dir/jobsctl" "$@"; }

log "seeding $jobs jobs over $projects projects ($kind)"
jobsctl init >/dev/null
org_id=$(jobsctl org create "Sizing" | field orgId)
key=$(jobsctl key create --org "$org_id" | field key)
project_key=""
for ((project = 1; project <= projects; project++)); do
    created=$(jobsctl project create --org "$org_id" "Sizing $project" | field projectKey)
    [[ -n $project_key ]] || project_key=$created
done
now=$(($(date +%s) * 1000))
seed_started=$(date +%s.%N)
if [[ $kind == sqlite ]]; then
    sqlite3 -bail "$store" ".parameter set @jobs $jobs" ".parameter set @projects $projects" \
        ".parameter set @now $now" ".read deploy/bench/seed-jobs.sql" >/dev/null
else
    psql -X -q -v ON_ERROR_STOP=1 -d "$store" -v jobs="$jobs" -v projects="$projects" -v now="$now" \
        -f deploy/bench/seed-jobs-postgresql.sql >/dev/null
fi
log "seeded in $(awk -v a="$seed_started" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f", b - a }') s"

echo "## $kind, $jobs jobs"
echo
if [[ $kind == sqlite ]]; then
    echo "file: $(stat -c %s "$store") bytes"
    # dbstat: every b-tree's pages (table or index), their bytes in the file and the b-tree's depth.
    sqlite3 -bail "$store" <<'EOF'
.mode list
.separator " | "
SELECT 'b-tree | bytes | pages | depth';
SELECT name, sum(pgsize), count(*), max(length(path) - length(replace(path, '/', '')))
FROM dbstat GROUP BY name ORDER BY sum(pgsize) DESC;
SELECT 'jobs rows', count(*), 'bytes of row data per row',
    (SELECT sum(payload) FROM dbstat WHERE name = 'jobs') / count(*) FROM jobs;
EOF
else
    psql -X -q -A -F ' | ' -d "$store" <<'EOF'
ANALYZE jobs;
SELECT 'jobs rows' AS what, count(*)::text AS value FROM jobs
UNION ALL SELECT 'table (heap + TOAST)', pg_table_size('jobs')::text
UNION ALL SELECT 'indexes', pg_indexes_size('jobs')::text
UNION ALL SELECT 'total (pg_total_relation_size)', pg_total_relation_size('jobs')::text
UNION ALL SELECT 'average row (pg_column_size)', (SELECT avg(pg_column_size(j.*))::int::text FROM jobs j);
-- pageinspect's bt_metap: the level of a b-tree's root (0: the root is the only page); depth = level + 1.
CREATE EXTENSION IF NOT EXISTS pageinspect;
SELECT indexrelid::regclass AS index, pg_relation_size(indexrelid) AS bytes,
    (SELECT level + 1 FROM bt_metap(indexrelid::regclass::text)) AS depth
FROM pg_index WHERE indrelid = 'jobs'::regclass ORDER BY 2 DESC;
EOF
fi
echo

# The app on a TCP port, measured from its own log.
port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
"$bin_dir/jobs-fcgi" --listen "127.0.0.1:$port" --store "$store" --threads 1 --auth-failure-limit 0 \
    2>>"$run_dir/app.log" &
pids+=($!)
for _ in $(seq 100); do grep -q 'listening on' "$run_dir/app.log" && break; sleep 0.1; done
# One FastCGI request with cgi-fcgi (libfcgi's client), no nginx in the way.
request() {
    local query=""
    [[ $1 != *\?* ]] || query=${1#*\?}
    REQUEST_METHOD=GET REQUEST_URI="$1" QUERY_STRING="$query" HTTP_AUTHORIZATION="Bearer $key" \
        cgi-fcgi -bind -connect "127.0.0.1:$port" >/dev/null
}
# The median and 90th percentile of the durations logged for GETs of a path matching $1 (an extended regular
# expression) answered 200.
durations() {
    grep -E "]: GET $1 200 " "$run_dir/app.log" | sed 's/.* 200 \([0-9.]*\)ms.*/\1/' | sort -n |
        awk '{ v[NR] = $1 } END { if (NR == 0) { print "no requests"; exit }
            printf "median %.1f ms, p90 %.1f ms (%d requests)\n", v[int((NR + 1) / 2)], v[int(NR * 0.9 + 0.5)], NR }'
}
per_project=$(((jobs + projects - 1) / projects))
base=/public/$project_key
# The seeded store must serve full pages, or the timings below mean nothing.
listed=$(REQUEST_METHOD=GET REQUEST_URI="$base/jobs?limit=50&page=2" QUERY_STRING="limit=50&page=2" \
    HTTP_AUTHORIZATION="Bearer $key" cgi-fcgi -bind -connect "127.0.0.1:$port" | grep -o '"jobId"' | wc -l)
[[ $listed -eq 50 || $jobs -lt 400 ]] || die "page 2 of the first project lists $listed jobs, not 50"
: >"$run_dir/app.log"
for ((i = 0; i < requests; i++)); do
    request "$base/jobs/$((1 + projects * (RANDOM * 32768 + RANDOM) % per_project))"
done
echo "GET /jobs/:id (random ids of the first project): $(durations "$base/jobs/[0-9]+")"
pages=$(((per_project + 49) / 50))
for page in 1 $((pages / 2)) "$pages"; do
    for ((i = 0; i < requests / 4; i++)); do request "$base/jobs?limit=50&page=$page"; done
    echo "GET /jobs?limit=50&page=$page (of $pages): $(durations "$base/jobs")"
    : >"$run_dir/app.log"
done
