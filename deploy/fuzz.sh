#!/usr/bin/env bash
# Fuzzes every parser of untrusted bytes with libFuzzer (Swift's `--sanitize fuzzer`): builds jobs-fuzz in release
# mode into .build-fuzz/ (apart from the normal build), then runs each target for N seconds on its working corpus
# deploy/.fuzz/corpus/<target>/ (kept between runs), seeded from Tests/FuzzCorpus/<target>/. An input that crashes
# or breaks a checked promise is saved as deploy/.fuzz/crashes/<target>-crash-*; the script fails if any target
# found one. Prints a table (executions, executions/s, coverage, features, corpus) and writes it to
# deploy/.fuzz/summary.txt. Replay a saved input with the normal build: `jobs-fuzz TARGET FILE`.
#
# --runs N [--seed S] bounds a run by inputs instead of time (what deploy/test.sh, and so CI, runs): exactly N
# inputs per target from random seed S (default 1), on a fresh working corpus grown from the seeds alone
# (deploy/.fuzz/repeatable-corpus/), with Swift's deterministic hashing and without address randomization
# (setarch -R). A slow machine tries as many inputs as a fast one, and nearly the same ones: what libFuzzer counts
# as new coverage still varies a little between runs (about 0.5 % of its features). --seconds (a random seed, the
# working corpus kept) explores further: commit what it finds to Tests/FuzzCorpus/<target>/found-*, which
# `swift test` replays on every run.
#
# Usage: deploy/fuzz.sh [--seconds N | --runs N [--seed S]] [TARGET...]     (default 60 s per target, every target)
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$repo_root"

seconds=60
runs=
seed=
same_addresses=()
targets=()
while (($#)); do
    case $1 in
        --seconds) seconds=${2:?--seconds needs a number}; shift 2 ;;
        --seconds=*) seconds=${1#--seconds=}; shift ;;
        --runs) runs=${2:?--runs needs a number}; shift 2 ;;
        --runs=*) runs=${1#--runs=}; shift ;;
        --seed) seed=${2:?--seed needs a number}; shift 2 ;;
        --seed=*) seed=${1#--seed=}; shift ;;
        -h|--help) sed -n '2,18s/^# \{0,1\}//p' "$0"; exit 0 ;;
        -*) die "unknown option $1" ;;
        *) targets+=("$1"); shift ;;
    esac
done
[[ $seconds =~ ^[0-9]+$ ]] && ((seconds > 0)) || die "--seconds must be a positive number"
[[ -z $runs || ($runs =~ ^[0-9]+$ && runs -gt 0) ]] || die "--runs must be a positive number"
[[ -z $seed || -n $runs ]] || die "--seed goes with --runs"
[[ -z $seed || ($seed =~ ^[0-9]+$ && seed -gt 0) ]] || die "--seed must be a positive number"

ensure_swift
ensure_packages

build_flags=(-c release --scratch-path .build-fuzz --sanitize fuzzer -Xswiftc -DJOBS_FUZZ)
log "building jobs-fuzz with libFuzzer (.build-fuzz)"
build_started=$SECONDS
swift build "${build_flags[@]}" --product jobs-fuzz </dev/null
log "built in $((SECONDS - build_started)) s"
fuzzer="$(swift build "${build_flags[@]}" --show-bin-path)/jobs-fuzz"

# The target names come from the normal build of the same sources: the fuzzing build has no command line of its own.
if ((${#targets[@]} == 0)); then
    mapfile -t targets < <(ls Tests/FuzzCorpus | grep -v '\.')
fi

out=deploy/.fuzz
mkdir -p "$out/crashes" "$out/logs"
summary="$out/summary.txt"
if [[ -n $runs ]]; then
    seed=${seed:-1}
    # Each target's inputs: N from seed S, then stop. No time bound: a slow machine takes longer over the same
    # inputs (-timeout still ends a single input that hangs).
    budget=(-runs="$runs" -seed="$seed")
    heading="--runs $runs --seed $seed"
    # A fresh working corpus of its own: what an earlier run added would change the inputs tried.
    corpus_root=$out/repeatable-corpus
    rm -rf "$corpus_root"
    export SWIFT_DETERMINISTIC_HASHING=1
    # Without address randomization too: anything keyed on an address (an object identity's hash) would otherwise
    # change which inputs count as new from one run to the next.
    setarch "$(uname -m)" -R true 2>/dev/null && same_addresses=(setarch "$(uname -m)" -R) \
        || log "setarch -R is not permitted here: addresses vary between runs, so the inputs tried may too"
else
    budget=(-max_total_time="$seconds")
    corpus_root=$out/corpus
    heading="--seconds $seconds"
fi
{
    printf '# deploy/fuzz.sh %s, %s\n' "$heading" "$(date -u +%Y-%m-%dT%H:%M:%SZ)"
    printf '| target | seconds | executions | exec/s | cov | ft | corpus | result |\n|---|---:|---:|---:|---:|---:|---:|---|\n'
} >"$summary"

failed=()
for target in "${targets[@]}"; do
    [[ -d Tests/FuzzCorpus/$target ]] || die "no seed corpus Tests/FuzzCorpus/$target (targets: $(ls Tests/FuzzCorpus | grep -v '\.' | tr '\n' ' '))"
    corpus="$corpus_root/$target"
    mkdir -p "$corpus"
    if [[ -n $runs ]]; then log "fuzzing $target: $runs inputs from seed $seed"; else log "fuzzing $target for $seconds s"; fi
    logfile="$out/logs/$target.log"
    # SWIFT_BACKTRACE off: the Swift runtime's crash handler would otherwise run before libFuzzer's, and libFuzzer
    # would never write the crashing input. New inputs go to the first corpus folder; the seeds are only read.
    status=0
    SWIFT_BACKTRACE=enable=no JOBS_FUZZ_TARGET=$target "${same_addresses[@]}" "$fuzzer" \
        "${budget[@]}" -timeout=10 -rss_limit_mb=2048 -max_len=16384 -print_final_stats=1 \
        -artifact_prefix="$out/crashes/$target-" "$corpus" "Tests/FuzzCorpus/$target" >"$logfile" 2>&1 || status=$?
    executions=$(sed -n 's/^stat::number_of_executed_units: *//p' "$logfile" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$logfile" | tail -1)
    coverage=$(grep -o 'cov: [0-9]*' "$logfile" | tail -1 | cut -d' ' -f2)
    features=$(grep -o 'ft: [0-9]*' "$logfile" | tail -1 | cut -d' ' -f2)
    units=$(find "$corpus" -type f | wc -l)
    if ((status == 0)); then
        result=ok
    else
        result="FAILED (exit $status): $(grep -o 'Test unit written to .*' "$logfile" | tail -1 | sed 's/Test unit written to //')"
        failed+=("$target")
        grep -E 'jobs-fuzz: |Fatal error|ERROR: libFuzzer' "$logfile" | head -5 >&2 || true
    fi
    elapsed=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$logfile" | tail -1)
    printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$target" "${elapsed:-$seconds}" "${executions:--}" "${rate:--}" \
        "${coverage:--}" "${features:--}" "$units" "$result" >>"$summary"
done

cat "$summary"
if ((${#failed[@]})); then
    die "fuzzing found a crash or a broken promise in: ${failed[*]} (inputs under $out/crashes/, logs under $out/logs/)"
fi
