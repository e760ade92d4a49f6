# Helpers shared by deploy/*.sh. Source it: it sets repo_root and defines the functions below.

repo_root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Runs a command as root: directly when we are root, through sudo otherwise (never prompting under CI).
as_root() {
    if [[ $EUID -eq 0 ]]; then
        "$@"
    elif [[ -n ${CI:-} ]]; then
        sudo -n "$@"
    else
        sudo "$@"
    fi
}

# The Debian packages that building the project needs (its C libraries, through pkg-config).
build_packages=(libfcgi-dev libsqlite3-dev libpq-dev libcurl4-openssl-dev pkg-config)

# Installs the Debian packages the project's tests need that are missing, and the ones named as arguments (a
# script's own extras, such as deploy/bench.sh's wrk): what building needs, the stack's programs, and PostgreSQL
# for the tests of the PostgreSQL store. The nginx binary may come from nginx or nginx-light, so it is looked for,
# not a package name.
ensure_packages() {
    ensure_only_packages "${build_packages[@]}" spawn-fcgi sqlite3 postgresql curl python3 "$@"
    [[ -x /usr/sbin/nginx ]] || command -v nginx >/dev/null || ensure_only_packages nginx-light
}

# Installs those of the named Debian packages that are missing, and nothing else; `apt-get update` runs only if one
# is missing.
ensure_only_packages() {
    local missing=() package
    for package in "$@"; do
        dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null | grep -qx installed || missing+=("$package")
    done
    ((${#missing[@]} == 0)) && return 0
    log "installing ${missing[*]}"
    as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq
    as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" </dev/null
}

# Fails early with a clear message when the Swift toolchain is not on PATH (it does not come from apt).
ensure_swift() {
    command -v swift >/dev/null || die "swift is not on PATH: install Swift 6 (https://www.swift.org/install/linux/)"
}

# The value of a string or integer field of a one-line JSON object printed by jobsctl (its output is compact).
field() { sed -n "s/.*\"$1\":\"\{0,1\}\([^\",}]*\).*/\1/p"; }

# Whether process PID is still running: neither gone nor a zombie waiting for its parent (or init) to reap it.
process_running() { [[ -e /proc/$1 ]] && ! grep -q ') Z' "/proc/$1/stat" 2>/dev/null; }

# Sends SIGTERM to each pid listed in the files given (spawn-fcgi -P writes one per child) and waits up to 5 s
# for each to end; one still running then is killed. spawn-fcgi -F leaves its children on their own, so nothing
# else stops them.
stop_pids_in() {
    local pidfile pid tries
    for pidfile in "$@"; do
        [[ -s $pidfile ]] || continue
        for pid in $(cat "$pidfile"); do
            kill -TERM "$pid" 2>/dev/null || true
            for ((tries = 0; tries < 500; tries++)); do
                process_running "$pid" || break
                sleep 0.01
            done
            ! process_running "$pid" || kill -KILL "$pid" 2>/dev/null || true
        done
    done
}

# JSON Lines for `jobsctl job import`: one job in each state that only a worker reaches (completed, failed,
# cancelled, running), timed around NOW_MS (milliseconds since the epoch). Shared by demo.sh and schemathesis.sh.
sample_jobs_jsonl() {
    local now_ms=$1
    cat <<EOF
{"referenceId":"ada@example.com","status":"completed","createdAt":$((now_ms - 172800000)),"updatedAt":$((now_ms - 86400000)),"startAt":$((now_ms - 86400000))}
{"referenceId":"grace@example.com","status":"failed","createdAt":$((now_ms - 172800000)),"updatedAt":$((now_ms - 86400000)),"startAt":$((now_ms - 86400000)),"errors":"session store unreachable"}
{"referenceId":"alan@example.com","status":"cancelled","createdAt":$((now_ms - 90000000)),"updatedAt":$((now_ms - 89000000))}
{"referenceId":"edsger@example.com","status":"running","createdAt":$((now_ms - 3600000)),"updatedAt":$((now_ms - 60000)),"startAt":$((now_ms - 60000))}
EOF
}

# add_scheduled_jobs STORE COUNT: appends COUNT scheduled jobs, due in 2100 (no worker takes them), to project 1 of a
# SQLite store seeded by deploy/bench/seed-jobs.sql (safe while the app runs); prints the first new job id.
add_scheduled_jobs() {
    local first
    first=$(sqlite3 -bail "$1" ".timeout 30000" ".parameter set @project 1" ".parameter set @count $2" \
        ".parameter set @now $(($(date +%s) * 1000))" ".parameter set @start_at 4102444800000" \
        ".read $repo_root/deploy/bench/add-scheduled-jobs.sql") || die "could not add $2 scheduled jobs to $1"
    [[ $first =~ ^[1-9][0-9]*$ ]] || die "deploy/bench/add-scheduled-jobs.sql printed '$first', not a job id"
    echo "$first"
}
