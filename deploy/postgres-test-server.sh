#!/usr/bin/env bash
# A throwaway PostgreSQL server for tests, in a folder of its own. Used by deploy/test.sh and, when
# JOBS_TEST_POSTGRES_URL is not set, by the tests themselves (JobsTesting's PostgresServer).
#
#   deploy/postgres-test-server.sh start DIR   creates DIR (it must not exist), runs initdb and pg_ctl there and
#                                              prints the server's URL (database postgres, user postgres, trust
#                                              authentication, unix socket in DIR, TCP on 127.0.0.1:PORT)
#   deploy/postgres-test-server.sh stop DIR    stops that server (fast shutdown) and removes DIR
#   deploy/postgres-test-server.sh halt DIR    stops it, keeping DIR;   resume DIR   starts it again (same port)
#
# initdb and pg_ctl refuse to run as root: as root they run as the postgres user, which then owns DIR. Test
# settings: fsync off (a crash of the machine loses the server, a crash of postgres loses nothing committed),
# 400 connections.
set -euo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

bindir=$(pg_config --bindir 2>/dev/null) || die "pg_config not found: install postgresql and libpq-dev"

# Runs a PostgreSQL program as the user that owns the server.
as_server_user() {
    if [[ $EUID -eq 0 ]]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

free_port() {
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# Starts the server of DIR on port $2 with the test settings; pg_ctl -w waits until it accepts connections.
start_server() {
    local dir=$1 port=$2
    as_server_user "$bindir/pg_ctl" start -w -t 60 -D "$dir/data" -l "$dir/server.log" -o \
        "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories='$dir' -c fsync=off \
         -c full_page_writes=off -c max_connections=400 -c shared_buffers=64MB" >/dev/null
}

command=${1:-}
dir=${2:-}
[[ -n $command && -n $dir ]] || die "usage: $0 start|stop|halt|resume DIR"

case $command in
start)
    [[ ! -e $dir ]] || die "$dir exists already"
    mkdir -p "$dir"
    chmod 0700 "$dir"
    if [[ $EUID -eq 0 ]]; then
        chown postgres:postgres "$dir"
        runuser -u postgres -- test -x "$dir" || die "the postgres user cannot enter $dir: use a folder such as /tmp"
    fi
    as_server_user "$bindir/initdb" -D "$dir/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
    for attempt in 1 2 3 4 5; do
        port=$(free_port)
        if start_server "$dir" "$port"; then
            echo "$port" >"$dir/port"
            printf 'postgresql://postgres@127.0.0.1:%s/postgres\n' "$port"
            exit 0
        fi
        grep -q 'already in use' "$dir/server.log" 2>/dev/null || break
    done
    cat "$dir/server.log" >&2 || true
    die "PostgreSQL did not start in $dir"
    ;;
stop)
    if [[ -d $dir/data ]]; then
        as_server_user "$bindir/pg_ctl" stop -w -D "$dir/data" -m fast >/dev/null 2>&1 ||
            as_server_user "$bindir/pg_ctl" stop -w -D "$dir/data" -m immediate >/dev/null 2>&1 || true
    fi
    rm -rf "$dir"
    ;;
halt)
    as_server_user "$bindir/pg_ctl" stop -w -D "$dir/data" -m fast >/dev/null
    ;;
resume)
    start_server "$dir" "$(cat "$dir/port")"
    ;;
*)
    die "usage: $0 start|stop|halt|resume DIR"
    ;;
esac
