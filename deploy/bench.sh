#!/usr/bin/env bash
# Measures the Jobs API as it is deployed: nginx with the shipped site (deploy/nginx-local-conf.sh), spawn-fcgi -F 1
# and a release build of jobs-fcgi on a store of a million jobs, driven by wrk. In the same run, two reference
# servers behind the same nginx set the ceiling: a minimal threaded C libfcgi responder (deploy/bench/ceiling.c)
# behind a copy of the shipped site, and nginx's own `return 200`, both answering a fixed job-sized JSON body.
# Prints a table (requests/s, p50, p99, ratio to the C ceiling, share of expected statuses, peak RSS) and writes it
# to deploy/.bench/results-DATE.md. Every scenario counts the statuses it got: one that answered anything else
# than its expected status (or lost connections) makes the script exit 1, whatever the speed.
#
#   deploy/bench.sh           the benchmark: 1,000,000 jobs, 10 s per scenario, 8 and 64 connections
#   deploy/bench.sh --smoke   a check for CI: 20,000 jobs, 1 s per scenario, 8 connections; asserts nothing about
#                             speed, only that every scenario answered its expected status
#   deploy/bench.sh --overload  GET /jobs/:id (and the C ceiling) at 64, 1,000 and 4,000 connections; a second table
#                             gives each count's statuses, p99 and throughput against 64 connections, and the run
#                             fails unless, at every count, every answer is a 200 or a JSON 503 with Retry-After
#                             (no 502, no dropped connection, no nginx error-log line), p99 stays under 2 s, and
#                             the largest count keeps at least 90 % of the 64-connection throughput
#
# Environment:
#   BENCH_JOBS         jobs in the store (default 1000000; --smoke 20000), over 4 projects
#   BENCH_DURATION     seconds per scenario (default 10; --smoke 1)
#   BENCH_CONNECTIONS  wrk connection counts, space-separated (default "8 64"; --smoke "8"; --overload "64 1000 4000")
#   BENCH_FASTCGI      unix (default: the shipped site's socket) or tcp: both responders on 127.0.0.1 ports
#                      (spawn-fcgi -a/-p, nginx's fastcgi_pass rewritten), to measure FastCGI over TCP
#   BENCH_NGINX_WORKERS  nginx's worker_processes (default 1; --overload: auto, one per core, as Debian's nginx.conf:
#                      with one worker, 4,000 connections wait on it and the p99 is nginx's, not the responders')
#   BENCH_BACKLOG      spawn-fcgi -b for both responders: their listen queue (default 4096, the kernel's
#                      net.core.somaxconn caps it)
#   BENCH_THREADS      jobs-fcgi --threads, and the C responder's threads (default: the number of cores)
#   BENCH_BIN_DIR      use jobs-fcgi and jobsctl from there instead of building a release in .build-bench
#   BENCH_APP_ARGS     more jobs-fcgi options, space-separated (e.g. "--sqlite-synchronous normal")
#   BENCH_ONLY         run only the scenarios whose name matches this extended regex (the ceiling always runs)
#   BENCH_OUT          where to write the table (default deploy/.bench/results-DATE.md; --smoke deploy/.bench/smoke.md)
#   BENCH_DIR          the run's folder: store, nginx configuration, logs (default deploy/.bench/run, recreated)
#   BENCH_PORT         first of three ports: the API, the C ceiling, nginx's return (default: three free ports
#                      from 18480 up)
#
# Scenarios, all on the first project: GET /jobs/:id (random ids), the same while /jobs-api/metrics is scraped
# once a second, GET /jobs?limit=50 and limit=200 (random pages),
# GET with a bad key (401), DELETE /jobs/:id (each request cancels a scheduled job not cancelled before), DELETE
# /users/:id (each request a new user). The store is made with `jobsctl init`, `org create`, `key create` and
# `project create`, then filled by deploy/bench/seed-jobs.sql through the sqlite3 shell.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$repo_root"
started_at=$(date +%s.%N)

smoke=false
overload=false
case ${1:-} in
    --smoke) smoke=true ;;
    --overload) overload=true ;;
    "") ;;
    *) die "usage: $0 [--smoke | --overload]" ;;
