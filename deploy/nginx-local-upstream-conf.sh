#!/usr/bin/env bash
# Writes a self-contained nginx configuration that serves the shipped multi-host site (nginx/jobs-api-upstream.conf)
# on 127.0.0.1:PORT with the given app servers in its upstream block, for a local run (the multi-host end-to-end
# tests, README.md's try-out), touching nothing of the system's nginx.
#
# Usage: deploy/nginx-local-upstream-conf.sh CONF_DIR RUN_DIR PORT APP_ADDRESS...
#   CONF_DIR, RUN_DIR, PORT  as for deploy/nginx-local-conf.sh, which writes nginx.conf; the site is then replaced.
#   APP_ADDRESS  HOST:PORT of each jobs-fcgi (for example 127.0.0.1:9001 127.0.0.1:9002), in upstream order; it
#                gets the shipped site's max_fails=1 fail_timeout=10s unless server parameters of its own follow it
#                in the same argument ("127.0.0.1:9003 max_fails=0").
# Start it with: nginx -p CONF_DIR -c CONF_DIR/nginx.conf -e CONF_DIR/error.log   (it stays in the foreground)
set -euo pipefail

if [[ $# -lt 4 ]]; then
    echo "usage: $0 CONF_DIR RUN_DIR PORT APP_ADDRESS..." >&2
    exit 2
fi
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
"$here/nginx-local-conf.sh" "$1" "$2" "$3"
conf_dir=$(cd "$1" && pwd)
port=$3
shift 3
servers=""
for address in "$@"; do
    server_line='^[][A-Za-z0-9.:_-]+:[0-9]+( [a-z_]+=[0-9a-z]+)*$'
    [[ $address =~ $server_line ]] || { echo "not HOST:PORT [PARAMETER=VALUE...]: $address" >&2; exit 2; }
    [[ $address == *" "* ]] || address+=" max_fails=1 fail_timeout=10s"
    servers+="    server $address;\n"
done
site="$here/../nginx/jobs-api-upstream.conf"

# The shipped site with its listen lines replaced by the local port and its upstream servers by the given ones.
grep -q '^upstream jobs_api {' "$site" || { echo "$site: no upstream jobs_api to rewrite" >&2; exit 1; }
awk -v port="$port" -v servers="$servers" -v conf_dir="$conf_dir" '
    /^upstream jobs_api \{/ { in_upstream = 1; print; printf "%s", servers; next }
    in_upstream && /^[[:space:]]*server[[:space:]]/ { next }
    in_upstream && /^\}/ { in_upstream = 0 }
    /^# BEGIN plain-http redirect/ { in_redirect = 1; next }
    in_redirect { if (/^# END plain-http redirect/) in_redirect = 0; next }
    /^[[:space:]]*ssl_/ || /Strict-Transport-Security/ { next }
    /^[[:space:]]*limit_req[[:space:]]/ { next }
    /^[[:space:]]*listen[[:space:]]/ { next }
    /access_log \/var\/log\/nginx\/jobs-api.access.log/ { sub(/\/var\/log\/nginx\/jobs-api.access.log/, conf_dir "/access.log") }
    /^server \{/ { print; print "    listen 127.0.0.1:" port ";"; next }
    { print }
' "$site" >"$conf_dir/jobs-api.conf"
