#!/usr/bin/env bash
# Instructions per request of jobs-fcgi, counted by valgrind's callgrind: a figure that, unlike requests/s, does
# not move when other work shares the machine. Builds a release (.build-perf), makes a small store with jobsctl
# (plus deploy/bench/seed-jobs.sql), then for each scenario runs `jobs-fcgi --listen unix:… --threads 1` under
# callgrind three times: answering no request (start-up and shutdown alone), one request, and N requests, sent
# one at a time by cgi-fcgi with the params nginx's fastcgi_params would pass. Prints
#   (Ir of the N-request run - Ir of the 0-request run) / N
# and, as "marginal", (Ir of the N-request run - Ir of a 1-request run) / (N - 1)
# and keeps each callgrind.out file for callgrind_annotate.
#
#   deploy/bench/callgrind.sh                 # both scenarios, 1000 requests each
#   CALLGRIND_REQUESTS=200 deploy/bench/callgrind.sh job
#   CALLGRIND_ANNOTATE=1 deploy/bench/callgrind.sh job   # also the top functions, inclusive and self
#
# Scenarios: job (GET /public/KEY/jobs/ID with a valid key, a different id each request), badkey (the same
# with a well-formed key that does not exist: SHA-256, one index lookup, a 401; the failed-authentication limit
# is off, as in deploy/bench.sh, or all but the first 60 would be 429s), page1 (GET /public/KEY/jobs?
# limit=100&page=1), deeppage (the same, last full page: page 10,000 with CALLGRIND_JOBS=1000000), cancel
# (DELETE /public/KEY/jobs/ID, a different scheduled job each request: the odd ids of seed-jobs.sql's one
# project) and users (DELETE /public/KEY/users/ID, a new user each request). Both write: one commit and one
# fdatasync of the log each (callgrind counts the instructions, not the wait). Every run of one script call
# uses jobs and users the runs before it left alone.
# Settings: CALLGRIND_REQUESTS (default 1000), CALLGRIND_JOBS (jobs in the store, default 10000),
# CALLGRIND_BIN_DIR (use jobs-fcgi and jobsctl from there instead of building), CALLGRIND_OUT (default
# deploy/.bench/callgrind), CALLGRIND_ANNOTATE (1: print callgrind_annotate's top 25 for each scenario).
# CALLGRIND_KEEP (1: keep the temporary folder with the store and the server's log).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
cd "$repo_root"

