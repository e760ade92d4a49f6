#!/usr/bin/env bash
# Soak test: the real stack (nginx with the shipped site, spawn-fcgi -F 2 + jobs-fcgi, a `jobsctl worker` running
# every requested deletion) under steady mixed traffic for N seconds (wrk with deploy/soak/traffic.lua: job reads,
# list pages, cancels of distinct scheduled jobs, user deletions, unknown keys, unknown jobs), then checks:
#   - every answer had the status its kind must get (zero 5xx, no lost connection);
#   - the resident memory of each jobs-fcgi and of the worker grew less than SOAK_RSS_GROWTH_PERCENT from the
#     end of the warm-up to the end (both measured idle: once the load stopped, each jobs-fcgi's descriptor count
#     holds still for half a second);
#   - no jobs-fcgi holds more file descriptors at the end than after the warm-up (idle both times); the worker no
#     more than the programs it may be running hold (3 each);
#   - the WAL file is at most SOAK_WAL_LIMIT_MIB at the end;
#   - every process is still the one started (nginx, each jobs-fcgi, the worker), and the store passes
#     PRAGMA integrity_check.
# Prints the figures (also a sample every SOAK_SAMPLE_SECONDS during the run) and exits 1 on any failure.
#
#   deploy/soak.sh [--seconds N]     N seconds of traffic in all, the first fifth of it (5 to 60 s) the warm-up
#                                    (default 600; deploy/test.sh runs 30)
#
# Environment:
#   JOBS_BIN_DIR             jobs-fcgi and jobsctl from there instead of a debug build made here
#   SOAK_CONNECTIONS         wrk connections, one thread each (default 4)
#   SOAK_DELAY_MS            pause of each connection between an answer and its next request (default 2)
#   SOAK_JOBS                jobs seeded over 4 projects (default 1500 per second of traffic, at least 20000);
#                            the cancels use a pool of their own, added to project 1 and sized from the most
#                            requests the connections can send (each waits SOAK_DELAY_MS after every answer)
#   SOAK_RSS_GROWTH_PERCENT  allowed growth of each jobs-fcgi's RSS (default 5)
#   SOAK_WAL_LIMIT_MIB       largest acceptable WAL at the end (default 64)
#   SOAK_SAMPLE_SECONDS      seconds between two samples printed during the run (default 10)
#   SOAK_KEEP                1: keep the run's folder (store, logs) instead of removing it
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$repo_root"

seconds=600
while (($# > 0)); do
    case $1 in
        --seconds) seconds=${2:-}; shift 2 || die "--seconds needs a value" ;;
        *) die "usage: $0 [--seconds N]" ;;
    esac
done
connections=${SOAK_CONNECTIONS:-4}
delay_ms=${SOAK_DELAY_MS:-2}
jobs=${SOAK_JOBS:-$((seconds * 1500 > 20000 ? seconds * 1500 : 20000))}
rss_growth_limit=${SOAK_RSS_GROWTH_PERCENT:-5}
wal_limit_mib=${SOAK_WAL_LIMIT_MIB:-64}
sample_seconds=${SOAK_SAMPLE_SECONDS:-10}
is_count() { [[ $1 =~ ^[1-9][0-9]{0,8}$ ]]; }
is_count "$seconds" && ((seconds >= 10)) || die "--seconds $seconds: whole seconds, at least 10"
for setting in connections jobs rss_growth_limit wal_limit_mib sample_seconds; do
    is_count "${!setting}" || die "$setting=${!setting}: a whole number of at least 1"
done
[[ $delay_ms =~ ^[0-9]{1,5}$ ]] || die "SOAK_DELAY_MS=$delay_ms: whole milliseconds"
((jobs >= 1000)) || die "SOAK_JOBS=$jobs: at least 1000"
warmup=$((seconds / 5))
((warmup >= 5)) || warmup=5
((warmup <= 60)) || warmup=60
measured=$((seconds - warmup))

ensure_packages wrk sqlite3
if [[ -n ${JOBS_BIN_DIR:-} ]]; then
    bin_dir=$JOBS_BIN_DIR
