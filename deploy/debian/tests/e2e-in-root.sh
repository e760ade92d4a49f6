#!/bin/bash
# The end-to-end test of the Debian package, run inside a clean Debian 12 root without Swift by
# deploy/package-test.sh (which enters it with chroot, in namespaces of its own):
#   e2e-in-root.sh install DEB      with the network: the package and nginx, with apt, as README.md says
#   e2e-in-root.sh run NEXT_DEB     without it: the services as README.md starts them without systemd, the API
#                                   through nginx, a completed deletion, the upgrade to NEXT_DEB, the purge
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

step() { printf '  e2e: %s\n' "$*" >&2; }
fail() { printf '  e2e FAILED: %s\n' "$*" >&2; exit 1; }

store=/var/lib/jobs-api/jobs.sqlite3
as_service() { runuser -u jobs-api -- env JOBS_STORE=$store "$@"; }
field() { sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\).*/\1/p"; }

# Waits up to $1 seconds for the command that follows to succeed.
wait_for() {
    local deadline=$((SECONDS + $1))
    shift
    until "$@"; do
        ((SECONDS < deadline)) || return 1
        sleep 0.1
    done
}

install_package() {
    local deb=$1
    ! command -v swift >/dev/null || fail "swift is on PATH in the test root"
    # No service starts in this root while packages install (what a chroot's policy-rc.d says).
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 0755 /usr/sbin/policy-rc.d
    apt-get update -qq
    step "apt-get install $deb nginx ssl-cert"
    apt-get install -y -qq --no-install-recommends "$deb" nginx ssl-cert curl >/tmp/apt-install.log 2>&1 \
        || fail "apt-get install: $(tail -n 20 /tmp/apt-install.log)"
    rm /usr/sbin/policy-rc.d
    grep '^jobs-api:' /tmp/apt-install.log >&2 || true
    [[ $(jobsctl --version) == "$(jobs-fcgi --version)" ]] || fail "the two programs' versions differ"
    ! find / -xdev -name 'libswift*.so*' | grep -q . || fail "a Swift runtime library is in the test root"
}

# README.md, "Without systemd": the app under spawn-fcgi and the worker, as jobs-api, with the installed
# configuration. Their logs go to /var/log/jobs-api.log and /var/log/jobs-worker.log.
start_services() {
    install -d -o jobs-api -g jobs-api -m 0755 /run/jobs-api
    (set -a; . /etc/jobs-api/jobs-api.env; exec spawn-fcgi -n -b 4096 -s /run/jobs-api/jobs-fcgi.sock -M 0660 -u jobs-api -g jobs-api -U jobs-api -G www-data -- /usr/bin/jobs-fcgi --store "${JOBS_STORE:-/var/lib/jobs-api/jobs.sqlite3}" --threads "${JOBS_THREADS:-8}" --schedule-delay "${JOBS_SCHEDULE_DELAY:-next-midnight}" ${JOBS_FCGI_OPTIONS:-}) 2>>/var/log/jobs-api.log &
    echo $! >/tmp/app.pid
    (set -a; . /etc/jobs-api/jobs-api.env; exec runuser -u jobs-api -- jobsctl worker --store "${JOBS_STORE:-/var/lib/jobs-api/jobs.sqlite3}") 2>>/var/log/jobs-worker.log &
    echo $! >/tmp/worker.pid
    wait_for 10 test -S /run/jobs-api/jobs-fcgi.sock || fail "no socket: $(cat /var/log/jobs-api.log)"
}

stop_services() {
    local pid
    for pid in $(cat /tmp/app.pid /tmp/worker.pid); do
        kill -TERM "$pid"
        wait_for 15 bash -c "! kill -0 $pid 2>/dev/null" || fail "process $pid did not stop on SIGTERM"
    done
}

# Asks nginx for $2 $3 with the key; prints the body, checks the status is $1.
api() {
    local expected=$1 method=$2 url=$3 status
    status=$(curl -s -o /tmp/body -w '%{http_code}' -X "$method" -H "Authorization: Bearer $KEY" "$url")
    [[ $status == "$expected" ]] || fail "$method $url answered $status, not $expected: $(cat /tmp/body)"
    cat /tmp/body
}

