#!/usr/bin/env bash
# Throwaway PostgreSQL cluster for the test suite.
#
#   .ci/postgres.sh install      install the server with apt-get unless already there
#   .ci/postgres.sh start DIR    create a cluster in DIR/data, start it on 127.0.0.1 with
#                                a free port and trust authentication, print its URL
#   .ci/postgres.sh stop DIR     stop the cluster in DIR/data (no-op if none is running)
#
# DIR must be an empty directory (e.g. from mktemp -d); the caller removes it.
# When run as root, the server runs as the "postgres" user, never as root.
set -euo pipefail

# Print the bin directory of the newest installed PostgreSQL, or nothing.
pg_bindir() {
    local initdb
    initdb=$(ls -d /usr/lib/postgresql/*/bin/initdb 2>/dev/null | sort -V | tail -n 1 || true)
    if [[ -z "$initdb" ]]; then
        initdb=$(command -v initdb || true)
    fi
    if [[ -n "$initdb" ]]; then
        dirname "$initdb"
    fi
}

# Run a command as the cluster owner: "postgres" when we are root, else ourselves.
as_owner() {
    if [[ $EUID -eq 0 ]]; then
        (cd / && runuser -u postgres -- "$@")
    else
        "$@"
    fi
}

# Succeed when the server binaries (and, for root, the "postgres" user) are present.
installed() {
    [[ -n "$(pg_bindir)" ]] && { [[ $EUID -ne 0 ]] || id -u postgres >/dev/null 2>&1; }
}

install() {
    if installed; then
        echo "postgres: already installed in $(pg_bindir)"
        return
    fi
    local log
    log=$(mktemp)
    if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
            apt-get install -y -qq --no-install-recommends postgresql; } >"$log" 2>&1; then
        cat "$log" >&2
        rm -f "$log"
        echo "postgres: apt-get install failed" >&2
        return 1
    fi
    rm -f "$log"
    echo "postgres: installed in $(pg_bindir)"
}

start() {
    local dir=$1 bindir port
    bindir=$(pg_bindir)
    if [[ -z "$bindir" ]]; then
        echo "postgres: not installed (run: $0 install)" >&2
        return 1
    fi
    port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
    if [[ $EUID -eq 0 ]]; then
        chown postgres: "$dir"
    fi
    as_owner "$bindir/initdb" --pgdata="$dir/data" --username=postgres --auth=trust \
        --encoding=UTF8 --locale=C.UTF-8 --no-sync >"$dir/initdb.log" 2>&1 \
        || { cat "$dir/initdb.log" >&2; return 1; }
    # Durability is pointless for a throwaway cluster; skipping fsync speeds tests up.
    as_owner "$bindir/pg_ctl" --pgdata="$dir/data" --log="$dir/postgres.log" --wait \
        --options="-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories='$dir' \
-c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=200" \
        start >/dev/null \
        || { cat "$dir/postgres.log" >&2; return 1; }
    echo "postgresql://postgres@127.0.0.1:$port/postgres"
}

stop() {
    local dir=$1 bindir
    bindir=$(pg_bindir)
    if [[ -n "$bindir" && -f "$dir/data/postmaster.pid" ]]; then
        as_owner "$bindir/pg_ctl" --pgdata="$dir/data" --mode=fast --wait stop >/dev/null
    fi
}

case "${1:-}" in
    install) install ;;
    start) start "${2:?usage: $0 start DIR}" ;;
    stop) stop "${2:?usage: $0 stop DIR}" ;;
    *) echo "usage: $0 install | start DIR | stop DIR" >&2; exit 2 ;;
esac
