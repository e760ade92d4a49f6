#!/usr/bin/env bash
# Builds the project and runs every test: unit, store, CLI and end to end (real nginx, spawn-fcgi, jobs-fcgi), then
# the benchmark's smoke run (deploy/bench.sh --smoke on the debug build: every scenario must answer its expected
# status; nothing about speed), then deploy/schemathesis.sh (the running stack against openapi.yaml). Installs the
# Debian packages it needs when they are missing (as root, or through sudo). Works from any folder, without a
# terminal (CI=true, no stdin).
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$repo_root"

ensure_swift
ensure_packages

# Debug build: the tests run the jobs-fcgi and jobsctl built next to the test bundle (.build/debug).
log "swift build"
swift build </dev/null
log "swift test"
swift test </dev/null
# The benchmark's own harness (store seeding, nginx with the reference servers, wrk scenarios) keeps working, on
# the binaries just built: no second, release build.
log "deploy/bench.sh --smoke"
BENCH_BIN_DIR=$(swift build --show-bin-path) deploy/bench.sh --smoke </dev/null
# The running stack against openapi.yaml (schemathesis, installed into .venv-test/ when missing; bounded run).
log "deploy/schemathesis.sh"
JOBS_BIN_DIR=$(swift build --show-bin-path) deploy/schemathesis.sh </dev/null
