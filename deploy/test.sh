#!/usr/bin/env bash
# Builds the project and runs every test: unit, store, CLI and end to end (real nginx, spawn-fcgi, jobs-fcgi, and a
# PostgreSQL server started here for the PostgreSQL store's runs), then
# the benchmark's smoke run (deploy/bench.sh --smoke on the debug build: every scenario must answer its expected
# status; nothing about speed), then deploy/schemathesis.sh (the running stack against openapi.yaml), then a 30 s
# deploy/soak.sh (mixed traffic: zero 5xx, flat memory and descriptors, bounded WAL), then libFuzzer (deploy/fuzz.sh),
# then the instructions-per-request guard (deploy/bench/callgrind-check.sh), then the Debian package's
# tests (deploy/package-test.sh: lintian, piuparts, end to end in a Debian 12 root without Swift). Installs the
# Debian packages it needs when they are missing (as root, or through sudo). Works from any folder, without a
# terminal (CI=true, no stdin).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$repo_root"

ensure_swift
ensure_packages python3-prometheus-client python3-venv openssl

# The webhook tests' receiver verifies deliveries with the standardwebhooks library (PyPI), in .venv-test/ at the
# repository's root (shared with deploy/schemathesis.sh), installed when missing.
standardwebhooks_version=1.3.0
if ! .venv-test/bin/python3 -c 'import standardwebhooks' 2>/dev/null; then
    log "installing standardwebhooks $standardwebhooks_version into .venv-test"
    [[ -x .venv-test/bin/pip ]] || python3 -m venv .venv-test
    .venv-test/bin/pip install --quiet --disable-pip-version-check "standardwebhooks==$standardwebhooks_version" </dev/null
fi

# A PostgreSQL server of its own for the tests of the PostgreSQL store (deploy/postgres-test-server.sh: initdb and
# pg_ctl in a temporary folder, as the postgres user when run as root), stopped and removed however this script ends.
pg_parent=$(mktemp -d "${TMPDIR:-/tmp}/jobs-test-pg.XXXXXX")
chmod 0755 "$pg_parent"
trap 'deploy/postgres-test-server.sh stop "$pg_parent/server"; rm -rf "$pg_parent"' EXIT
log "starting PostgreSQL for the tests"
JOBS_TEST_POSTGRES_URL=$(deploy/postgres-test-server.sh start "$pg_parent/server")
export JOBS_TEST_POSTGRES_URL

# Debug build: the tests run the jobs-fcgi and jobsctl built next to the test bundle (.build/debug).
log "swift build"
swift build </dev/null
log "swift test"
swift test </dev/null
# The end-to-end and jobsctl suites again, every stack and store on PostgreSQL (JOBS_TEST_STORE; the store contract
# tests and the multi-host suites run on both engines already; the crash and full-disk suites are about the SQLite
# file).
log "swift test: end to end and jobsctl on PostgreSQL"
JOBS_TEST_STORE=postgres swift test --skip-build --filter 'EndToEndTests|CLITests' --skip MultiHost \
    --skip CrashRecoveryTests --skip FullDiskTests </dev/null
# The benchmark's own harness (store seeding, nginx with the reference servers, wrk scenarios) keeps working, on
# the binaries just built: no second, release build.
log "deploy/bench.sh --smoke"
BENCH_BIN_DIR=$(swift build --show-bin-path) deploy/bench.sh --smoke </dev/null
# The running stack against openapi.yaml (schemathesis, installed into .venv-test/ when missing; bounded run).
log "deploy/schemathesis.sh"
JOBS_BIN_DIR=$(swift build --show-bin-path) deploy/schemathesis.sh </dev/null
# Mixed traffic with a worker for 30 s (the hand-run version is 600 s): zero 5xx, RSS and descriptors flat, WAL bounded.
log "deploy/soak.sh --seconds 30"
JOBS_BIN_DIR=$(swift build --show-bin-path) deploy/soak.sh --seconds 30 </dev/null
# libFuzzer over the parsers of untrusted bytes (a separate release build in .build-fuzz): 100,000 inputs per
# target from a fixed seed, the same count on a slow machine as on a fast one (about 35 s in all on 2 cores).
log "deploy/fuzz.sh --runs 100000 --seed 1"
deploy/fuzz.sh --runs 100000 --seed 1 </dev/null
# Instructions per request of a release jobs-fcgi under callgrind (GET one job, a 401, a first and a deep list page,
# a cancel, a user deletion) against deploy/bench/callgrind-baseline.txt: fails when one grows by more than 3 %
# and the baseline was not updated with it (a release build in .build-perf; counts, not time: load does not move them).
log "deploy/bench/callgrind-check.sh"
deploy/bench/callgrind-check.sh </dev/null
# The Debian package (deploy/package-test.sh): lintian, piuparts in a Debian 12 chroot, and an end to end in a
# Debian 12 root without Swift, from install to upgrade to purge.
log "deploy/package-test.sh"
bash deploy/package-test.sh </dev/null
