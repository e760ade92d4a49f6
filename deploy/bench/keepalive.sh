#!/usr/bin/env bash
# Measures FastCGI keep-alive between nginx and jobs-fcgi (docs/PERFORMANCE.md, "Keep-alive between nginx and the app"): what
# it gains, and whether a number of app threads makes it safe for other traffic.
#
# One store (made as deploy/bench.sh makes it), then for each configuration T:P:N of KA_CONFIGS: jobs-fcgi with
# T threads in P processes (spawn-fcgi -F P) and one nginx (worker_processes auto, as on Debian) serving two sites
# on the same app socket:
#   - "off": the shipped site (deploy/nginx-local-conf.sh's rewrite of nginx/jobs-api.conf): no keep-alive;
#   - "on":  the same site with `fastcgi_keep_conn on` and an upstream with `keepalive N` (per nginx worker),
#            generated from the rewritten shipped site by sed, so that it differs in nothing else.
# Each bench scenario (GET /jobs/:id, list limit=50, a bad key's 401, cancel, user deletion) runs with wrk at 8 and
# 64 connections through "off", then through "on". Meanwhile two probes (curl, one request at a time, every 50 ms,
# 5 s timeout) ask GET /jobs/:id, one through the site under load, one through the "off" site: the latency that
# another client of the same site, and other traffic to the same app, see. A probe request slower than 1 s (or
# failed) counts as a stall. (wrk counts answered requests only: a connection that waits for good is invisible in
# its p99, which is why the probes are there.) Prints a table and writes it to
# deploy/.bench/keepalive-DATE.md.
#
#   deploy/bench/keepalive.sh
#
# Environment:
#   KA_CONFIGS     space-separated THREADS:PROCESSES:KEEPALIVE (default "8:1:8 72:1:4 96:1:8")
#   KA_JOBS        jobs in the store (default 1000000), over 4 projects
#   KA_DURATION    seconds per scenario (default 5)
#   KA_CONNECTIONS wrk connection counts (default "8 64")
#   KA_BIN_DIR     jobs-fcgi and jobsctl from there instead of a release build in .build-bench
#   KA_PORT        first of two ports (default 18620; "on" is the first, "off" the second)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
cd "$repo_root"

read -r -a configs <<<"${KA_CONFIGS:-8:1:8 72:1:4 96:1:8}"
jobs=${KA_JOBS:-1000000}
duration=${KA_DURATION:-5}
read -r -a connection_counts <<<"${KA_CONNECTIONS:-8 64}"
on_port=${KA_PORT:-18620}
off_port=$((on_port + 1))
projects=4
cores=$(nproc)
stamp=$(date -u +%Y%m%d-%H%M%S)
out=$repo_root/deploy/.bench/keepalive-$stamp.md
bench_dir=$repo_root/deploy/.bench/keepalive-run

is_count() { [[ $1 =~ ^[1-9][0-9]{0,8}$ ]]; }
is_count "$jobs" && ((jobs >= 1000)) || die "KA_JOBS=$jobs: a whole number of at least 1000"
is_count "$duration" || die "KA_DURATION=$duration: whole seconds"
for config in "${configs[@]}"; do
    [[ $config =~ ^[1-9][0-9]*:[1-9][0-9]*:[1-9][0-9]*$ ]] || die "KA_CONFIGS: $config is not THREADS:PROCESSES:KEEPALIVE"
done

ensure_packages wrk sqlite3
if [[ -n ${KA_BIN_DIR:-} ]]; then
    bin_dir=$KA_BIN_DIR
else
    ensure_swift
    log "swift build -c release --scratch-path .build-bench"
    swift build -c release --scratch-path .build-bench </dev/null
    bin_dir=$(swift build -c release --scratch-path .build-bench --show-bin-path)
fi
for binary in jobs-fcgi jobsctl; do
    [[ -x $bin_dir/$binary ]] || die "$bin_dir/$binary is missing"
done

mkdir -p "$(dirname "$bench_dir")"
exec 9>"$bench_dir.lock"
flock -n 9 || die "another deploy/bench/keepalive.sh is running"
rm -rf "$bench_dir"
mkdir -p "$bench_dir/nginx" "$bench_dir/wrk"
run_dir=$(mktemp -d /tmp/jobs-api-keepalive.XXXXXX)
chmod 0755 "$run_dir"
store=$bench_dir/jobs.sqlite3
export KA_APP_LOG=$bench_dir/jobs-fcgi.log
nginx_pid=""
probe_pid=""