else
    ensure_swift
    log "swift build"
    swift build </dev/null
    bin_dir=$(swift build --show-bin-path)
fi
for binary in jobs-fcgi jobsctl; do
    [[ -x $bin_dir/$binary ]] || die "$bin_dir/$binary is missing"
done

# Everything in one folder under /tmp that nginx's workers (nobody, when started as root) can enter.
run_dir=$(mktemp -d /tmp/jobs-api-soak.XXXXXX)
chmod 0755 "$run_dir"
store=$run_dir/jobs.sqlite3
export SOAK_APP_LOG=$run_dir/jobs-fcgi.log
nginx_pid=""
worker_pid=""
stop() {
    trap - EXIT INT TERM
    if [[ -n $worker_pid ]]; then
        kill -TERM "$worker_pid" 2>/dev/null || true
        wait "$worker_pid" 2>/dev/null || true
    fi
    stop_pids_in "$run_dir/jobs-fcgi.pids"
    if [[ -n $nginx_pid ]]; then
        kill -TERM "$nginx_pid" 2>/dev/null || true
        wait "$nginx_pid" 2>/dev/null || true
    fi
    if [[ ${SOAK_KEEP:-0} == 1 ]]; then
        log "kept $run_dir"
    else
        rm -rf "$run_dir"
    fi
}
trap stop EXIT
trap 'exit 130' INT TERM

# MARK: The store: one organization, four projects, SOAK_JOBS jobs laid out by deploy/bench/seed-jobs.sql.

jobsctl() { JOBS_STORE=$store "$bin_dir/jobsctl" "$@"; }
projects=4
log "creating a store with $jobs jobs"
jobsctl init >/dev/null
org_id=$(jobsctl org create "Soak organization" | field orgId)
key=$(jobsctl key create --org "$org_id" | field key)
project_key=""
for ((project = 1; project <= projects; project++)); do
    created=$(jobsctl project create --org "$org_id" "Soak project $project" | field projectKey)
    [[ -n $project_key ]] || project_key=$created
done
[[ -n $key && -n $project_key ]] || die "jobsctl did not print a key and a project key"
# The seeded scheduled jobs start far in the future (not at the next midnight, which a long run may cross): the
# worker never takes them, so each cancel of one must answer 200.
sqlite3 -bail "$store" ".parameter set @jobs $jobs" ".parameter set @projects $projects" \
    ".parameter set @now $(($(date +%s) * 1000))" ".read deploy/bench/seed-jobs.sql" \
    "UPDATE jobs SET start_at = 4102444800000 WHERE status = 'scheduled';" \
    "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
# seed-jobs.sql's layout: project 1 holds ids 1 + 4k.
per_project=$(((jobs + projects - 1) / projects))
# The cancel pool: scheduled jobs each cancelled once, one slice per connection and phase. A connection sends at most
# 1000 / SOAK_DELAY_MS requests a second (it waits that long after each answer; 20,000 when the delay is 0), and
# traffic.lua makes 15 % of them cancels on average: a slice of a quarter of that bound, plus 100, is more than any
# draw uses, so every cancel meets a job not cancelled before, whatever the machine's speed.
per_connection_rate=$((delay_ms > 0 ? (1000 + delay_ms - 1) / delay_ms : 20000))
pool_for() { echo $((connections * ($1 * per_connection_rate / 4 + 100))); }
warmup_pool=$(pool_for "$warmup")
soak_pool=$(pool_for "$measured")
pool_first=$(add_scheduled_jobs "$store" $((warmup_pool + soak_pool)))
log "cancel pool: $((warmup_pool + soak_pool)) scheduled jobs from id $pool_first"

# MARK: The stack

port_is_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
for ((port = 18700; ; port++)); do
    ((port < 18800)) || die "no free port from 18700 to 18800"
    port_is_free "$port" && break
done
mkdir -p "$run_dir/nginx"
bash deploy/nginx-local-conf.sh "$run_dir/nginx" "$run_dir" "$port"