esac
stamp=$(date -u +%Y%m%d-%H%M%S)
if $smoke; then
    jobs=${BENCH_JOBS:-20000}
    duration=${BENCH_DURATION:-1}
    read -r -a connection_counts <<<"${BENCH_CONNECTIONS:-8}"
    out=${BENCH_OUT:-$repo_root/deploy/.bench/smoke.md}
elif $overload; then
    jobs=${BENCH_JOBS:-1000000}
    duration=${BENCH_DURATION:-10}
    read -r -a connection_counts <<<"${BENCH_CONNECTIONS:-64 1000 4000}"
    out=${BENCH_OUT:-$repo_root/deploy/.bench/overload-$stamp.md}
    BENCH_ONLY='^GET /jobs/:id$'
else
    jobs=${BENCH_JOBS:-1000000}
    duration=${BENCH_DURATION:-10}
    read -r -a connection_counts <<<"${BENCH_CONNECTIONS:-8 64}"
    out=${BENCH_OUT:-$repo_root/deploy/.bench/results-$stamp.md}
fi
backlog=${BENCH_BACKLOG:-4096}
if $overload; then nginx_workers=${BENCH_NGINX_WORKERS:-auto}; else nginx_workers=${BENCH_NGINX_WORKERS:-1}; fi
fastcgi_transport=${BENCH_FASTCGI:-unix}
[[ $fastcgi_transport == unix || $fastcgi_transport == tcp ]] || die "BENCH_FASTCGI=$fastcgi_transport: unix or tcp"
bench_dir=${BENCH_DIR:-$repo_root/deploy/.bench/run}
projects=4
cores=$(nproc)
threads=${BENCH_THREADS:-$cores}