stop_servers() {
    if [[ -n $probe_pid ]]; then
        kill $probe_pid 2>/dev/null || true
        wait $probe_pid 2>/dev/null || true
        probe_pid=""
    fi
    if [[ -n $nginx_pid ]]; then
        kill -TERM "$nginx_pid" 2>/dev/null || true
        wait "$nginx_pid" 2>/dev/null || true
        nginx_pid=""
    fi
    stop_pids_in "$run_dir/jobs-fcgi.pid"
    rm -f "$run_dir/jobs-fcgi.pid" "$run_dir/jobs-fcgi.sock"
}
stop() {
    trap - EXIT INT TERM
    log "stopping"
    stop_servers
    rm -rf "$run_dir"
    rm -f "$store" "$store-wal" "$store-shm"
}
trap stop EXIT
trap 'exit 130' INT TERM

# MARK: The store (as deploy/bench.sh makes it)

jobsctl() { JOBS_STORE=$store "$bin_dir/jobsctl" "$@"; }
log "creating a store with $jobs jobs over $projects projects"
jobsctl init >/dev/null
org_id=$(jobsctl org create "Benchmark organization" | field orgId)
key=$(jobsctl key create --org "$org_id" | field key)
project_key=""
for ((project = 1; project <= projects; project++)); do
    created_key=$(jobsctl project create --org "$org_id" "Benchmark project $project" | field projectKey)
    [[ -n $project_key ]] || project_key=$created_key
done
[[ -n $key && -n $project_key ]] || die "jobsctl did not print a key and a project key"
sqlite3 -bail "$store" ".parameter set @jobs $jobs" ".parameter set @projects $projects" \
    ".parameter set @now $(($(date +%s) * 1000))" ".read deploy/bench/seed-jobs.sql" >/dev/null

