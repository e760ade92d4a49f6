# Sourced (after deploy/lib.sh) by the deploy/bench/*-cost.sh scripts: what each of them sets up the same way.

# cost_setup NAME [BIN_DIR]: `jobsctl`, the built jobsctl (from BIN_DIR, else .build/release, else .build/debug);
# `run_dir`, a fresh /tmp/jobs-NAME.XXXXXX that the postgres user may enter; `pg_dir`, where
# deploy/postgres-test-server.sh may start a server. Both are removed when the script exits, the server stopped.
cost_setup() {
    local bin_dir=${2:-.build/release}
    [[ -x $bin_dir/jobsctl ]] || bin_dir=.build/debug
    [[ -x $bin_dir/jobsctl ]] || die "no jobsctl in $bin_dir: swift build -c release first"
    jobsctl=$bin_dir/jobsctl
    run_dir=$(mktemp -d "/tmp/jobs-$1.XXXXXX")
    chmod 0755 "$run_dir"
    pg_dir=$run_dir/postgres
    trap cost_cleanup EXIT
}

cost_cleanup() {
    [[ ! -d $pg_dir ]] || deploy/postgres-test-server.sh stop "$pg_dir" >/dev/null 2>&1 || true
    rm -rf "$run_dir"
}

# cost_store DSN [PROJECT_KEY]: the store at DSN initialised, with organization 1 and its project 1.
cost_store() {
    JOBS_STORE=$1 "$jobsctl" init >/dev/null
    JOBS_STORE=$1 "$jobsctl" org create Cost >/dev/null
    JOBS_STORE=$1 "$jobsctl" project create --org 1 ${2:+--project-key "$2"} Cost >/dev/null
}