is_count() { [[ $1 =~ ^[1-9][0-9]{0,8}$ ]]; }
is_count "$jobs" && ((jobs >= 1000)) || die "BENCH_JOBS=$jobs: a whole number of at least 1000"
is_count "$duration" || die "BENCH_DURATION=$duration: whole seconds, at least 1"
is_count "$threads" || die "BENCH_THREADS=$threads: a whole number"
is_count "$backlog" && ((backlog <= 65535)) || die "BENCH_BACKLOG=$backlog: 1 to 65535"
((${#connection_counts[@]} > 0)) || die "BENCH_CONNECTIONS is empty"
most_connections=0
for connections in "${connection_counts[@]}"; do
    is_count "$connections" || die "BENCH_CONNECTIONS: $connections is not a connection count"
    ((connections <= most_connections)) || most_connections=$connections
done
# wrk holds one descriptor per connection; nginx two per client (the client's and the app's) and raises its own
# limit (worker_rlimit_nofile, deploy/nginx-local-conf.sh). Both inherit this shell's limit.
needed_files=$((3 * most_connections + 1024))
if (($(ulimit -n) < needed_files)); then
    ulimit -n "$needed_files" 2>/dev/null \
        || die "$most_connections connections need $needed_files open files; the hard limit is $(ulimit -Hn) (raise it: ulimit -Hn, LimitNOFILE=)"
fi
somaxconn=$(cat /proc/sys/net/core/somaxconn 2>/dev/null || echo 4096)
((backlog <= somaxconn)) || log "warning: spawn-fcgi -b $backlog is capped at net.core.somaxconn = $somaxconn"
[[ $bench_dir == */* && $bench_dir != / && $bench_dir != "$HOME" ]] || die "BENCH_DIR=$bench_dir: pick a folder of its own"

ensure_packages wrk gcc libc6-dev sqlite3
if [[ -n ${BENCH_BIN_DIR:-} ]]; then
    bin_dir=$BENCH_BIN_DIR
    build_note="binaries from BENCH_BIN_DIR=$bin_dir"
else
    ensure_swift
    # A folder of its own: a release build here never waits for, or invalidates, the debug build in .build.
    log "swift build -c release --scratch-path .build-bench"
    swift build -c release --scratch-path .build-bench </dev/null
    bin_dir=$(swift build -c release --scratch-path .build-bench --show-bin-path)
    build_note="release build (.build-bench)"
fi
for binary in jobs-fcgi jobsctl; do
    [[ -x $bin_dir/$binary ]] || die "$bin_dir/$binary is missing"
done

# Three ports nothing listens on (a connection attempt is refused), unless BENCH_PORT picks them.
port_is_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
if [[ -n ${BENCH_PORT:-} ]]; then
    is_count "$BENCH_PORT" && ((BENCH_PORT + 2 < 65536)) || die "BENCH_PORT=$BENCH_PORT: a port number"
    api_port=$BENCH_PORT
else
    for ((api_port = 18480; ; api_port += 3)); do
        ((api_port < 18600)) || die "no three free ports from 18480 to 18600; set BENCH_PORT"
        port_is_free "$api_port" && port_is_free $((api_port + 1)) && port_is_free $((api_port + 2)) && break
    done
fi
ceiling_port=$((api_port + 1))
return_port=$((api_port + 2))
# BENCH_FASTCGI=tcp: the responders' own ports, 100 above nginx's.
app_fastcgi_port=$((api_port + 100))
ceiling_fastcgi_port=$((api_port + 101))
if [[ $fastcgi_transport == tcp ]]; then
    port_is_free "$app_fastcgi_port" && port_is_free "$ceiling_fastcgi_port" \
        || die "ports $app_fastcgi_port and $ceiling_fastcgi_port (BENCH_FASTCGI=tcp) are taken; set BENCH_PORT"
fi

# One run at a time per folder (CI's smoke run and a developer's run would delete each other's store).
mkdir -p "$(dirname "$bench_dir")"
exec 9>"$bench_dir.lock"
flock -n 9 || die "another deploy/bench.sh is using $bench_dir; wait for it or set BENCH_DIR"

# The run's folder (store, configuration, logs; recreated) and, under /tmp, the sockets: nginx's workers (nobody,
# when started as root) must reach them wherever the repository is.
rm -rf "$bench_dir"
mkdir -p "$bench_dir/nginx" "$bench_dir/wrk" "$(dirname "$out")"
run_dir=$(mktemp -d /tmp/jobs-api-bench.XXXXXX)
chmod 0755 "$run_dir"
store=$bench_dir/jobs.sqlite3
export BENCH_APP_LOG=$bench_dir/jobs-fcgi.log

nginx_pid=""
stop() {
    trap - EXIT INT TERM
    log "stopping"
    stop_pids_in "$run_dir/jobs-fcgi.pid" "$run_dir/ceiling.pid"
    if [[ -n $nginx_pid ]]; then
        kill -TERM "$nginx_pid" 2>/dev/null || true
        wait "$nginx_pid" 2>/dev/null || true
    fi
    rm -rf "$run_dir"
    # The store is large and rebuilt by every run; the logs and the configuration stay for a look.
    rm -f "$store" "$store-wal" "$store-shm"
}
trap stop EXIT
trap 'exit 130' INT TERM

# MARK: The store

jobsctl() { JOBS_STORE=$store "$bin_dir/jobsctl" "$@"; }

log "creating a store with $jobs jobs over $projects projects"
store_started=$(date +%s.%N)
schema_version=$(jobsctl init | field schemaVersion)
# Schema 4 changed only how two partial indexes state their condition: the layout of 3 holds.
[[ $schema_version =~ ^[34]$ ]] \
    || log "warning: the store has schema version $schema_version; deploy/bench/seed-jobs.sql was written for 3 and 4"
org_id=$(jobsctl org create "Benchmark organization" | field orgId)
key=$(jobsctl key create --org "$org_id" | field key)
project_key=""
for ((project = 1; project <= projects; project++)); do
    created_key=$(jobsctl project create --org "$org_id" "Benchmark project $project" | field projectKey)
    [[ -n $project_key ]] || project_key=$created_key
done
[[ -n $key && -n $project_key ]] || die "jobsctl did not print a key and a project key"
seed_started=$(date +%s.%N)
sqlite3 -bail "$store" ".parameter set @jobs $jobs" ".parameter set @projects $projects" \
    ".parameter set @now $(($(date +%s) * 1000))" ".read deploy/bench/seed-jobs.sql" >/dev/null
store_finished=$(date +%s.%N)
seconds_between() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }
store_seconds=$(seconds_between "$store_started" "$store_finished")
seed_seconds=$(seconds_between "$seed_started" "$store_finished")
store_mib=$(($(stat -c %s "$store") / 1048576))
log "store ready in $store_seconds s (sqlite3 seed $seed_seconds s), $store_mib MiB"

# The first project's jobs (seed-jobs.sql's layout): ids 1 + projects * k, k < per_project; the scheduled ones
# among them are the even k. The cancel scenarios do not use those: each gets a pool of its own, added just before
# it runs (see cancel_pool below), sized so that no machine can use it up.
per_project=$(((jobs + projects - 1) / projects))
scheduled_pool=$(((per_project + 1) / 2))

# MARK: The servers

# The reference body: one job of the API's shape, like a GET /jobs/:id answer (291 bytes).
reference_body='{"data":{"jobId":123456,"description":"Delete user sessions of userId = user-123456@example.com","status":"completed","projectId":1,"action":"delete_user_data","referenceId":"user-123456@example.com","createdAt":1790246912000,"updatedAt":1790250512000,"startAt":1790294400000,"errors":null}}'

log "building the C ceiling (deploy/bench/ceiling.c)"
gcc -O2 -Wall -o "$bench_dir/ceiling" deploy/bench/ceiling.c -lfcgi -lpthread

conf_dir=$bench_dir/nginx
NGINX_LOCAL_CLIENTS=$((most_connections > 256 ? most_connections : 256)) NGINX_LOCAL_WORKERS=$nginx_workers \
    bash deploy/nginx-local-conf.sh "$conf_dir" "$run_dir" "$api_port" "$conf_dir/ceiling-site.conf" "$conf_dir/return.conf"
# The ceiling sits behind the same site as the app: the rewritten shipped site, on its own port and socket.
sed -e "s|listen 127.0.0.1:$api_port |listen 127.0.0.1:$ceiling_port |" \
    -e "s|unix:$run_dir/jobs-fcgi.sock;|unix:$run_dir/ceiling.sock;|" \
    "$conf_dir/jobs-api.conf" >"$conf_dir/ceiling-site.conf"
grep -q "listen 127.0.0.1:$ceiling_port " "$conf_dir/ceiling-site.conf" \
    && grep -q "unix:$run_dir/ceiling.sock;" "$conf_dir/ceiling-site.conf" \
    || die "could not derive the ceiling's site from $conf_dir/jobs-api.conf"
if [[ $fastcgi_transport == tcp ]]; then
    sed -i "s|unix:$run_dir/jobs-fcgi.sock;|127.0.0.1:$app_fastcgi_port;|" "$conf_dir/jobs-api.conf"
    sed -i "s|unix:$run_dir/ceiling.sock;|127.0.0.1:$ceiling_fastcgi_port;|" "$conf_dir/ceiling-site.conf"
    app_socket=(-a 127.0.0.1 -p "$app_fastcgi_port")
    ceiling_socket=(-a 127.0.0.1 -p "$ceiling_fastcgi_port")
else
    app_socket=(-s "$run_dir/jobs-fcgi.sock" -M 0666)
    ceiling_socket=(-s "$run_dir/ceiling.sock" -M 0666)
fi
cat >"$conf_dir/return.conf" <<EOF
# nginx alone: the same body from a return, no FastCGI.
server {
    listen 127.0.0.1:$return_port backlog=4096;
    server_tokens off;
    default_type application/json;
    location / {
        return 200 '$reference_body';
    }
}
EOF

log "starting jobs-fcgi ($threads threads), the C ceiling and nginx on 127.0.0.1:$api_port-$return_port"
# -M 0666: nginx's workers run as another user. -b: the listen queue holds every connection nginx may open at once
# (one per client in flight), so that none is refused. spawn-fcgi -F points its children's stderr at /dev/null: a
# shell that execs the app (same pid) keeps the log. --auth-failure-limit 0: the bad-key scenario measures what a 401
# costs, not the 429 that the limit would answer after 60 failures from 127.0.0.1.
app_threads=()
[[ -z ${BENCH_THREADS:-} ]] || app_threads=(--threads "$threads")
read -r -a app_extra <<<"${BENCH_APP_ARGS:-}"
app_threads+=("${app_extra[@]}")
spawn-fcgi -F 1 -b "$backlog" "${app_socket[@]}" -P "$run_dir/jobs-fcgi.pid" -- \
    /bin/sh -c 'exec "$0" "$@" 2>>"$BENCH_APP_LOG"' "$bin_dir/jobs-fcgi" --store "$store" "${app_threads[@]}" \
    --auth-failure-limit 0 \
    >/dev/null || die "spawn-fcgi failed for jobs-fcgi; see $BENCH_APP_LOG"
spawn-fcgi -F 1 -b "$backlog" "${ceiling_socket[@]}" -P "$run_dir/ceiling.pid" -- \
    "$bench_dir/ceiling" "$threads" "$reference_body" >/dev/null || die "spawn-fcgi failed for the ceiling"
"$(command -v nginx || echo /usr/sbin/nginx)" -p "$conf_dir/" -c "$conf_dir/nginx.conf" -e "$conf_dir/error.log" &
nginx_pid=$!
app_pid=$(cat "$run_dir/jobs-fcgi.pid")
ceiling_pid=$(cat "$run_dir/ceiling.pid")

# Ready once each answers through nginx: the app's 401 for a request without a key, 200 from the others.
wait_for() {
    local port=$1 expected=$2 status tries
    for ((tries = 0; ; tries++)); do
        status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/public/$project_key/jobs" || true)
        [[ $status == "$expected" ]] && return 0
        kill -0 "$nginx_pid" 2>/dev/null || die "nginx stopped; see $conf_dir/error.log"
        ((tries < 200)) || die "no $expected on port $port (last status $status); see $BENCH_APP_LOG, $conf_dir/error.log"
        sleep 0.05
    done
}
wait_for "$api_port" 401
wait_for "$ceiling_port" 200
wait_for "$return_port" 200

# MARK: The scenarios

# Peak resident memory (VmHWM) of a process, in MiB; "gone" when it no longer runs.
peak_rss() {
    awk '/^VmHWM:/ { printf "%.1f", $2 / 1024; found = 1 } END { if (!found) printf "gone" }' \
        "/proc/$1/status" 2>/dev/null || echo gone
}

wrk_threads_for() { echo $(($1 < cores ? $1 : cores)); }
rows=()
failures=()
notes=()
declare -A ceiling_rps=()
load_before=$(cut -d' ' -f1-3 /proc/loadavg)

# run_scenario NAME CONNECTIONS PORT EXPECTED_STATUS RSS_PID LUA_OPTION...
run_scenario() {
    local name=$1 connections=$2 port=$3 expected_status=$4 rss_pid=$5
    shift 5
    if [[ -n ${BENCH_ONLY:-} && $name != "C libfcgi ceiling" && ! $name =~ $BENCH_ONLY ]]; then
        return 0
    fi
    local wrk_threads output line error_lines_before
    wrk_threads=$(wrk_threads_for "$connections")
    error_lines_before=$(wc -l <"$conf_dir/error.log" 2>/dev/null || echo 0)
    output=$bench_dir/wrk/$(printf '%s' "$name-c$connections" | tr -c 'A-Za-z0-9-' '_').txt
    log "$name, $connections connections, $duration s"
    wrk -t "$wrk_threads" -c "$connections" -d "${duration}s" --timeout 10s -s deploy/bench/scenario.lua \
        "http://127.0.0.1:$port" -- expect="$expected_status" key="$key" project="$project_key" \
        threads="$wrk_threads" "$@" >"$output" 2>&1 || die "wrk failed for $name: $(cat "$output")"
    line=$(grep '^bench-result ' "$output") || die "wrk printed no result for $name: $(cat "$output")"

    local -A result=()
    local pair
    for pair in ${line#bench-result }; do
        result[${pair%%=*}]=${pair#*=}
    done
    local answered=$((result[requests] + result[socket_errors]))
    local rps ratio expected_share rss
    rps=$(awk -v n="${result[requests]}" -v s="${result[seconds]}" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')
    if [[ $name == "C libfcgi ceiling" ]]; then
        ceiling_rps[$connections]=$rps
    fi
    ratio=$(awk -v a="$rps" -v c="${ceiling_rps[$connections]:-0}" 'BEGIN { if (c > 0) printf "%.2f", a / c; else printf "-" }')
    expected_share=$(awk -v e="${result[expected]}" -v n="$answered" \
        'BEGIN { if (n > 0) printf "%.2f %%", 100 * e / n; else printf "no answers" }')
    rss=$([[ $rss_pid == - ]] && echo "-" || peak_rss "$rss_pid")
    rows+=("$(printf '| %s | %d | %s | %.2f | %.2f | %s | %s (%s) | %s |' "$name" "$connections" "$rps" \
        "$(awk -v u="${result[p50_us]}" 'BEGIN { print u / 1000 }')" \
        "$(awk -v u="${result[p99_us]}" 'BEGIN { print u / 1000 }')" \
        "$ratio" "$expected_share" "$expected_status" "$rss")")

    if $overload && [[ $name == "GET /jobs/:id" ]]; then
        record_overload "$connections" "$rps" "$error_lines_before" result
        return 0
    fi
    if ((answered == 0 || result[expected] != answered)); then
        failures+=("$name at $connections connections: ${result[expected]} of $answered answers were $expected_status (statuses ${result[statuses]:-none}, socket errors ${result[socket_errors]})")
    fi
    if ((result[exhausted] > 0)); then
        failures+=("$name at $connections connections used up its pool of ${pool_count:-?} scheduled jobs (${result[exhausted]} requests built after that): the app cancelled faster than $pool_rate_bound a second, the bound the pool was sized for")
    fi
    if [[ $rss == gone ]]; then
        failures+=("$name at $connections connections: the responder (pid $rss_pid) is gone; see $BENCH_APP_LOG")
    fi
}

# --overload: one row per connection count for GET /jobs/:id, and the goal checked. A refusal (503) passes only with
# Retry-After; the run fails on any other status, a dropped connection, an nginx error-log line, a p99 of 2 s or
# more, or (checked after the last count) the largest count keeping less than 90 % of the 64-connection throughput.
overload_rows=()
declare -A overload_rps=()
record_overload() {
    local connections=$1 rps=$2 error_lines_before=$3
    local -n scenario_result=$4
    local ok=${scenario_result[expected]} refused=0 other=0 pair status count error_lines
    for pair in ${scenario_result[statuses]//,/ }; do
        status=${pair%%:*} count=${pair#*:}
        case $status in
            200) ;;
            503) refused=$count ;;
            *) other=$((other + count)) ;;
        esac
    done
    error_lines=$(($(wc -l <"$conf_dir/error.log" 2>/dev/null || echo 0) - error_lines_before))
    local ok_rps p99_ms
    ok_rps=$(awk -v n="$ok" -v s="${scenario_result[seconds]}" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')
    overload_rps[$connections]=$ok_rps
    p99_ms=$(awk -v u="${scenario_result[p99_us]}" 'BEGIN { printf "%.1f", u / 1000 }')
    overload_rows+=("$(printf '| %d | %s | %s | %s | %s | %s | %s | %s | %s |' "$connections" "$rps" "$ok_rps" "$refused" \
        "${scenario_result[statuses]:-none}" "${scenario_result[socket_errors]}" "$p99_ms" \
        "$(awk -v a="$ok_rps" -v b="${overload_rps[64]:-0}" 'BEGIN { if (b > 0) printf "%.2f", a / b; else printf "-" }')" \
        "$error_lines")")
    local where="GET /jobs/:id at $connections connections"
    ((ok > 0)) || failures+=("$where: no 200 at all")
    ((other == 0)) || failures+=("$where: $other answers neither 200 nor 503 (statuses ${scenario_result[statuses]})")
    ((scenario_result[no_retry_after] == 0)) || failures+=("$where: ${scenario_result[no_retry_after]} 503s without Retry-After")
    ((scenario_result[socket_errors] == 0)) || failures+=("$where: ${scenario_result[socket_errors]} connections dropped or timed out")
    ((error_lines == 0)) || failures+=("$where: nginx wrote $error_lines error-log lines (see $conf_dir/error.log)")
    ((scenario_result[p99_us] < 2000000)) || failures+=("$where: p99 $p99_ms ms, not under 2 s")
}

# A pool of scheduled jobs for one cancel scenario, each cancelled once, appended to the first project while the
# app runs (deploy/bench/add-scheduled-jobs.sql). Its size is the scenario's duration times a rate no cancel can
# reach: 4 times the C ceiling's rate at the same connection count in this run (a cancel is a durable write through
# the same nginx and FastCGI path as the ceiling's empty answer; it runs at about a sixth of the ceiling's rate), and
# at least 2,000 a second. So the scenario's expected 200 holds on any machine, idle or busy.
# Sets pool_first, pool_count and pool_rate_bound.
cancel_pool() {
    local connections=$1
    pool_rate_bound=$(awk -v c="${ceiling_rps[$connections]:-0}" 'BEGIN { b = 4 * c; if (b < 2000) b = 2000; printf "%.0f", b }')
    pool_count=$((duration * pool_rate_bound))
    pool_first=$(add_scheduled_jobs "$store" "$pool_count")
    log "added $pool_count scheduled jobs to cancel (ids $pool_first on; $pool_rate_bound a second for $duration s)"
}

run_started=$(date +%s)
for index in "${!connection_counts[@]}"; do
    connections=${connection_counts[$index]}
    # The ceiling first: every later row of this connection count is compared with it.
    run_scenario "C libfcgi ceiling" "$connections" "$ceiling_port" 200 "$ceiling_pid" scenario=plain
    run_scenario "nginx return 200" "$connections" "$return_port" 200 - scenario=plain
    run_scenario "GET /jobs/:id" "$connections" "$api_port" 200 "$app_pid" \
        scenario=job first=1 stride="$projects" count="$per_project"
    # The same with a Prometheus-like scrape of /jobs-api/metrics every second (docs/MONITORING.md): compare this
    # row with the one above, in the same run.
    if [[ -z ${BENCH_ONLY:-} || "GET /jobs/:id, 1/s scrape" =~ $BENCH_ONLY ]]; then
        ( while sleep 1; do curl -s -o /dev/null "http://127.0.0.1:$api_port/jobs-api/metrics"; done ) &
        scraper=$!
        run_scenario "GET /jobs/:id, 1/s scrape" "$connections" "$api_port" 200 "$app_pid" \
            scenario=job first=1 stride="$projects" count="$per_project"
        kill "$scraper" 2>/dev/null || true
        wait "$scraper" 2>/dev/null || true
    fi
    run_scenario "GET /jobs?limit=50" "$connections" "$api_port" 200 "$app_pid" \
        scenario=list limit=50 pages=$(((per_project + 49) / 50))
    run_scenario "GET /jobs?limit=200" "$connections" "$api_port" 200 "$app_pid" \
        scenario=list limit=200 pages=$(((per_project + 199) / 200))
    run_scenario "GET /jobs/:id, bad key" "$connections" "$api_port" 401 "$app_pid" \
        scenario=plain key=jobs_0000000000000000000000000000000000000000
    if [[ -z ${BENCH_ONLY:-} || "DELETE /jobs/:id (cancel)" =~ $BENCH_ONLY ]]; then
        cancel_pool "$connections"
        run_scenario "DELETE /jobs/:id (cancel)" "$connections" "$api_port" 200 "$app_pid" \
            scenario=cancel first="$pool_first" stride=1 offset=0 count="$pool_count"
    fi
    run_scenario "DELETE /users/:id" "$connections" "$api_port" 200 "$app_pid" \
        scenario=user tag="$(date +%s)-c$connections"
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)
if $overload && [[ -n ${overload_rps[64]:-} && -n ${overload_rps[$most_connections]:-} ]]; then
    kept=$(awk -v a="${overload_rps[$most_connections]}" -v b="${overload_rps[64]}" 'BEGIN { printf "%.2f", (b > 0 ? a / b : 0) }')
    awk -v k="$kept" 'BEGIN { exit !(k >= 0.9) }' \
        || failures+=("GET /jobs/:id at $most_connections connections kept $kept of its 64-connection throughput, not 0.90")
fi

# MARK: The report

commit=$(git rev-parse --short HEAD 2>/dev/null || echo "not a git checkout")
if [[ $commit != "not a git checkout" ]] \
    && [[ -n $(GIT_OPTIONAL_LOCKS=0 git status --porcelain --untracked-files=no 2>/dev/null) ]]; then
    commit+=" with uncommitted changes"
fi
total_seconds=$(seconds_between "$started_at" "$(date +%s.%N)")
{
    printf '# Jobs API benchmark%s, %s\n\n' "$($smoke && echo " (smoke)")" "$(date -u '+%Y-%m-%d %H:%M UTC')"
    printf -- '- Code: %s; %s.\n' "$commit" "$build_note"
    printf -- '- Store: %d jobs over %d projects (%d in the measured project, %d of them scheduled), %d MiB; created in %s s (sqlite3 seed %s s).\n' \
        "$jobs" "$projects" "$per_project" "$scheduled_pool" "$store_mib" "$store_seconds" "$seed_seconds"
    printf -- '- FastCGI over %s. jobs-fcgi: 1 process (spawn-fcgi -F 1 -b %d), %d threads%s; C ceiling: %d threads; nginx: the shipped site, worker_processes %s.\n' \
        "$fastcgi_transport" "$backlog" "$threads" "${BENCH_APP_ARGS:+, options $BENCH_APP_ARGS}" "$threads" "$nginx_workers"
    printf -- '- wrk: %d s per scenario, threads = min(connections, %d cores), timeout 10 s. Load average before %s, after %s.\n' \
        "$duration" "$cores" "$load_before" "$load_after"
    if [[ -n ${pool_rate_bound:-} ]]; then
        printf -- '- Cancel: each scenario cancels jobs of a pool added just before it, sized for 4 x the C ceiling'"'"'s rate (at least 2,000/s) for the whole scenario.\n'
    fi
    printf -- '- Ratio: requests/s over the C ceiling'"'"'s at the same connection count. Peak RSS: VmHWM of the responder after the scenario (jobs-fcgi; the ceiling'"'"'s own for its row).\n\n'
    printf '| scenario | connections | requests/s | p50 ms | p99 ms | vs C ceiling | expected status | peak RSS MiB |\n'
    printf '|---|---:|---:|---:|---:|---:|---:|---:|\n'
    printf '%s\n' "${rows[@]}"
    if $overload; then
        printf '\nOverload, GET /jobs/:id (spawn-fcgi -b %d, net.core.somaxconn %s; nginx worker_connections %d):\n\n' \
            "$backlog" "$somaxconn" "$((3 * (most_connections > 256 ? most_connections : 256)))"
        printf '| connections | answers/s | 200s/s | 503s | statuses | dropped | p99 ms | 200s/s vs 64 | nginx error lines |\n'
        printf '|---:|---:|---:|---:|---|---:|---:|---:|---:|\n'
        printf '%s\n' "${overload_rows[@]}"
    fi
    if ((${#failures[@]} + ${#notes[@]} > 0)); then
        printf '\n'
        for failure in "${failures[@]}"; do printf -- '- FAILED: %s\n' "$failure"; done
        for note in "${notes[@]}"; do printf -- '- Note: %s\n' "$note"; done
    fi
    printf '\nScenarios took %d s; the whole run %s s.\n' "$(($(date +%s) - run_started))" "$total_seconds"
} >"$out"
printf '\n' >&2
cat "$out"
printf '\n(written to %s)\n' "${out#"$repo_root"/}"

((${#failures[@]} == 0)) || die "${#failures[@]} scenario(s) did not answer as expected; see above and $bench_dir/wrk/"