# seed-jobs.sql's layout: the first project's jobs are 1 + projects * k; the scheduled ones 1 + 2 * projects * m.
per_project=$(((jobs + projects - 1) / projects))
scheduled_pool=$(((per_project + 1) / 2))
cancel_runs=$((${#configs[@]} * ${#connection_counts[@]} * 2))
pool_slice=$((scheduled_pool / cancel_runs))
cancel_run=0

# MARK: The servers

# start_servers THREADS PROCESSES KEEPALIVE
start_servers() {
    local threads=$1 processes=$2 keepalive=$3 conf_dir=$bench_dir/nginx socket=$run_dir/jobs-fcgi.sock
    rm -rf "$conf_dir" && mkdir -p "$conf_dir"
    bash deploy/nginx-local-conf.sh "$conf_dir" "$run_dir" "$off_port" "$conf_dir/keepalive-site.conf"
    # Debian's nginx.conf says `worker_processes auto`: keepalive N caches up to N connections in each worker.
    sed -i 's/^worker_processes 1;/worker_processes auto;/' "$conf_dir/nginx.conf"
    {
        printf '# The shipped site with FastCGI keep-alive; generated by deploy/bench/keepalive.sh.\n'
        printf 'upstream jobs_api_keepalive {\n    server unix:%s;\n    keepalive %d;\n}\n' "$socket" "$keepalive"
        sed -e "s|listen 127.0.0.1:$off_port |listen 127.0.0.1:$on_port |" \
            -e "s|fastcgi_pass unix:$socket;|fastcgi_pass jobs_api_keepalive;|" \
            -e 's|fastcgi_keep_conn off;|fastcgi_keep_conn on;|' \
            "$conf_dir/jobs-api.conf"
    } >"$conf_dir/keepalive-site.conf"
    grep -q "listen 127.0.0.1:$on_port " "$conf_dir/keepalive-site.conf" \
        && grep -q 'fastcgi_pass jobs_api_keepalive;' "$conf_dir/keepalive-site.conf" \
        && grep -q 'fastcgi_keep_conn on;' "$conf_dir/keepalive-site.conf" \
        || die "could not derive the keep-alive site from $conf_dir/jobs-api.conf"

    spawn-fcgi -F "$processes" -b 4096 -s "$socket" -M 0666 -P "$run_dir/jobs-fcgi.pid" -- \
        /bin/sh -c 'exec "$0" "$@" 2>>"$KA_APP_LOG"' "$bin_dir/jobs-fcgi" --store "$store" --threads "$threads" \
        --auth-failure-limit 0 >/dev/null || die "spawn-fcgi failed; see $KA_APP_LOG"
    "$(command -v nginx || echo /usr/sbin/nginx)" -p "$conf_dir/" -c "$conf_dir/nginx.conf" -e "$conf_dir/error.log" &
    nginx_pid=$!
    local port status tries
    for port in "$off_port" "$on_port"; do
        for ((tries = 0; ; tries++)); do
            status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/public/$project_key/jobs" || true)
            [[ $status == 401 ]] && break
            kill -0 "$nginx_pid" 2>/dev/null || die "nginx stopped; see $conf_dir/error.log"
            ((tries < 200)) || die "no 401 on port $port (last $status); see $KA_APP_LOG, $conf_dir/error.log"
            sleep 0.05
        done
    done
}

# Peak resident memory (VmHWM) summed over the app's processes, in MiB.
app_rss() {
    local total=0 pid kib
    for pid in $(cat "$run_dir/jobs-fcgi.pid"); do
        kib=$(awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
        total=$((total + ${kib:-0}))
    done
    awk -v k="$total" 'BEGIN { printf "%.0f", k / 1024 }'
}

# MARK: The probe: other traffic through the "off" site while the load runs

# probe PORT OUT: GET /jobs/1 through PORT's site, one at a time, until killed; one line per request: status seconds.
probe() {
    local port=$1 out=$2
    trap 'exit 0' TERM
    while true; do
        curl -s -o /dev/null -m 5 -w '%{http_code} %{time_total}\n' -H "Authorization: Bearer $key" \
            "http://127.0.0.1:$port/public/$project_key/jobs/1" >>"$out" || true
        sleep 0.05
    done
}

# probe_summary OUT: "p50 / p99 / max ms | stalls/requests"
probe_summary() {
    sort -k2 -n "$1" | awk '
        { t[NR] = $2 * 1000; if ($1 != 200 || $2 >= 1) stalls++ }
        END {
            if (NR == 0) { print "- | no requests"; exit }
            p50 = t[int((NR - 1) * 0.50) + 1]; p99 = t[int((NR - 1) * 0.99) + 1]
            printf "%.0f / %.0f / %.0f | %d/%d\n", p50, p99, t[NR], stalls + 0, NR
        }'
}

# MARK: The scenarios

rows=()
wrk_threads_for() { echo $(($1 < cores ? $1 : cores)); }

# run_scenario CONFIG MODE NAME CONNECTIONS EXPECTED LUA_OPTION...
run_scenario() {
    local config=$1 mode=$2 name=$3 connections=$4 expected=$5
    shift 5
    local port wrk_threads output line probe_pids=()
    port=$([[ $mode == on ]] && echo "$on_port" || echo "$off_port")
    wrk_threads=$(wrk_threads_for "$connections")
    output=$bench_dir/wrk/$(printf '%s' "$config-$mode-$name-c$connections" | tr -c 'A-Za-z0-9-' '_').txt
    : >"$output.same" && : >"$output.other"
    log "$config keep-alive $mode: $name, $connections connections, $duration s"
    probe "$port" "$output.same" &
    probe_pids+=($!)
    probe "$off_port" "$output.other" &
    probe_pids+=($!)
    probe_pid="${probe_pids[*]}"
    wrk -t "$wrk_threads" -c "$connections" -d "${duration}s" --timeout 10s -s deploy/bench/scenario.lua \
        "http://127.0.0.1:$port" -- expect="$expected" key="$key" project="$project_key" \
        threads="$wrk_threads" "$@" >"$output" 2>&1 || die "wrk failed for $name: $(cat "$output")"
    kill "${probe_pids[@]}" 2>/dev/null || true
    wait "${probe_pids[@]}" 2>/dev/null || true
    probe_pid=""
    line=$(grep '^bench-result ' "$output") || die "wrk printed no result for $name: $(cat "$output")"
    local -A result=()
    local pair
    for pair in ${line#bench-result }; do
        result[${pair%%=*}]=${pair#*=}
    done
    local answered=$((result[requests] + result[socket_errors]))
    local rps share
    rps=$(awk -v n="${result[requests]}" -v s="${result[seconds]}" 'BEGIN { printf "%.0f", (s > 0 ? n / s : 0) }')
    share=$(awk -v e="${result[expected]}" -v n="$answered" 'BEGIN { if (n > 0) printf "%.1f %%", 100 * e / n; else printf "none" }')
    rows+=("$(printf '| %s | %s | %s | %d | %s | %.2f | %.1f | %s | %s | %s | %s |' "$config" "$mode" "$name" \
        "$connections" "$rps" "$(awk -v u="${result[p50_us]}" 'BEGIN { print u / 1000 }')" \
        "$(awk -v u="${result[p99_us]}" 'BEGIN { print u / 1000 }')" "$share" "$(probe_summary "$output.same")" \
        "$(probe_summary "$output.other")" "$(app_rss)")")
}

load_before=$(cut -d' ' -f1-3 /proc/loadavg)
run_started=$(date +%s)
for config in "${configs[@]}"; do
    IFS=: read -r threads processes keepalive <<<"$config"
    log "configuration $config: jobs-fcgi $threads threads x $processes processes, keepalive $keepalive per nginx worker"
    start_servers "$threads" "$processes" "$keepalive"
    for mode in off on; do
        for connections in "${connection_counts[@]}"; do
            run_scenario "$config" "$mode" "GET /jobs/:id" "$connections" 200 \
                scenario=job first=1 stride="$projects" count="$per_project"
            run_scenario "$config" "$mode" "GET /jobs?limit=50" "$connections" 200 \
                scenario=list limit=50 pages=$(((per_project + 49) / 50))
            run_scenario "$config" "$mode" "bad key (401)" "$connections" 401 \
                scenario=plain key=jobs_0000000000000000000000000000000000000000
            run_scenario "$config" "$mode" "DELETE /jobs/:id" "$connections" 200 \
                scenario=cancel first=1 stride=$((2 * projects)) offset=$((cancel_run * pool_slice)) count="$pool_slice"
            cancel_run=$((cancel_run + 1))
            run_scenario "$config" "$mode" "DELETE /users/:id" "$connections" 200 \
                scenario=user tag="$(date +%s)-$config-$mode-c$connections"
        done
    done
    stop_servers
done
load_after=$(cut -d' ' -f1-3 /proc/loadavg)

{
    printf '# FastCGI keep-alive, %s\n\n' "$(date -u '+%Y-%m-%d %H:%M UTC')"
    printf -- '- Code: %s; binaries from %s. Store: %d jobs. nginx: worker_processes auto (%d workers here). %d s per scenario; wrk threads = min(connections, %d).\n' \
        "$(git rev-parse --short HEAD 2>/dev/null || echo '?')" "$bin_dir" "$jobs" "$cores" "$duration" "$cores"
    printf -- '- Config T:P:N = jobs-fcgi --threads T, spawn-fcgi -F P, `keepalive N` per nginx worker. Mode off: the shipped site; on: the same site with fastcgi_keep_conn on + upstream keepalive N.\n'
    printf -- '- Probes: GET /jobs/1, one at a time, every 50 ms, 5 s timeout, while the load runs: "same site" through the site under load, "other site" through the "off" site (no keep-alive) on the same app. p50 / p99 / max ms; a stall = slower than 1 s or not 200.\n'
    printf -- '- wrk counts only the requests that were answered: a connection stuck behind idle kept-alive connections lowers req/s but not p99; the probes show it.\n'
    printf -- '- Load average before %s, after %s; scenarios took %d s.\n\n' "$load_before" "$load_after" "$(($(date +%s) - run_started))"
    printf '| T:P:N | keep-alive | scenario | conns | req/s | p50 ms | p99 ms | expected | same-site probe ms | stalls | other-site probe ms | stalls | app RSS MiB |\n'
    printf '|---|---|---|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n'
    printf '%s\n' "${rows[@]}"
} >"$out"
cat "$out"
printf '\n(written to %s)\n' "${out#"$repo_root"/}"