log "starting spawn-fcgi -F 2 jobs-fcgi, nginx on 127.0.0.1:$port and a worker"
# --schedule-delay 0s: every requested deletion is due at once, so the worker has work all along.
spawn-fcgi -F 2 -b 4096 -s "$run_dir/jobs-fcgi.sock" -M 0666 -P "$run_dir/jobs-fcgi.pids" -- \
    /bin/sh -c 'exec "$0" "$@" 2>>"$SOAK_APP_LOG"' "$bin_dir/jobs-fcgi" --store "$store" --schedule-delay 0s \
    --auth-failure-limit 0 >/dev/null || die "spawn-fcgi failed; see $SOAK_APP_LOG"
mapfile -t app_pids <"$run_dir/jobs-fcgi.pids"
((${#app_pids[@]} == 2)) || die "spawn-fcgi started ${#app_pids[@]} processes, not 2"
"$(command -v nginx || echo /usr/sbin/nginx)" -p "$run_dir/nginx/" -c "$run_dir/nginx/nginx.conf" \
    -e "$run_dir/nginx/error.log" &
nginx_pid=$!
cat >"$run_dir/action" <<'EOF'
#!/bin/sh
# Reads the job and succeeds, like a deletion with nothing left to delete.
cat >/dev/null
EOF
chmod 0755 "$run_dir/action"
JOBS_STORE=$store "$bin_dir/jobsctl" worker --action "delete_user_data=$run_dir/action" --poll-seconds 0.2 \
    --concurrency 2 --lease-seconds 10 >"$run_dir/worker.log" 2>&1 &
worker_pid=$!

for ((tries = 0; ; tries++)); do
    status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/public/$project_key/jobs" || true)
    [[ $status == 401 ]] && break
    ((tries < 200)) || die "the stack does not answer (last status $status); see $SOAK_APP_LOG"
    sleep 0.05
done

# MARK: Measuring

rss_kib() { awk '/^VmRSS:/ { print $2 }' "/proc/$1/status" 2>/dev/null || echo 0; }
fd_count() { find "/proc/$1/fd" -mindepth 1 -maxdepth 1 2>/dev/null | wc -l; }
wal_bytes() { stat -c %s "$store-wal" 2>/dev/null || echo 0; }
mib() { awk -v b="$1" 'BEGIN { printf "%.1f", b / 1048576 }'; }
alive_all() {
    local pid
    for pid in "${app_pids[@]}" "$nginx_pid" "$worker_pid"; do
        process_running "$pid" || return 1
    done
}
# One line: seconds, each jobs-fcgi's RSS (MiB) and descriptors, the worker's, the WAL.
sample() {
    local line pid
    line=$(printf '%6s' "$1")
    for pid in "${app_pids[@]}"; do
        line+=$(printf '  jobs-fcgi %s: %s MiB %s fds' "$pid" "$(mib $(($(rss_kib "$pid") * 1024)))" "$(fd_count "$pid")")
    done
    line+=$(printf '  worker: %s MiB %s fds  WAL %s MiB' "$(mib $(($(rss_kib "$worker_pid") * 1024)))" \
        "$(fd_count "$worker_pid")" "$(mib "$(wal_bytes)")")
    printf '%s\n' "$line" >&2
}

tag=$(date +%s)
run_wrk() {  # run_wrk NAME SECONDS POOL_OFFSET POOL_COUNT
    wrk -t "$connections" -c "$connections" -d "${2}s" --timeout 10s -s deploy/soak/traffic.lua \
        "http://127.0.0.1:$port" -- key="$key" project="$project_key" first=1 stride=$projects count="$per_project" \
        pool_first="$pool_first" pool_stride=1 pool_offset="$3" pool_count="$4" threads="$connections" \
        tag="$tag-$1" delay_ms="$delay_ms" >"$run_dir/wrk-$1.txt" 2>&1 || die "wrk failed: $(cat "$run_dir/wrk-$1.txt")"
}

log "warm-up: $warmup s of traffic ($connections connections, ${delay_ms} ms between requests)"
run_wrk warmup "$warmup" 0 "$warmup_pool"
# Idle means every connection of the phase is closed: each jobs-fcgi's descriptor count holds still for half a
# second (20 s at most).
settle() {
    local previous="" current pid tries stable=0
    for ((tries = 0; tries < 200; tries++)); do
        current=""
        for pid in "${app_pids[@]}"; do current+="$(fd_count "$pid") "; done
        if [[ $current == "$previous" ]]; then
            stable=$((stable + 1))
            ((stable < 5)) || return 0
        else
            stable=0
        fi
        previous=$current
        sleep 0.1
    done
    log "warning: jobs-fcgi descriptor counts still changing after 20 s ($current)"
}
settle
declare -A rss_before fds_before
for pid in "${app_pids[@]}"; do
    rss_before[$pid]=$(rss_kib "$pid")
    fds_before[$pid]=$(fd_count "$pid")
done
worker_fds_before=$(fd_count "$worker_pid")
worker_rss_before=$(rss_kib "$worker_pid")
sample "0 s"

log "soak: $measured s of traffic, a sample every $sample_seconds s"
run_wrk soak "$measured" "$warmup_pool" "$soak_pool" &
wrk_pid=$!
started=$(date +%s)
wal_peak=$(wal_bytes)
while kill -0 "$wrk_pid" 2>/dev/null; do
    for ((tick = 0; tick < sample_seconds * 10; tick++)); do
        kill -0 "$wrk_pid" 2>/dev/null || break
        bytes=$(wal_bytes)
        ((bytes <= wal_peak)) || wal_peak=$bytes
        sleep 0.1
    done
    kill -0 "$wrk_pid" 2>/dev/null && sample "$(($(date +%s) - started)) s"
done
wait "$wrk_pid" || die "the soak's wrk failed"
settle
sample "end"

# MARK: Checks

failures=()
# "recancel" (a cancel built after its slice of the pool ran out) has no expected status: the pool is sized so that
# it cannot happen, and a run where it did tested fewer cancels than it claims.
declare -A expected_status=([get]=200 [list]=200 [badkey]=401 [missing]=404 [cancel]=200 [user]=200)
declare -A answered=()
total_requests=0
total_socket_errors=0
for phase in warmup soak; do
    while read -r _ kind status count; do
        answered["$kind $status"]=$((${answered["$kind $status"]:-0} + count))
    done < <(grep '^soak-count ' "$run_dir/wrk-$phase.txt")
    totals=$(grep '^soak-total ' "$run_dir/wrk-$phase.txt") || die "wrk printed no totals: $(cat "$run_dir/wrk-$phase.txt")"
    requests=$(sed -n 's/.*requests=\([0-9]*\).*/\1/p' <<<"$totals")
    socket_errors=$(sed -n 's/.*socket_errors=\([0-9]*\).*/\1/p' <<<"$totals")
    total_requests=$((total_requests + requests))
    total_socket_errors=$((total_socket_errors + socket_errors))
    [[ $phase == soak ]] && soak_latency=$(sed -n 's/.*p50_us=\([0-9]*\) p99_us=\([0-9]*\).*/p50 \1 µs, p99 \2 µs/p' <<<"$totals")
done
server_errors=0
printf '\nAnswers by kind and status (%d requests, %d socket errors):\n' "$total_requests" "$total_socket_errors"
for entry in $(printf '%s\n' "${!answered[@]}" | tr ' ' ':' | sort); do
    kind=${entry%%:*}
    status=${entry#*:}
    count=${answered["$kind $status"]}
    printf '  %-9s %s  %d\n' "$kind" "$status" "$count"
    ((status < 500)) || server_errors=$((server_errors + count))
    [[ ${expected_status[$kind]:-} == "$status" ]] \
        || failures+=("$count $kind request(s) answered $status (expected ${expected_status[$kind]:-nothing})")
done
((total_requests > 0)) || failures+=("no request was answered")
((total_socket_errors == 0)) || failures+=("$total_socket_errors socket errors (lost connections or timeouts)")

printf '\nFigures (idle after the warm-up → idle at the end):\n'
for pid in "${app_pids[@]}"; do
    if ! process_running "$pid"; then
        failures+=("jobs-fcgi $pid is gone")
        continue
    fi
    rss_after=$(rss_kib "$pid")
    fds_after=$(fd_count "$pid")
    growth=$(awk -v a="${rss_before[$pid]}" -v b="$rss_after" 'BEGIN { printf "%.2f", (b - a) * 100 / a }')
    printf '  jobs-fcgi %s: RSS %s → %s MiB (%+.2f %%), fds %s → %s\n' "$pid" "$(mib $((rss_before[$pid] * 1024)))" \
        "$(mib $((rss_after * 1024)))" "$growth" "${fds_before[$pid]}" "$fds_after"
    awk -v g="$growth" -v l="$rss_growth_limit" 'BEGIN { exit !(g < l) }' \
        || failures+=("jobs-fcgi $pid: RSS grew $growth % (limit $rss_growth_limit %)")
    ((fds_after <= fds_before[$pid])) \
        || failures+=("jobs-fcgi $pid: $fds_after descriptors at the end, ${fds_before[$pid]} after the warm-up")
done
worker_fds_after=$(fd_count "$worker_pid")
worker_rss_after=$(rss_kib "$worker_pid")
worker_growth=$(awk -v a="$worker_rss_before" -v b="$worker_rss_after" 'BEGIN { printf "%.2f", (a > 0 ? (b - a) * 100 / a : 100) }')
printf '  worker %s: RSS %s → %s MiB (%+.2f %%), fds %s → %s\n' "$worker_pid" "$(mib $((worker_rss_before * 1024)))" \
    "$(mib $((worker_rss_after * 1024)))" "$worker_growth" "$worker_fds_before" "$worker_fds_after"
awk -v g="$worker_growth" -v l="$rss_growth_limit" 'BEGIN { exit !(g < l) }' \
    || failures+=("worker: RSS grew $worker_growth % (limit $rss_growth_limit %)")
((worker_fds_after <= worker_fds_before + 3 * 2)) \
    || failures+=("worker: $worker_fds_after descriptors at the end, $worker_fds_before after the warm-up")
wal_end=$(wal_bytes)
printf '  WAL: %s MiB at the end, %s MiB at most during the soak (limit %s MiB)\n' "$(mib "$wal_end")" \
    "$(mib "$wal_peak")" "$wal_limit_mib"
((wal_end <= wal_limit_mib * 1048576)) || failures+=("the WAL is $(mib "$wal_end") MiB (limit $wal_limit_mib MiB)")
printf '  latency during the soak: %s\n' "${soak_latency:-?}"
finished_jobs=$(sqlite3 "$store" "SELECT count(*) FROM jobs WHERE status = 'completed' AND reference_id LIKE 'soak-%';")
waiting_jobs=$(sqlite3 "$store" "SELECT count(*) FROM jobs WHERE status IN ('scheduled', 'running') AND reference_id LIKE 'soak-%';")
printf '  worker: %s requested deletions completed, %s still scheduled or running\n' "$finished_jobs" "$waiting_jobs"
((finished_jobs > 0)) || failures+=("the worker completed no job")
alive_all || failures+=("a process of the stack is gone (nginx $nginx_pid, jobs-fcgi ${app_pids[*]}, worker $worker_pid)")
integrity=$(sqlite3 "$store" "PRAGMA integrity_check;")
printf '  integrity_check: %s\n' "$integrity"
[[ $integrity == ok ]] || failures+=("integrity_check: $integrity")
((server_errors == 0)) || failures+=("$server_errors answers were 5xx")

if ((${#failures[@]} > 0)); then
    printf '\n' >&2
    for failure in "${failures[@]}"; do printf 'FAILED: %s\n' "$failure" >&2; done
    SOAK_KEEP=1
    exit 1
fi
printf '\nsoak passed: %d s of traffic, zero 5xx\n' "$seconds"