# README "Running actions as another user", without systemd: the action runner as jobs-action behind a socket only
# jobs-api may reach, the worker handing it the jobs. A probe action records who ran it and what it could read.
check_action_runner() {
    local project=$1 probe runner_pid
    step "actions as another user: the action runner as jobs-action, the worker handing it its jobs"
    kill -TERM "$(cat /tmp/worker.pid)"
    wait_for 15 bash -c "! kill -0 $(cat /tmp/worker.pid) 2>/dev/null" || fail "the worker did not stop on SIGTERM"
    getent passwd jobs-action >/dev/null || fail "the package made no jobs-action user"
    ! id -nG jobs-action | grep -qw jobs-api || fail "jobs-action is in the jobs-api group"
    [[ $(stat -c '%U:%G %a' /etc/jobs-api/jobs-action.env) == "root:jobs-action 640" ]] \
        || fail "jobs-action.env is $(stat -c '%U:%G %a' /etc/jobs-api/jobs-action.env), not root:jobs-action 640"
    cat >/usr/local/bin/probe-action <<'EOF'
#!/bin/sh
# Who runs it, whether it can read the store or the worker's environment file, which store variable it got.
{
    id -un
    if cat /var/lib/jobs-api/jobs.sqlite3 >/dev/null 2>&1; then echo store-readable; else echo store-unreadable; fi
    if cat /etc/jobs-api/jobs-api.env >/dev/null 2>&1; then echo env-readable; else echo env-unreadable; fi
    echo "JOBS_STORE=${JOBS_STORE:-unset} JOB_ID=$JOB_ID"
} >/tmp/probe.out
EOF
    chmod 0755 /usr/local/bin/probe-action
    echo 'JOBS_ACTION_RUNNER_ACTIONS="probe=/usr/local/bin/probe-action"' >>/etc/jobs-api/jobs-action.env
    # The socket's folder lets jobs-api (its group) in and nobody else; the socket itself may be 0666 inside it.
    install -d -o jobs-action -g jobs-api -m 0710 /run/jobs-action
    (set -a; . /etc/jobs-api/jobs-action.env; exec runuser -u jobs-action -- jobsctl action-runner --listen /run/jobs-action/runner.sock --socket-mode 0666) 2>>/var/log/jobs-action.log &
    runner_pid=$!
    wait_for 10 test -S /run/jobs-action/runner.sock || fail "no runner socket: $(cat /var/log/jobs-action.log)"
    (set -a; . /etc/jobs-api/jobs-api.env; JOBS_WORKER_ACTIONS=; JOBS_WORKER_ACTION_RUNNER=/run/jobs-action/runner.sock; exec runuser -u jobs-api -- jobsctl worker --store "${JOBS_STORE:-/var/lib/jobs-api/jobs.sqlite3}") 2>>/var/log/jobs-worker.log &
    echo $! >/tmp/worker.pid
    probe=$(printf '{"referenceId":"probe@example.com","status":"scheduled","action":"probe","startAt":0}\n' \
        | as_service jobsctl job import --project "$project" 2>/dev/null | field jobId)
    [[ -n $probe ]] || fail "the probe job was not imported"
    wait_for 30 bash -c "runuser -u jobs-api -- env JOBS_STORE=$store jobsctl job show $probe | grep -q '\"status\":\"completed\"'" \
        || fail "the probe job did not complete: $(as_service jobsctl job show "$probe"); worker: $(tail -n 5 /var/log/jobs-worker.log); runner: $(cat /var/log/jobs-action.log)"
    [[ $(cat /tmp/probe.out) == "jobs-action
store-unreadable
env-unreadable
JOBS_STORE=unset JOB_ID=$probe" ]] || fail "the probe action saw: $(cat /tmp/probe.out)"
    if grep -q 'probe@example' /var/log/jobs-action.log; then fail "the runner's log names the user: $(cat /var/log/jobs-action.log)"; fi
    kill -TERM "$runner_pid"
    wait_for 15 bash -c "! kill -0 $runner_pid 2>/dev/null" || fail "the runner did not stop on SIGTERM"
}

run_checks() {
    local next_deb=$1

    step "configuring as README.md says: the snippet in the default site, the whole site enabled, an action"
    sed -i 's|^\tlocation / {|\tinclude snippets/jobs-api.conf;\n\n&|' /etc/nginx/sites-available/default
    ln -s ../sites-available/jobs-api /etc/nginx/sites-enabled/jobs-api
    nginx -t 2>/tmp/nginx-t.log || fail "nginx -t: $(cat /tmp/nginx-t.log)"
    nginx
    cat >>/etc/jobs-api/jobs-api.env <<'EOF'
JOBS_SCHEDULE_DELAY=0s
JOBS_WORKER_ACTIONS="delete_user_data=/usr/share/jobs-api/actions/delete-user-data"
JOBS_WORKER_POLL_SECONDS=0.2
JOBS_WORKER_ACTION_ENV=USER_DATA_DIR
USER_DATA_DIR=/srv/app-data
EOF
    local user_dir
    user_dir=/srv/app-data/users/$(printf '%s' 'ada@example.com' | sha256sum | cut -d' ' -f1)
    install -d -o jobs-api -g jobs-api /srv/app-data /srv/app-data/users "$user_dir"
    echo '{}' >"$user_dir/batch-0001.jsonl"
    chown jobs-api:jobs-api "$user_dir/batch-0001.jsonl"
    start_services
    grep -q "schema [0-9]*.*; version $(jobs-fcgi --version)\$" /var/log/jobs-api.log \
        || fail "the start line lacks the schema or version: $(cat /var/log/jobs-api.log)"

    step "an org, a key and a project with jobsctl, as jobs-api"
    local org project job cancelled
    org=$(as_service jobsctl org create Acme | field orgId)
    KEY=$(as_service jobsctl key create --org "$org" | field key)
    project=$(as_service jobsctl project create --org "$org" Web | field projectKey)
    [[ -n $KEY && -n $project ]] || fail "jobsctl did not make a key and a project"

    step "the four API calls through nginx (the snippet in the default site, and the jobs-api site)"
    local base=http://127.0.0.1/public/$project
    api 200 GET "$base/jobs?limit=50&page=1" | grep -qx '{"data":\[\]}' || fail "the new project's list is not empty"
    job=$(api 200 DELETE "$base/users/ada@example.com" | field jobId)
    api 200 GET "$base/jobs/$job" | grep -q '"referenceId":"ada@example.com"' || fail "GET of job $job"
    # A job due in an hour, so that no worker runs it before the cancel.
    cancelled=$(as_service jobsctl job create --project "$project" --user grace@example.com \
        --start-at $((($(date +%s) + 3600) * 1000)) | field jobId)
    api 200 DELETE "$base/jobs/$cancelled" | grep -q '"status":"cancelled"' || fail "cancel of job $cancelled"
    api 404 GET "$base/jobs/999999" >/dev/null
    # The whole site: HTTPS with ssl-cert's snakeoil pair (hence -k), plain HTTP only a redirect that keeps the method.
    [[ $(curl -sk -o /dev/null -w '%{http_code}' --resolve jobs.example.com:443:127.0.0.1 \
        -H "Authorization: Bearer $KEY" "https://jobs.example.com/public/$project/jobs/$job") == 200 ]] \
        || fail "the jobs-api site does not serve the API over HTTPS"
    curl -skI --resolve jobs.example.com:443:127.0.0.1 "https://jobs.example.com/public/$project/jobs/$job" \
        | grep -qi '^strict-transport-security: max-age=' || fail "the jobs-api site sends no Strict-Transport-Security"
    [[ $(curl -s -o /dev/null -w '%{http_code} %{redirect_url}' -X DELETE -H 'Host: jobs.example.com' \
        "http://127.0.0.1/public/$project/jobs/$job") == "308 https://jobs.example.com/public/$project/jobs/$job" ]] \
        || fail "plain HTTP to the jobs-api site is not redirected to HTTPS with 308"
    [[ $(curl -s -o /dev/null -w '%{http_code}' http://127.0.0.1/public/$project/jobs) == 401 ]] \
        || fail "a request without a key was not refused"

    step "nginx's access log shows the route of a user deletion, never the user id"
    grep -q '"DELETE /public/[A-Za-z0-9]*/users/:userId HTTP/1.1" 200 ' /var/log/nginx/jobs-api.access.log \
        || fail "no user deletion in the access log: $(cat /var/log/nginx/jobs-api.access.log)"
    if grep -sqiE 'ada(@|%40)example' /var/log/nginx/jobs-api.access.log /var/log/nginx/access.log; then
        fail "nginx's access log shows the user id: $(grep -siE 'ada(@|%40)example' /var/log/nginx/*.log)"
    fi

    step "one API key over its request rate gets JSON 429s with Retry-After; another key is not held back"
    # 1,000 requests: past the burst of 100, only a client slower than 50 r/s for 18 s would meet no 429.
    seq 1 1000 | xargs -P 8 -I{} curl -s -o /dev/null -w '%{http_code}\n' -H "Authorization: Bearer $KEY" \
        "$base/jobs/$job" >/tmp/burst.txt
    grep -qx 429 /tmp/burst.txt || fail "1,000 requests at once with one key met no 429: $(sort /tmp/burst.txt | uniq -c)"
    grep -vqx 429 /tmp/burst.txt || fail "every request of the burst got 429"
    curl -s -D /tmp/limited.head -o /tmp/limited.body -H "Authorization: Bearer $KEY" "$base/jobs/$job" >/dev/null
    if grep -q '^HTTP/1.1 429' /tmp/limited.head; then
        grep -qi '^retry-after: 1' /tmp/limited.head || fail "a 429 without Retry-After: $(cat /tmp/limited.head)"
        grep -q '^{"error":' /tmp/limited.body || fail "a 429 without a JSON error: $(cat /tmp/limited.body)"
    fi
    [[ $(curl -s -o /dev/null -w '%{http_code}' -H "Authorization: Bearer jobs_0000000000000000000000000000000000000000" \
        "$base/jobs/$job") == 401 ]] || fail "another key was held back by the first key's limit"
    wait_for 10 bash -c "[[ \$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Bearer $KEY' $base/jobs/$job) == 200 ]]" \
        || fail "the key stayed limited after the burst"

    step "the deletion runs to completed with the example action"
    wait_for 30 bash -c "curl -s -H 'Authorization: Bearer $KEY' $base/jobs/$job | grep -q '\"status\":\"completed\"'" \
        || fail "job $job did not complete: $(api 200 GET "$base/jobs/$job"); worker: $(cat /var/log/jobs-worker.log)"
    [[ ! -e $user_dir ]] || fail "the action left $user_dir"

    check_action_runner "$project"

    step "upgrade to $(basename "$next_deb"): every job kept, the store backed up before its migration"
    stop_services
    local before after backup
    before=$(as_service jobsctl job list --project "$project")
    # The store as an earlier release (schema 7) left it: schema 8's changes (webhooks) and 9's (the active-job
    # limit) undone, so that the upgrade migrates.
    [[ $(sqlite3 $store 'PRAGMA user_version') == 9 ]] || fail "this test undoes schemas 9 and 8; the store is at another"
    runuser -u jobs-api -- sqlite3 -bail $store "BEGIN;" "ALTER TABLE organizations DROP COLUMN active_job_limit;" \
        "DROP TRIGGER jobs_final_event;" "DROP TABLE webhook_events;" "DROP TABLE webhooks;" \
        "PRAGMA user_version = 7;" "COMMIT;" >/dev/null
    apt-get install -y -qq "$next_deb" >/tmp/apt-upgrade.log 2>&1 || fail "upgrade: $(cat /tmp/apt-upgrade.log)"
    grep '^jobs-api:' /tmp/apt-upgrade.log >&2
    backup=$(sed -n 's/^jobs-api: backed up .* to \(.*\) before migrating.*/\1/p' /tmp/apt-upgrade.log)
    [[ -s $backup ]] || fail "no backup named in the upgrade's output: $(cat /tmp/apt-upgrade.log)"
    [[ $(sqlite3 "$backup" 'PRAGMA integrity_check') == ok ]] || fail "the backup $backup is not a sound database"
    [[ $(sqlite3 "$backup" 'SELECT count(*) FROM jobs') == $(wc -l <<<"$before") ]] || fail "the backup lacks jobs"
    after=$(as_service jobsctl job list --project "$project")
    [[ $after == "$before" ]] || fail "jobs changed in the upgrade: before $before, after $after"
    start_services
    api 200 GET "$base/jobs/$job" | grep -q '"status":"completed"' || fail "job $job after the upgrade"
    stop_services
    nginx -s quit

    step "dpkg -P jobs-api leaves nothing"
    local files
    # Every file of the package, and its own folders.
    files=$(dpkg -L jobs-api | while read -r path; do [[ -d $path ]] || echo "$path"; done)
    # The admin's own changes go first, as README.md says: the site's link and the include.
    rm /etc/nginx/sites-enabled/jobs-api
    sed -i '/include snippets\/jobs-api.conf;/d' /etc/nginx/sites-available/default
    dpkg -P jobs-api >/tmp/purge.log 2>&1 || fail "dpkg -P: $(cat /tmp/purge.log)"
    local left=()
    for path in $files /var/lib/jobs-api /etc/jobs-api /usr/share/jobs-api /usr/share/doc/jobs-api; do
        [[ ! -e $path ]] || left+=("$path")
    done
    ((${#left[@]} == 0)) || fail "left after the purge: ${left[*]}"
    ! getent passwd jobs-api >/dev/null || fail "the jobs-api user is left"
    ! getent group jobs-api >/dev/null || fail "the jobs-api group is left"
    ! getent passwd jobs-action >/dev/null || fail "the jobs-action user is left"
    ! getent group jobs-action >/dev/null || fail "the jobs-action group is left"
    step "passed"
}

case ${1:-} in
    install) install_package "$2" ;;
    run) run_checks "$2" ;;
    *) fail "usage: $0 install DEB | run NEXT_DEB" ;;
esac
