#!/usr/bin/env bash
# Checks the running stack against openapi.yaml with schemathesis: starts the real stack (a seeded store with two
# organizations and jobs in every state, spawn-fcgi -F 2 + jobs-fcgi, nginx with the shipped site on a free port of
# 127.0.0.1), then lets schemathesis generate requests for every operation (the documented examples, the coverage
# cases, then random ones) and fails on any 5xx, any undocumented status, header or content type, and any body that
# does not match the schema. The run is bounded: SCHEMATHESIS_MAX_EXAMPLES per operation and SCHEMATHESIS_TIMEOUT
# seconds in all.
#
# schemathesis (pinned below) is installed into .venv-test/ at the repository's root when missing (python3 and
# python3-venv come from apt when missing).
#
# Environment: JOBS_BIN_DIR: jobs-fcgi and jobsctl from there (deploy/test.sh passes its debug build) instead of a
# debug build made here; SCHEMATHESIS_MAX_EXAMPLES (default 50); SCHEMATHESIS_TIMEOUT (default 150);
# SCHEMATHESIS_SEED (default 1: the same requests every run; `random` for a new seed); SCHEMATHESIS_CHECKS (a
# comma-separated list of schemathesis checks; default: the eight below).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$repo_root"

schemathesis_version=4.32.5
max_examples=${SCHEMATHESIS_MAX_EXAMPLES:-50}
time_limit=${SCHEMATHESIS_TIMEOUT:-150}
seed=${SCHEMATHESIS_SEED:-1}
checks=${SCHEMATHESIS_CHECKS:-not_a_server_error,status_code_conformance,content_type_conformance,\
response_headers_conformance,response_schema_conformance,ignored_auth,allow_header_conformance,missing_required_header}
project_key=3sWXSsqHgSKnE87YkNJK  # the contract's example key, also openapi.yaml's example

ensure_packages python3 python3-venv
venv=$repo_root/.venv-test
schemathesis=$venv/bin/schemathesis
if [[ $("$schemathesis" --version 2>/dev/null) != *" $schemathesis_version" ]]; then
    log "installing schemathesis $schemathesis_version into $venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check "schemathesis==$schemathesis_version" </dev/null
fi

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

# Everything (store, socket, nginx configuration, logs, report) in one folder under /tmp that nginx's workers
# (nobody, when started as root) can enter.
run_dir=$(mktemp -d /tmp/jobs-api-schemathesis.XXXXXX)
chmod 0755 "$run_dir"
export JOBS_STORE=$run_dir/jobs.sqlite3
app_log=$run_dir/jobs-fcgi.log
export JOBS_APP_LOG=$app_log

nginx_pid=""
stop() {
    trap - EXIT INT TERM
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
org_id=$(jobsctl org create "Schemathesis organization" | field orgId)
key=$(jobsctl key create --org "$org_id" | field key)
jobsctl project create --org "$org_id" "Checked project" --project-key "$project_key" >/dev/null
other_org=$(jobsctl org create "Other organization" | field orgId)
other_project=$(jobsctl project create --org "$other_org" "Not ours" | field projectKey)
now_ms=$(($(date +%s) * 1000))
for project in "$project_key" "$other_project"; do
    sample_jobs_jsonl "$now_ms" | jobsctl job import --project "$project" >/dev/null
    for user in barbara@example.com ken@example.com "zoë/../x y"; do
        jobsctl job create --project "$project" --user "$user" >/dev/null
    done
done

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log "starting jobs-fcgi (spawn-fcgi -F 2) and nginx on 127.0.0.1:$port"
# --auth-failure-limit 0: schemathesis sends many requests without a key (the limit has tests of its own).
spawn-fcgi -F 2 -b 4096 -s "$run_dir/jobs-fcgi.sock" -M 0666 -P "$run_dir/jobs-fcgi.pids" -- \
    /bin/sh -c 'exec "$0" "$@" 2>>"$JOBS_APP_LOG"' "$bin_dir/jobs-fcgi" --auth-failure-limit 0 >/dev/null \
    || die "spawn-fcgi failed: $(cat "$app_log" 2>/dev/null)"
bash "$repo_root/deploy/nginx-local-conf.sh" "$run_dir" "$run_dir" "$port"
"$(command -v nginx || echo /usr/sbin/nginx)" -p "$run_dir/" -c "$run_dir/nginx.conf" -e "$run_dir/error.log" &
nginx_pid=$!
for ((tries = 0; ; tries++)); do
    status=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/public/$project_key/jobs" || true)
    [[ $status == 401 ]] && break
    kill -0 "$nginx_pid" 2>/dev/null || die "nginx stopped: $(cat "$run_dir/error.log")"
    ((tries < 200)) || die "no answer from the app (last status $status): $(cat "$app_log")"
    sleep 0.05
done

# Most generated path parameters are drawn from what the store holds (our project, another organization's, and
# every job id of both), so that the checks reach the answers with data, not only 404s.
job_ids=$(jobsctl job list --project "$project_key" | field jobId; jobsctl job list --project "$other_project" | field jobId)
cat >"$run_dir/schemathesis.toml" <<TOML
[dictionaries.projects]
values = ["$project_key", "$other_project"]

[dictionaries.jobs]
values = [$(printf '"%s", ' $job_ids)]

[parameters]
"path.projectKey" = { dictionary = "projects", probability = 0.8 }
"path.jobId" = { dictionary = "jobs", probability = 0.8 }
TOML

seed_option=(--seed "$seed")
[[ $seed == random ]] && seed_option=()
log "schemathesis $schemathesis_version: $max_examples examples per operation, ${time_limit} s at most"
started=$SECONDS
status=0
# The default checks are what the contract promises of every answer: no 5xx; documented statuses, content types,
# headers (WWW-Authenticate on 401, Allow on 405) and bodies; 401 without the key. Left out: negative_data_rejection
# and positive_data_acceptance (limit/page accept any text by design, and jobId is a string the server validates, so
# "schema-valid" requests get 400), unsupported_method (nginx itself answers TRACE and CONNECT with a 405 without
# Allow, before the app), and the stateful checks (no links in openapi.yaml).
(cd "$run_dir" && timeout --signal=INT --kill-after=10 "$time_limit" \
    "$schemathesis" --config-file "$run_dir/schemathesis.toml" run "$repo_root/openapi.yaml" \
    --url "http://127.0.0.1:$port" --header "Authorization: Bearer $key" \
    --checks "$checks" \
    --phases examples,coverage,fuzzing --max-examples "$max_examples" "${seed_option[@]}" \
    --generation-database none --workers 2 --no-color --report junit --report-dir "$run_dir/report" \
    </dev/null) || status=$?
log "schemathesis finished in $((SECONDS - started)) s with status $status"

# Whatever schemathesis sent, both FastCGI processes must still be running.
for pid in $(cat "$run_dir/jobs-fcgi.pids"); do
    if ! process_running "$pid"; then
        log "jobs-fcgi $pid died; its log:"
        tail -n 50 "$app_log" >&2
        status=1
    fi
done
if ((status == 124)); then
    die "schemathesis did not finish within ${time_limit} s"
fi
exit "$status"