requests=${CALLGRIND_REQUESTS:-1000}
jobs=${CALLGRIND_JOBS:-10000}
out_dir=${CALLGRIND_OUT:-$repo_root/deploy/.bench/callgrind}
scenarios=("$@")
((${#scenarios[@]} > 0)) || scenarios=(job badkey page1 deeppage cancel users)
[[ $requests =~ ^[0-9]+$ ]] && ((requests >= 1)) || die "CALLGRIND_REQUESTS=$requests: a whole number, at least 1"
[[ $jobs =~ ^[0-9]+$ ]] && ((jobs >= 1000)) || die "CALLGRIND_JOBS=$jobs: a whole number, at least 1000"
for scenario in "${scenarios[@]}"; do
    [[ $scenario =~ ^(job|badkey|page1|deeppage|cancel|users)$ ]] ||
        die "unknown scenario $scenario (job, badkey, page1, deeppage, cancel, users)"
done

ensure_packages valgrind libfcgi-bin sqlite3
if [[ -n ${CALLGRIND_BIN_DIR:-} ]]; then
    bin_dir=$CALLGRIND_BIN_DIR
else
    ensure_swift
    log "swift build -c release --scratch-path .build-perf"
    swift build -c release --scratch-path .build-perf </dev/null >&2
    bin_dir=$(swift build -c release --scratch-path .build-perf --show-bin-path)
fi
for binary in jobs-fcgi jobsctl; do
    [[ -x $bin_dir/$binary ]] || die "$bin_dir/$binary is missing"
done

mkdir -p "$out_dir"
run_dir=$(mktemp -d /tmp/jobs-callgrind.XXXXXX)
server_pid=""
cleanup() {
    if [[ -n $server_pid ]]; then kill -TERM "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
    [[ -n ${CALLGRIND_KEEP:-} ]] || rm -rf "$run_dir"
}
trap cleanup EXIT

# MARK: The store (as deploy/bench.sh makes it, smaller)

store=$run_dir/jobs.db
jobsctl() { JOBS_STORE=$store "$bin_dir/jobsctl" "$@"; }
field() { sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\).*/\1/p"; }
jobsctl init >/dev/null
org_id=$(jobsctl org create "Callgrind organization" | field orgId)
key=$(jobsctl key create --org "$org_id" | field key)
project_key=$(jobsctl project create --org "$org_id" "Callgrind project" | field projectKey)
[[ -n $key && -n $project_key ]] || die "jobsctl did not print a key and a project key"
sqlite3 -bail "$store" ".parameter set @jobs $jobs" ".parameter set @projects 1" \
    ".parameter set @now $(($(date +%s) * 1000))" ".read deploy/bench/seed-jobs.sql" >/dev/null
# valgrind 3.19 cannot read the DWARF 5 that Swift 6 writes ("Possibly corrupted debuginfo file"): run a copy
# without debug info; callgrind still names functions from the symbol table.
cp "$bin_dir/jobs-fcgi" "$run_dir/jobs-fcgi"
strip --strip-debug "$run_dir/jobs-fcgi"
# Well formed, the same length as a real key, stored nowhere.
bad_key=jobs_0000000000000000000000000000000000000000

# MARK: One run

socket=$run_dir/fcgi.sock

# One request as nginx's fastcgi_params (and the shipped site's HTTP_PROXY "") would describe it.
send() { # method path[?query] authorization
    local method=$1 path=${2%%\?*} query=""
    [[ $2 == *\?* ]] && query=${2#*\?}
    env -i QUERY_STRING="$query" REQUEST_METHOD="$method" CONTENT_TYPE="" CONTENT_LENGTH="" SCRIPT_NAME="$path" \
        REQUEST_URI="$2" DOCUMENT_URI="$path" DOCUMENT_ROOT=/usr/share/nginx/html SERVER_PROTOCOL=HTTP/1.1 \
        REQUEST_SCHEME=http GATEWAY_INTERFACE=CGI/1.1 SERVER_SOFTWARE=nginx/1.22.1 REMOTE_ADDR=127.0.0.1 \
        REMOTE_PORT=40000 SERVER_ADDR=127.0.0.1 SERVER_PORT=8080 SERVER_NAME=localhost REDIRECT_STATUS=200 \
        HTTP_PROXY="" HTTP_HOST=127.0.0.1:8080 HTTP_USER_AGENT=callgrind HTTP_ACCEPT='*/*' \
        HTTP_AUTHORIZATION="Bearer $3" \
        cgi-fcgi -bind -connect "$socket" </dev/null
}

# Runs jobs-fcgi under callgrind answering `count` requests of `scenario`; sets `measured_ir` to the run's total
# Ir. Called directly, never in `$(…)`: a `die` inside must end the script, and `server_pid` must stay visible to
# the cleanup (in a subshell a failed run went on as an empty number while its server kept running).
measured_ir=""
# The writes' next scheduled job (the n-th odd id) and next user, counted over every run of this script call.
next_write=0
measure() { # scenario count
    local scenario=$1 count=$2 name=$out_dir/callgrind.out.$1.$2 i path auth expected method=GET
    # The previous run's log must go first: the redirection below happens in the background job, and a wait that
    # read the old "listening on" before the new server truncated it connected to nothing.
    rm -f "$socket" "$name" "$run_dir/server.log"
    # LD_BIND_NOW: every symbol is bound at start-up, so the first requests do not pay the dynamic linker's
    # lazy binding (it would show up as per-request cost).
    LD_BIND_NOW=1 valgrind --tool=callgrind --callgrind-out-file="$name" \
        "$run_dir/jobs-fcgi" --store "$store" --listen "unix:$socket" --threads 1 --auth-failure-limit 0 \
        2>"$run_dir/server.log" &
    server_pid=$!
    for ((i = 0; i < 3000; i++)); do
        grep -qs "listening on" "$run_dir/server.log" && [[ -S $socket ]] && break
        kill -0 "$server_pid" 2>/dev/null || die "jobs-fcgi exited: $(cat "$run_dir/server.log")"
        sleep 0.1
    done
    grep -q "listening on" "$run_dir/server.log" || die "jobs-fcgi did not start: $(tail -n 5 "$run_dir/server.log")"
    auth=$key expected="Status: 200"
    [[ $scenario == badkey ]] && auth=$bad_key expected="Status: 401"
    [[ $scenario == cancel || $scenario == users ]] && method=DELETE
    if [[ $scenario == cancel ]] && ((next_write + count > (jobs + 1) / 2)); then
        die "cancel: not enough scheduled jobs left (make CALLGRIND_JOBS larger)"
    fi
    for ((i = 0; i < count; i++)); do
        # Job ids 1 … jobs, a different one each time (a prime stride).
        case $scenario in
        page1) path="/public/$project_key/jobs?limit=100&page=1" ;;
        deeppage) path="/public/$project_key/jobs?limit=100&page=$((jobs / 100))" ;;
        cancel) path=/public/$project_key/jobs/$((1 + 2 * next_write)) next_write=$((next_write + 1)) ;;
        users) path=/public/$project_key/users/callgrind-$next_write@example.com next_write=$((next_write + 1)) ;;
        *) path=/public/$project_key/jobs/$((1 + (i * 7919) % jobs)) ;;
        esac
        if ((i == 0)); then
            # Read whole first: `head` closing the pipe early would fail a long answer under pipefail.
            send "$method" "$path" "$auth" >"$run_dir/first-answer"
            head -n 1 "$run_dir/first-answer" | grep -q "^$expected" || die "$scenario: the first answer is not $expected"
        else
            send "$method" "$path" "$auth" >/dev/null
        fi
    done
    # Under valgrind a SIGTERM now and then leaves the thread blocked in accept asleep: repeat it until the
    # process ends (a SIGKILL would lose the profile).
    for ((i = 0; i < 120; i++)); do
        kill -TERM "$server_pid" 2>/dev/null || break
        sleep 0.5
        kill -0 "$server_pid" 2>/dev/null || break
    done
    local status=0
    wait "$server_pid" || status=$?
    server_pid=""
    local answered
    # Every request answered with the scenario's status (a 429 from the failure limit would be another cost).
    answered=$(grep -c "^jobs-fcgi\[[0-9]*\]: $method [^ ]* ${expected#Status: } " "$run_dir/server.log" || true)
    ((answered == count)) || die "jobs-fcgi answered $answered of $count requests with ${expected#Status: }: $(grep -v "^==" "$run_dir/server.log" | tail -n 5)"
    # Seen now and then under valgrind only: the SIGTERM that ends the run makes accept fail with a stale errno
    # and jobs-fcgi exit 1 instead of 0. Every request was answered and counted, so the figures stand.
    ((status == 0)) || log "note: jobs-fcgi exited with $status: $(grep -v "^==" "$run_dir/server.log" | tail -n 1)"
    measured_ir=$(sed -n 's/^summary: *//p; s/^totals: *//p' "$name" | head -n 1)
    [[ $measured_ir =~ ^[0-9]+$ ]] || die "no instruction total in $name"
}

