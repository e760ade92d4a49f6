#!/usr/bin/env bash
# Tests the Debian package that deploy/package.sh builds, as deploy/test.sh runs it:
#   1. lintian: no error and no warning that deploy/debian/lintian-overrides does not justify; systemd-analyze
#      verify of the packaged units, and the app unit's `systemd-analyze security` exposure at most 1.2;
#   2. piuparts in a Debian 12 chroot: install, remove, purge, nothing left behind;
#   3. end to end in a Debian 12 root without Swift (debootstrap minbase; deploy/debian/tests/e2e-in-root.sh):
#      the package and nginx installed with apt, the app and worker started as README.md's commands for hosts
#      without systemd say, an org, a key and a project made with jobsctl, the API through nginx, a deletion run
#      to completed by the example action, an upgrade to a higher version that keeps every job and backs the
#      store up first, and a purge that leaves nothing.
# The Debian 12 root is built once and kept as deploy/.package/debian12-minbase.tgz (piuparts' --basetgz too);
# delete it to rebuild it. Needs root (chroot, mounts) and the network to deb.debian.org.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$repo_root"

[[ $EUID -eq 0 ]] || die "run as root: the tests chroot into a Debian root"
ensure_only_packages lintian piuparts debootstrap systemd
mirror=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
out_dir=$repo_root/deploy/.package
base_tgz=$out_dir/debian12-minbase.tgz

deb=$(deploy/package.sh | tail -n 1)
# The same release under a higher Debian revision: what an upgrade installs.
deb_next=$(deploy/package.sh --revision 2 --fast | tail -n 1)

work=$(mktemp -d "${TMPDIR:-/tmp}/jobs-package-test.XXXXXX")
trap 'rm -rf --one-file-system "$work"' EXIT

if [[ ! -s $base_tgz ]]; then
    log "debootstrap --variant=minbase bookworm (kept as $base_tgz)"
    debootstrap --variant=minbase bookworm "$work/base" "$mirror" >"$work/debootstrap.log" 2>&1 \
        || die "debootstrap failed: $(tail -n 5 "$work/debootstrap.log")"
    tar -C "$work/base" -czf "$base_tgz.partial" . && mv "$base_tgz.partial" "$base_tgz"
    rm -rf --one-file-system "$work/base"
fi

log "lintian $(basename "$deb")"
# --fail-on warning: a new warning fails here until it is fixed or justified in the overrides file.
lintian --fail-on error,warning "$deb" \
    || die "lintian found errors or warnings"

log "systemd-analyze verify and security of the packaged units"
# The units as installed, their /usr/bin/jobs* paths pointed at the extracted binaries (verify checks that every
# command exists); the rest (spawn-fcgi, runuser) is the host's. The app unit's exposure is guarded: a change that
# opens it more fails here until the bound below is raised with a reason.
dpkg-deb -x "$deb" "$work/extracted"
mkdir -p "$work/units"
for unit in "$work"/extracted/lib/systemd/system/*; do
    sed "s#/usr/bin/jobs#$work/extracted/usr/bin/jobs#g" "$unit" >"$work/units/${unit##*/}"
done
systemd-analyze verify "$work"/units/* || die "systemd-analyze verify found errors in the packaged units"
for unit in jobs-api.service jobs-worker.service jobs-purge.service jobs-action.service; do
    exposure=$(systemd-analyze security --offline=true "$work/units/$unit" | sed -n 's/.*exposure level for .*: \([0-9.]*\).*/\1/p')
    log "$unit: exposure $exposure"
    [[ $unit != jobs-api.service ]] || awk -v e="$exposure" 'BEGIN { exit !(e != "" && e <= 1.2) }' \
        || die "jobs-api.service's exposure is $exposure, above 1.2"
done

log "piuparts $(basename "$deb") (Debian 12 chroot from $base_tgz)"
piuparts --basetgz "$base_tgz" --distribution bookworm --mirror "$mirror" --no-upgrade-test \
    --tmpdir "$work" "$deb" >"$work/piuparts.log" 2>&1 \
    || die "piuparts failed: $(grep -E '^[0-9:.]+ (ERROR|FAIL)' "$work/piuparts.log" | head -n 20)"
grep -E 'PASS: All tests\.' "$work/piuparts.log" >&2 || true

log "end to end in a Debian 12 root without Swift"
root=$work/root
mkdir -p "$root"
tar -C "$root" -xzf "$base_tgz"
cp "$deb" "$deb_next" deploy/debian/tests/e2e-in-root.sh "$root/tmp/"
cp /etc/resolv.conf "$root/etc/resolv.conf"
# Installing needs the network: the host's. The rest runs in a network namespace of its own (nginx on port 80 of
# its own loopback, nothing to collide with on the host). Each step has a mount namespace of its own, so /proc
# and /dev vanish with it whatever happens.
# Usage: in_root host|private COMMAND...  (host: the host's network; private: a loopback of its own)
in_root() {
    local network=$1 unshare_net=()
    shift
    [[ $network == host ]] || unshare_net=(--net)
    unshare --mount --fork "${unshare_net[@]}" bash -c '
        set -e
        root=$1 network=$2
        shift 2
        mount --make-rprivate /
        mount -t proc proc "$root/proc"
        mount --rbind /dev "$root/dev"
        [ "$network" = host ] || ip link set lo up
        exec chroot "$root" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LANG=C.UTF-8 "$@"
    ' in-root "$root" "$network" "$@"
}
in_root host bash /tmp/e2e-in-root.sh install "/tmp/$(basename "$deb")"
in_root private bash /tmp/e2e-in-root.sh run "/tmp/$(basename "$deb_next")"
log "package tests passed: $(basename "$deb") $(du -h "$deb" | cut -f1)"
