#!/usr/bin/env bash
# Runs the Jobs API locally: a demo store with an organization, a key, two projects and jobs in every state, the
# app under spawn-fcgi and nginx on 127.0.0.1:$DEMO_PORT (default 8080), then prints curl commands that work as
# shown. Ctrl-C stops everything. The system's nginx configuration is not touched.
#
#   deploy/demo.sh           build (release), start, print the commands, wait for Ctrl-C
#   deploy/demo.sh --check   the same, but run the printed commands, check each answers 200, stop (for CI)
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

ensure_packages
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

nginx_pid=""
stop() {
    trap - EXIT INT TERM
    log "stopping"
    if [[ -s $run_dir/jobs-fcgi.pids ]]; then
        # spawn-fcgi -F leaves its children running on their own: stop each by its pid, and wait (up to 5 s) until
        # none is left but a zombie for init to reap.
        local pid tries
        for pid in $(cat "$run_dir/jobs-fcgi.pids"); do
            kill -TERM "$pid" 2>/dev/null || true
            for ((tries = 0; tries < 500; tries++)); do
                [[ -e /proc/$pid ]] && ! grep -q ') Z' "/proc/$pid/stat" 2>/dev/null || break
                sleep 0.01
            done
        done
    fi
    if [[ -n $nginx_pid ]]; then
        kill -TERM "$nginx_pid" 2>/dev/null || true
        wait "$nginx_pid" 2>/dev/null || true
    fi
    rm -rf "$run_dir"
}
trap stop EXIT
trap 'exit 130' INT TERM

jobsctl() { "$bin_dir/jobsctl" "$@"; }
# The value of a string or integer field of a one-line JSON object printed by jobsctl (its output is compact).
field() { sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\).*/\1/p"; }

log "seeding $JOBS_STORE"
jobsctl init >/dev/null
org_id=$(jobsctl org create "Demo organization" | field orgId)
key=$(jobsctl key create --org "$org_id" | field key)
jobsctl project create --org "$org_id" "Demo project" --project-key "$project_key" >/dev/null
other_key=$(jobsctl project create --org "$org_id" "Second project" | field projectKey)
# Jobs in the states only the app's workers would reach, imported as JSON Lines, then scheduled ones.
now_ms=$(($(date +%s) * 1000))
jobsctl job import --project "$project_key" >/dev/null <<EOF
{"referenceId":"ada@example.com","status":"completed","createdAt":$((now_ms - 172800000)),"updatedAt":$((now_ms - 86400000)),"startAt":$((now_ms - 86400000))}
{"referenceId":"grace@example.com","status":"failed","createdAt":$((now_ms - 172800000)),"updatedAt":$((now_ms - 86400000)),"startAt":$((now_ms - 86400000)),"errors":"session store unreachable"}
{"referenceId":"alan@example.com","status":"cancelled","createdAt":$((now_ms - 90000000)),"updatedAt":$((now_ms - 89000000))}
{"referenceId":"edsger@example.com","status":"running","createdAt":$((now_ms - 3600000)),"updatedAt":$((now_ms - 60000)),"startAt":$((now_ms - 60000))}
EOF
scheduled_id=$(jobsctl job create --project "$project_key" --user barbara@example.com | field jobId)
jobsctl job create --project "$project_key" --user ken@example.com >/dev/null
jobsctl job create --project "$other_key" --user linus@example.com >/dev/null

log "starting jobs-fcgi (spawn-fcgi -F 2) and nginx on 127.0.0.1:$port"
# -M 0666: nginx's workers run as another user (nobody when started as root); the folder is this demo's own.
# spawn-fcgi -F points its children's stderr at /dev/null: a shell that execs the app (same pid) keeps the log.
spawn-fcgi -F 2 -s "$run_dir/jobs-fcgi.sock" -M 0666 -P "$run_dir/jobs-fcgi.pids" -- \
    /bin/sh -c 'exec "$0" "$@" 2>>"$JOBS_DEMO_LOG"' "$bin_dir/jobs-fcgi" >/dev/null \
    || die "spawn-fcgi failed; see $demo_dir/jobs-fcgi.log"
bash "$repo_root/deploy/nginx-local-conf.sh" "$demo_dir" "$run_dir" "$port"
"$(command -v nginx || echo /usr/sbin/nginx)" -p "$demo_dir/" -c "$demo_dir/nginx.conf" -e "$demo_dir/error.log" &
nginx_pid=$!

# Ready once a request reaches the app through nginx (the app's 401 for a request without a key).
for ((tries = 0; ; tries++)); do
    status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/public/$project_key/jobs" || true)
    [[ $status == 401 ]] && break
    kill -0 "$nginx_pid" 2>/dev/null || die "nginx stopped; see $demo_dir/error.log"
    ((tries < 200)) || die "no answer from the app (last status $status); see $demo_dir/jobs-fcgi.log, $demo_dir/error.log"
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

if $check; then
    ((failures == 0)) || die "$failures of ${#requests[@]} demo requests did not answer 200"
    log "demo check passed: ${#requests[@]} requests answered 200"
    exit 0
fi
printf '\nStore: %s (JOBS_STORE for jobsctl). Logs: %s/jobs-fcgi.log, %s/access.log\n' "$JOBS_STORE" "$demo_dir" "$demo_dir"
printf 'Press Ctrl-C to stop.\n'
wait "$nginx_pid" || true