# Ir/request subtracts the run that answered nothing; marginal subtracts a run that answered one request
# instead, so one-time costs of the first request (preparing statements, Swift metadata) are left out too.
printf '%-8s %9s %13s %13s %13s %11s %9s\n' scenario requests "Ir (0 req)" "Ir (1 req)" "Ir (N req)" Ir/request marginal
for scenario in "${scenarios[@]}"; do
    measure "$scenario" 0
    base=$measured_ir
    measure "$scenario" 1
    one=$measured_ir
    measure "$scenario" "$requests"
    total=$measured_ir
    marginal=$((requests > 1 ? (total - one) / (requests - 1) : 0))
    printf '%-8s %9d %13d %13d %13d %11d %9d\n' "$scenario" "$requests" "$base" "$one" "$total" \
        $(((total - base) / requests)) "$marginal"
done
# `head` closes each pipe early: `|| true` keeps callgrind_annotate's SIGPIPE from ending the script (pipefail).
if [[ ${CALLGRIND_ANNOTATE:-} == 1 ]]; then
    for scenario in "${scenarios[@]}"; do
        name=$out_dir/callgrind.out.$scenario.$requests
        printf '\n# %s: inclusive\n' "$scenario"
        callgrind_annotate --inclusive=yes "$name" 2>/dev/null | sed -n '/^Ir/,$p' | head -n 30 | cut -c1-200 || true
        printf '\n# %s: self\n' "$scenario"
        callgrind_annotate "$name" 2>/dev/null | sed -n '/^Ir/,$p' | head -n 30 | cut -c1-200 || true
    done
fi
log "callgrind files in $out_dir (callgrind_annotate FILE)"
