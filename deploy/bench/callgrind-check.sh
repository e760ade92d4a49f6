#!/usr/bin/env bash
# Guards the cost of a request: runs deploy/bench/callgrind.sh (instructions per request of a release jobs-fcgi,
# counted by valgrind, which the machine's load does not move) and compares each scenario's marginal figure with
# deploy/bench/callgrind-baseline.txt. Fails when one grows by more than the tolerance (3 %): a change that makes
# the hot path more expensive must say so by updating the baseline in the same commit.
#
#   deploy/bench/callgrind-check.sh            # measure and compare (deploy/test.sh runs this)
#   deploy/bench/callgrind-check.sh --update   # measure and write the baseline (commit it, with the reason)
#
# Settings: CALLGRIND_BIN_DIR (as for callgrind.sh: use built binaries instead of a release build),
# CALLGRIND_TOLERANCE (per cent, default 3). The request count and store size are fixed here so that the figures
# compare with the baseline's.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
cd "$repo_root"

baseline=deploy/bench/callgrind-baseline.txt
tolerance=${CALLGRIND_TOLERANCE:-3}
update=false
case ${1:-} in
"") ;;
--update) update=true ;;
*) die "usage: deploy/bench/callgrind-check.sh [--update]" ;;
esac
[[ $tolerance =~ ^[0-9]+$ ]] || die "CALLGRIND_TOLERANCE=$tolerance: a whole number of per cent"
$update || [[ -f $baseline ]] || die "$baseline is missing: run deploy/bench/callgrind-check.sh --update"

table=$(mktemp)
trap 'rm -f "$table"' EXIT
# The same hashing on every run: Swift seeds its hashes per process, which moves dictionary costs a little.
SWIFT_DETERMINISTIC_HASHING=1 CALLGRIND_REQUESTS=200 CALLGRIND_JOBS=10000 deploy/bench/callgrind.sh | tee "$table"

# scenario requests Ir0 Ir1 IrN Ir/request marginal
measured=$(awk '$1 ~ /^(job|badkey|page1|deeppage|cancel|users)$/ { print $1, $7 }' "$table")
[[ $(wc -l <<<"$measured") -eq 6 ]] || die "callgrind.sh did not print the six scenarios"

if $update; then
    {
        echo "# Instructions per request (the marginal figure of deploy/bench/callgrind.sh: 200 requests, 10,000 jobs,"
        echo "# release build). deploy/bench/callgrind-check.sh fails when a scenario grows more than 3 % above this;"
        echo "# written by deploy/bench/callgrind-check.sh --update on $(date -u +%Y-%m-%d), $(swift --version 2>/dev/null | head -n 1)."
        echo "$measured"
    } >"$baseline"
    log "wrote $baseline"
    exit 0
fi

failed=0
printf '\n%-9s %12s %12s %8s\n' scenario baseline now change
while read -r scenario now; do
    before=$(awk -v s="$scenario" '$1 == s { print $2 }' "$baseline")
    [[ $before =~ ^[0-9]+$ ]] || die "$baseline has no figure for $scenario"
    # Per mille, integers only: (now - before) * 1000 / before.
    change=$(((now - before) * 1000 / before))
    awk -v s="$scenario" -v b="$before" -v n="$now" 'BEGIN { printf "%-9s %12d %12d %+8.1f %%\n", s, b, n, (n - b) * 100 / b }'
    if ((change > tolerance * 10)); then
        log "FAILED: $scenario costs $now instructions per request, more than $tolerance % above the baseline's $before"
        failed=1
    elif ((change < -tolerance * 10)); then
        log "note: $scenario is more than $tolerance % cheaper than the baseline: update it (--update) to keep the gain"
    fi
done <<<"$measured"
((failed == 0)) || die "a request got more expensive: make it cheaper, or update $baseline in the same commit and say why"
log "instructions per request within $tolerance % of $baseline"
