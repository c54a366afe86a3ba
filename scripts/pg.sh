#!/usr/bin/env bash
# A private PostgreSQL 15 for tests and local demos: its own cluster in DIR (initdb), on
# 127.0.0.1 and a free port, run by a non-root user (PostgreSQL refuses root), trusting
# loopback connections. Nothing outside DIR is touched.
#   scripts/pg.sh start DIR   # prints postgresql://supportpipe@127.0.0.1:PORT/supportpipe
#   scripts/pg.sh stop DIR
#   scripts/pg.sh url DIR
set -euo pipefail
cmd=${1:?usage: scripts/pg.sh start|stop|url DIR}
dir=${2:?usage: scripts/pg.sh start|stop|url DIR}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[[ -x $bin/initdb ]] || { echo "pg.sh: PostgreSQL server not installed (scripts/deps.sh test)" >&2; exit 1; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)

# PostgreSQL will not run as root; the postgresql package's own user does, when we are root.
as=()
if [[ $(id -u) -eq 0 ]]; then
  id postgres >/dev/null 2>&1 || { echo "pg.sh: no 'postgres' user to run the server as" >&2; exit 1; }
  as=(runuser -u postgres --)
  chown postgres "$dir"
  runuser -u postgres -- test -x "$dir" || {
    echo "pg.sh: user postgres cannot reach $dir: make its parent directories traversable (chmod o+x)" >&2
    exit 1
  }
fi

case $cmd in
  start)
    if [[ ! -f $dir/data/PG_VERSION ]]; then
      "${as[@]}" "$bin/initdb" -D "$dir/data" -U supportpipe --auth=trust -E UTF8 --no-locale \
        >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
    fi
    port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
    "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=200" start >/dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    echo "$port" >"$dir/port"
    "${as[@]}" "$bin/psql" -h 127.0.0.1 -p "$port" -U supportpipe -d postgres -q \
      -c "CREATE DATABASE supportpipe" >/dev/null 2>&1 || true
    echo "postgresql://supportpipe@127.0.0.1:$port/supportpipe"
    ;;
  stop)
    [[ -f $dir/data/postmaster.pid ]] && "${as[@]}" "$bin/pg_ctl" -D "$dir/data" -m fast -w stop >/dev/null
    ;;
  url)
    echo "postgresql://supportpipe@127.0.0.1:$(cat "$dir/port")/supportpipe"
    ;;
  *) echo "pg.sh: unknown command $cmd" >&2; exit 2 ;;
esac
