#!/usr/bin/env bash
# Runs the Jobs API locally: a demo store with an organization, a key, two projects and jobs in every state, demo
# user data (a few users, several batches each), the app under spawn-fcgi and nginx on 127.0.0.1:$DEMO_PORT
# (default 8080), and a worker that runs due jobs with deploy/actions/delete-user-data; then prints curl commands
# that work as shown. New deletions are due at once (--schedule-delay 0s), so a deletion requested with curl goes
# scheduled → running → completed within seconds and the user's data folder is gone. Ctrl-C stops everything.
# The system's nginx configuration is not touched.
#
#   deploy/demo.sh           build (release), start, print the commands, wait for Ctrl-C
#   deploy/demo.sh --check   the same, but run the printed commands, check each answers 200, then request the
#                            deletion of a demo user, poll its job until completed (20 s at most), check its
#                            data is gone and the rest is not, and stop (for CI)
#
# Environment: DEMO_PORT (default 8080); DEMO_DIR (default deploy/.demo, recreated on every run);
# JOBS_BIN_DIR: use jobs-fcgi and jobsctl from there instead of building (the tests pass their debug build).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$repo_root"

check=false
case ${1:-} in
    --check) check=true ;;
    "") ;;
    *) die "usage: $0 [--check]" ;;
esac
port=${DEMO_PORT:-8080}
demo_dir=${DEMO_DIR:-$repo_root/deploy/.demo}
project_key=3sWXSsqHgSKnE87YkNJK  # the contract's example key

# The SQLite demo needs no PostgreSQL server (on Debian its package starts a cluster on port 5432).
ensure_only_packages "${build_packages[@]}" spawn-fcgi sqlite3 curl
[[ -x /usr/sbin/nginx ]] || command -v nginx >/dev/null || ensure_only_packages nginx-light
if [[ -n ${JOBS_BIN_DIR:-} ]]; then
    bin_dir=$JOBS_BIN_DIR
else
    ensure_swift
    log "swift build -c release"
    swift build -c release </dev/null
    bin_dir=$(swift build -c release --show-bin-path)
fi
for binary in jobs-fcgi jobsctl; do
    [[ -x $bin_dir/$binary ]] || die "$bin_dir/$binary is missing"
done

