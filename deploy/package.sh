#!/usr/bin/env bash
# Builds the Debian package of the Jobs API: deploy/.package/jobs-api_<version>_<arch>.deb, whose path is the last
# line it prints. Install it on a Debian 12 server, which needs no Swift: `apt install ./jobs-api_…deb`.
#
# Usage: deploy/package.sh [--revision N] [--fast]
#   --revision N  the Debian revision (default 1): the package's version is Release.version
#                 (Sources/JobsCore/Release.swift) then "-N". A higher revision upgrades an installed package.
#   --fast        compress with zstd -1 instead of xz -6: a larger file in seconds instead of about a minute (for
#                 packages that only tests install)
#
# A release build with the Swift runtime linked in (--static-swift-stdlib), in its own scratch path
# (.build-package), so the binaries load only Debian's libraries; stripped. Depends is what dpkg-shlibdeps finds
# for them, plus the programs the units and maintainer scripts run (spawn-fcgi, adduser, sqlite3). The maintainer
# scripts are deploy/debian/'s, written as dh_installsystemd would write them; the package is put together with
# dpkg-deb (no debhelper build of the Swift part). Installs what it needs to build when missing (as root, or
# through sudo), like deploy/test.sh.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$repo_root"

revision=1
compression=(-Zxz -z6)
while (($#)); do
    case $1 in
        --revision)
            [[ ${2:-} =~ ^[1-9][0-9]*$ ]] || die "--revision takes a positive number"
            revision=$2
            shift 2
            ;;
        --fast)
            compression=(-Zzstd -z1)
            shift
            ;;
        *) die "usage: $0 [--revision N] [--fast]" ;;
    esac
done

ensure_swift
ensure_only_packages "${build_packages[@]}" dpkg-dev binutils sqlite3

upstream_version=$(sed -n 's/^ *public static let version = "\([^"]*\)"$/\1/p' Sources/JobsCore/Release.swift)
[[ $upstream_version =~ ^[0-9][0-9A-Za-z.+~]*$ ]] || die "no version found in Sources/JobsCore/Release.swift"
version=$upstream_version-$revision
arch=$(dpkg --print-architecture)
out_dir=$repo_root/deploy/.package
scratch=$repo_root/.build-package
# Dates in the package (man pages, changelog) are the last commit's, so a rebuild of one commit is the same.
export SOURCE_DATE_EPOCH=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || date +%s)}

log "swift build -c release --static-swift-stdlib (in $scratch)"
for product in jobs-fcgi jobsctl generate-manual; do
    swift build -c release --static-swift-stdlib --disable-local-rpath --scratch-path "$scratch" \
        --product "$product" </dev/null
done
bin_dir=$(swift build -c release --static-swift-stdlib --disable-local-rpath --scratch-path "$scratch" --show-bin-path)

work=$(mktemp -d "${TMPDIR:-/tmp}/jobs-package.XXXXXX")
trap 'rm -rf "$work"' EXIT
root=$work/root

# The schema version this release migrates stores to, for postinst's backup-before-migrating check.
schema_version=$("$bin_dir/jobsctl" init --store "$work/probe.sqlite3" | field schemaVersion)
[[ $schema_version =~ ^[0-9]+$ ]] || die "jobsctl init did not print a schema version"

log "staging jobs-api $version (schema $schema_version)"
install -d "$root/DEBIAN" "$root/usr/bin" "$root/lib/systemd/system" "$root/etc/jobs-api" \
    "$root/etc/nginx/snippets" "$root/etc/nginx/sites-available" "$root/etc/nginx/conf.d" "$root/usr/share/jobs-api/actions" \
    "$root/usr/share/jobs-api/systemd" \
    "$root/usr/share/man/man1" "$root/usr/share/man/man8" "$root/usr/share/doc/jobs-api"
for program in jobs-fcgi jobsctl; do
    install -m 0755 "$bin_dir/$program" "$root/usr/bin/$program"
    strip --strip-unneeded --remove-section=.comment --remove-section=.note "$root/usr/bin/$program"
done
install -m 0644 deploy/systemd/jobs-api.service deploy/systemd/jobs-worker.service deploy/systemd/jobs-purge.service \
    deploy/systemd/jobs-purge.timer deploy/systemd/jobs-action.socket deploy/systemd/jobs-action.service \
    "$root/lib/systemd/system/"