# A fresh demo folder for the store, the nginx configuration and the logs. The socket and nginx's temporary files
# go to a folder under /tmp that nginx's workers (nobody, when started as root) can enter, wherever the
# repository is.
[[ $demo_dir == */* && $demo_dir != / && $demo_dir != "$HOME" ]] || die "DEMO_DIR=$demo_dir: pick a folder of its own"
rm -rf "$demo_dir"
mkdir -p "$demo_dir"
run_dir=$(mktemp -d /tmp/jobs-api-demo.XXXXXX)
chmod 0755 "$run_dir"
export JOBS_STORE=$demo_dir/jobs.sqlite3
export JOBS_DEMO_LOG=$demo_dir/jobs-fcgi.log
# The demo action's data folder (the worker passes it on to the action: --action-env below).
export USER_DATA_DIR=$demo_dir/user-data
worker_log=$demo_dir/worker.log

nginx_pid=""
worker_pid=""
stop() {
    trap - EXIT INT TERM
    # Ctrl-C also ends a pipe's reader (`deploy/demo.sh | tee demo.txt`): a write to it must not end the clean-up.
    trap '' PIPE
    log "stopping" || true
    if [[ -n $worker_pid ]]; then
        # SIGTERM: the worker lets a running action finish (10 s at most), releases what it must, and exits.
        kill -TERM "$worker_pid" 2>/dev/null || true
        wait "$worker_pid" 2>/dev/null || true
    fi
    stop_pids_in "$run_dir/jobs-fcgi.pids"
    if [[ -n $nginx_pid ]]; then
        kill -TERM "$nginx_pid" 2>/dev/null || true
        wait "$nginx_pid" 2>/dev/null || true
    fi
    rm -rf "$run_dir"
}
trap stop EXIT
trap 'exit 130' INT TERM

jobsctl() { "$bin_dir/jobsctl" "$@"; }

log "seeding $JOBS_STORE"
jobsctl init >/dev/null
org_id=$(jobsctl org create "Demo organization" | field orgId)
key=$(jobsctl key create --org "$org_id" | field key)
jobsctl project create --org "$org_id" "Demo project" --project-key "$project_key" >/dev/null
other_key=$(jobsctl project create --org "$org_id" "Second project" | field projectKey)
# Jobs in the states only the app's workers would reach, imported as JSON Lines, then scheduled ones.
now_ms=$(($(date +%s) * 1000))
sample_jobs_jsonl "$now_ms" | jobsctl job import --project "$project_key" >/dev/null
scheduled_id=$(jobsctl job create --project "$project_key" --user barbara@example.com | field jobId)
jobsctl job create --project "$project_key" --user ken@example.com >/dev/null
jobsctl job create --project "$other_key" --user linus@example.com >/dev/null

# Demo user data, as deploy/actions/delete-user-data expects it: one folder per user, named by the SHA-256 of the
# user id (never the id itself: it is untrusted), holding numbered batches.
demo_users=(ada@example.com grace@example.com shekar@example.com "zoë/../../etc passwd")
for user in "${demo_users[@]}"; do
    hash=$(printf '%s' "$user" | sha256sum)
    folder=$USER_DATA_DIR/users/${hash%% *}
    mkdir -p "$folder"
    for batch in 1 2 3 4; do
        for session in 1 2 3; do
            printf '{"sessionId":%d,"batch":%d}\n' "$((batch * 100 + session))" "$batch"
        done >"$folder/batch-000$batch.jsonl"
    done
done

log "starting jobs-fcgi (spawn-fcgi -F 2) and nginx on 127.0.0.1:$port"
# -M 0666: nginx's workers run as another user (nobody when started as root); the folder is this demo's own.
# spawn-fcgi -F points its children's stderr at /dev/null: a shell that execs the app (same pid) keeps the log.
# --schedule-delay 0s: a deletion requested now is due now, so the worker runs it at its next look (1 s).
spawn-fcgi -F 2 -b 4096 -s "$run_dir/jobs-fcgi.sock" -M 0666 -P "$run_dir/jobs-fcgi.pids" -- \
    /bin/sh -c 'exec "$0" "$@" 2>>"$JOBS_DEMO_LOG"' "$bin_dir/jobs-fcgi" --schedule-delay 0s >/dev/null \
    || die "spawn-fcgi failed; see $demo_dir/jobs-fcgi.log"
bash "$repo_root/deploy/nginx-local-conf.sh" "$demo_dir" "$run_dir" "$port"
"$(command -v nginx || echo /usr/sbin/nginx)" -p "$demo_dir/" -c "$demo_dir/nginx.conf" -e "$demo_dir/error.log" &
nginx_pid=$!

# Each wait below polls until what it waits for happened, for at most a minute (a loaded machine is slow, a
# fast one never waits that long).
# Ready once a request reaches the app through nginx (the app's 401 for a request without a key).
deadline=$((SECONDS + 60))
while true; do
    status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/public/$project_key/jobs" || true)
    [[ $status == 401 ]] && break
    kill -0 "$nginx_pid" 2>/dev/null || die "nginx stopped; see $demo_dir/error.log"
    ((SECONDS < deadline)) \
        || die "no answer from the app in 60 s (last status $status); see $demo_dir/jobs-fcgi.log, $demo_dir/error.log"
    sleep 0.05
done

log "starting the worker (log: $worker_log)"
# A pause between batches, so that "running" can be seen while polling.
BATCH_PAUSE_SECONDS=0.4 "$bin_dir/jobsctl" worker --poll-seconds 1 \
    --action-env USER_DATA_DIR --action-env BATCH_PAUSE_SECONDS \
    --action delete_user_data=deploy/actions/delete-user-data </dev/null >>"$worker_log" 2>&1 &
worker_pid=$!
deadline=$((SECONDS + 60))
while true; do
    grep -q ' started: ' "$worker_log" 2>/dev/null && break
    kill -0 "$worker_pid" 2>/dev/null || die "the worker stopped: $(cat "$worker_log")"
    ((SECONDS < deadline)) || die "the worker did not start in 60 s; see $worker_log"
    sleep 0.05
done

base="http://127.0.0.1:$port/public/$project_key"
requests=(
    "GET $base/jobs?limit=50&page=1"
    "GET $base/jobs/1"
    "DELETE $base/jobs/$scheduled_id"
    "DELETE $base/users/shekar@example.com"
)
# Prints each request as a curl command; with --check, runs exactly that command and expects 200.
printf '\nThe Jobs API answers on http://127.0.0.1:%s/public/ with the API key %s\n\n' "$port" "$key"
failures=0
for request in "${requests[@]}"; do
    method=${request%% *}
    url=${request#* }
    arguments=(-H "Authorization: Bearer $key" "$url")
    [[ $method == GET ]] || arguments=(-X "$method" "${arguments[@]}")
    printf 'curl %s-H %s %s\n' "$([[ $method == GET ]] || echo "-X $method ")" "'Authorization: Bearer $key'" "'$url'"
    if $check; then
        status=$(curl -sS -o "$demo_dir/response.json" -w '%{http_code}' "${arguments[@]}") || status=000
        printf '  -> %s %s\n' "$status" "$(head -c 300 "$demo_dir/response.json")"
        [[ $status == 200 ]] || failures=$((failures + 1))
    fi
done

# The worker's part: a deletion requested now runs at once (the demo user's data has four batches).
flow_user=ada@example.com
flow_hash=$(printf '%s' "$flow_user" | sha256sum)
flow_folder=$USER_DATA_DIR/users/${flow_hash%% *}
printf "\nA worker runs due jobs (its log: %s). Delete a demo user's data, then poll the job the answer names\n" \
    "$worker_log"
printf "until it went scheduled → running → completed; the user's folder in %s/users is then gone:\n\n" \
    "$USER_DATA_DIR"
printf 'curl -X DELETE -H %s %s\n' "'Authorization: Bearer $key'" "'$base/users/$flow_user'"
if ! $check; then
    printf 'curl -H %s %s\n' "'Authorization: Bearer $key'" "'$base/jobs/JOB_ID'   # JOB_ID: the jobId it answered"
    printf '\nStore: %s (JOBS_STORE for jobsctl). Logs: %s/jobs-fcgi.log, %s, %s/access.log\n' \
        "$JOBS_STORE" "$demo_dir" "$worker_log" "$demo_dir"
    printf 'Press Ctrl-C to stop.\n'
    wait "$nginx_pid" || true
    exit 0
fi

((failures == 0)) || die "$failures of ${#requests[@]} demo requests did not answer 200"
status=$(curl -sS -o "$demo_dir/response.json" -w '%{http_code}' -X DELETE -H "Authorization: Bearer $key" \
    "$base/users/$flow_user") || status=000
printf '  -> %s %s\n' "$status" "$(head -c 300 "$demo_dir/response.json")"
[[ $status == 200 ]] || die "the deletion of $flow_user answered $status"
job_id=$(field jobId <"$demo_dir/response.json")
[[ $job_id =~ ^[0-9]+$ ]] || die "no jobId in the answer"
printf 'curl -H %s %s\n' "'Authorization: Bearer $key'" "'$base/jobs/$job_id'"
seen=scheduled
deadline=$((SECONDS + 60))
while true; do
    job_status=$(curl -sS -H "Authorization: Bearer $key" "$base/jobs/$job_id" | field status) || job_status=""
    [[ $job_status == "${seen##* }" ]] || seen="$seen → $job_status"
    [[ $job_status == completed ]] && break
    [[ $job_status == failed || $job_status == cancelled ]] && die "job $job_id is $job_status; see $worker_log"
    ((SECONDS < deadline)) || die "job $job_id is not completed after 60 s (seen: $seen); see $worker_log"
    sleep 0.2
done
printf '  -> %s\n' "$seen"
grep -q "job $job_id (.*scheduled → running" "$worker_log" || die "the worker did not log job $job_id starting"
grep -q "job $job_id (.*running → completed" "$worker_log" || die "the worker did not log job $job_id completing"
[[ ! -e $flow_folder ]] || die "job $job_id completed but $flow_folder is still there"
remaining=$(find "$USER_DATA_DIR/users" -name 'batch-*' | wc -l)
((remaining > 0)) || die "other users' data is gone too"
log "demo check passed: ${#requests[@]} requests answered 200; job $job_id went $seen and $flow_user's data is gone"
exit 0