# 0640 root:jobs-api and root:jobs-action come from postinst (dpkg-statoverride): the groups do not exist before it
# runs.
install -m 0644 deploy/debian/jobs-api.env "$root/etc/jobs-api/jobs-api.env"
install -m 0644 deploy/debian/jobs-action.env "$root/etc/jobs-api/jobs-action.env"
install -m 0644 nginx/snippets/jobs-api.conf "$root/etc/nginx/snippets/jobs-api.conf"
install -m 0644 nginx/conf.d/jobs-api.conf "$root/etc/nginx/conf.d/jobs-api.conf"
install -m 0644 nginx/jobs-api.conf "$root/etc/nginx/sites-available/jobs-api"
install -m 0755 deploy/actions/delete-user-data "$root/usr/share/jobs-api/actions/delete-user-data"
install -m 0644 deploy/systemd/jobs-api-network.conf "$root/usr/share/jobs-api/systemd/jobs-api-network.conf"

# Man pages from the argument parsers, by swift-argument-parser's generate-manual (the tool behind its
# generate-manual plugin, run directly so that each program gets its section).
man_date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y-%m-%d)
"$bin_dir/generate-manual" "$bin_dir/jobsctl" --section 1 --date "$man_date" --output-directory "$work"
"$bin_dir/generate-manual" "$bin_dir/jobs-fcgi" --section 8 --date "$man_date" --output-directory "$work"
# A blank line in a command's discussion comes out as an empty mdoc line, which groff warns about: a paragraph break.
sed 's/^$/.Pp/' "$work/jobsctl.1" | gzip -9n >"$root/usr/share/man/man1/jobsctl.1.gz"
sed 's/^$/.Pp/' "$work/jobs-fcgi.8" | gzip -9n >"$root/usr/share/man/man8/jobs-fcgi.8.gz"

install -m 0644 deploy/debian/copyright "$root/usr/share/doc/jobs-api/copyright"
sed -e "s/@VERSION@/$version/" -e "s/@DATE@/$(date -u -R -d "@$SOURCE_DATE_EPOCH")/" deploy/debian/changelog \
    | gzip -9n >"$root/usr/share/doc/jobs-api/changelog.Debian.gz"
install -D -m 0644 deploy/debian/lintian-overrides "$root/usr/share/lintian/overrides/jobs-api"

for script in postinst prerm postrm; do
    sed "s/@SCHEMA_VERSION@/$schema_version/" "deploy/debian/$script" >"$root/DEBIAN/$script"
    chmod 0755 "$root/DEBIAN/$script"
done
(cd "$root" && find etc -type f -printf '/%p\n' | sort) >"$root/DEBIAN/conffiles"

# Depends: the libraries the binaries load, as dpkg-shlibdeps names their packages (it reads debian/control).
mkdir -p "$work/debian"
printf 'Source: jobs-api\n\nPackage: jobs-api\nArchitecture: any\n' >"$work/debian/control"
shlibs=$(cd "$work" && dpkg-shlibdeps -O -e root/usr/bin/jobs-fcgi -e root/usr/bin/jobsctl 2>/dev/null \
    | sed -n 's/^shlibs:Depends=//p')
[[ -n $shlibs ]] || die "dpkg-shlibdeps found no library dependencies"
installed_size=$(du -sk --apparent-size --exclude=DEBIAN "$root" | cut -f1)
sed -e "s/@VERSION@/$version/" -e "s/@ARCH@/$arch/" -e "s/@INSTALLED_SIZE@/$installed_size/" \
    -e "s/@SHLIBS_DEPENDS@/$shlibs/" deploy/debian/control.in >"$root/DEBIAN/control"
(cd "$root" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | sort -z | xargs -0 md5sum) \
    >"$root/DEBIAN/md5sums"

mkdir -p "$out_dir"
deb=$out_dir/jobs-api_${version}_$arch.deb
dpkg-deb --root-owner-group "${compression[@]}" --build "$root" "$deb" >/dev/null
log "$(du -h "$deb" | cut -f1) $(grep '^Depends:' "$root/DEBIAN/control")"
echo "$deb"
