#!/usr/bin/env bash
# A private NATS JetStream for tests and local demos: N servers (1, or 3 for a cluster with
# replicated streams) on 127.0.0.1 and free ports, their storage in DIR.
#   scripts/nats.sh start DIR [N]   # prints the client URLs: nats://127.0.0.1:P1,nats://...
#   scripts/nats.sh kill DIR I      # kill -9 server I (1-based), for fault tests
#   scripts/nats.sh restart DIR I   # starts server I again with its storage
#   scripts/nats.sh stop DIR
#   scripts/nats.sh urls DIR
# NATS_TOKEN=... makes the servers require that token from clients.
set -euo pipefail
cmd=${1:?usage: scripts/nats.sh start|kill|restart|stop|urls DIR [N|I]}
dir=${2:?usage: scripts/nats.sh start|kill|restart|stop|urls DIR [N|I]}
command -v nats-server >/dev/null || { echo "nats.sh: nats-server not installed (scripts/deps.sh test)" >&2; exit 1; }
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
free_ports() {  # N distinct free ports, one per line (all held open while choosing)
  python3 -c 'import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks: s.bind(("127.0.0.1", 0))
print("\n".join(str(s.getsockname()[1]) for s in socks))' "$1"
}

run_node() {  # starts node $1 from its config and waits until it takes clients
  local i=$1 pid before
  before=$(grep -c "Server is ready" "$dir/n$i.log" 2>/dev/null || true)
  nats-server -c "$dir/n$i.conf" >>"$dir/n$i.log" 2>&1 &
  pid=$!
  echo "$pid" >"$dir/n$i.pid"
  for _ in $(seq 1 100); do
    kill -0 "$pid" 2>/dev/null || break  # it died: a port taken meanwhile, say
    [[ $(grep -c "Server is ready" "$dir/n$i.log") -gt ${before:-0} ]] && return 0
    sleep 0.1
  done
  echo "nats.sh: server $i did not start; its log:" >&2; tail -n 20 "$dir/n$i.log" >&2; exit 1
}

wait_ready() {  # every node reports JetStream healthy (the cluster has a meta leader)
  local n; n=$(cat "$dir/count")
  for i in $(seq 1 "$n"); do
    local mon; mon=$(cat "$dir/n$i.mon")
    for _ in $(seq 1 200); do
      curl -fsS "http://127.0.0.1:$mon/healthz?js-enabled-only=true" >/dev/null 2>&1 && break
      sleep 0.1
    done
  done
  # A cluster also needs its meta leader before streams can be created.
  if [[ $n -gt 1 ]]; then
    for _ in $(seq 1 200); do
      curl -fsS "http://127.0.0.1:$(cat "$dir/n1.mon")/jsz" 2>/dev/null | grep -q '"leader"' && return 0
      sleep 0.1
    done
  fi
}

urls() {
  local n; n=$(cat "$dir/count"); local out=""
  for i in $(seq 1 "$n"); do out+="${out:+,}nats://127.0.0.1:$(cat "$dir/n$i.port")"; done
  echo "$out"
}

case $cmd in
  start)
    n=${3:-1}
    echo "$n" >"$dir/count"
    mapfile -t ports < <(free_ports $((3 * n)))
    for i in $(seq 1 "$n"); do
      echo "${ports[$((3 * i - 3))]}" >"$dir/n$i.port"
      echo "${ports[$((3 * i - 2))]}" >"$dir/n$i.cport"
      echo "${ports[$((3 * i - 1))]}" >"$dir/n$i.mon"
    done
    for i in $(seq 1 "$n"); do
      {
        echo "server_name: n$i"
        echo "listen: 127.0.0.1:$(cat "$dir/n$i.port")"
        echo "http: 127.0.0.1:$(cat "$dir/n$i.mon")"
        echo "jetstream { store_dir: \"$dir/n$i\" }"
        [[ -n ${NATS_TOKEN:-} ]] && echo "authorization { token: \"$NATS_TOKEN\" }"
        if [[ $n -gt 1 ]]; then
          echo "cluster {"
          echo "  name: supportpipe"
          echo "  listen: 127.0.0.1:$(cat "$dir/n$i.cport")"
          echo "  routes: ["
          for j in $(seq 1 "$n"); do
            [[ $j -eq $i ]] || echo "    nats://127.0.0.1:$(cat "$dir/n$j.cport")"
          done
          echo "  ]"
          echo "}"
        fi
      } >"$dir/n$i.conf"
      run_node "$i"
    done
    wait_ready
    urls
    ;;
  kill)
    i=${3:?which server}
    kill -9 "$(cat "$dir/n$i.pid")" 2>/dev/null || true
    ;;
  restart)
    i=${3:?which server}
    run_node "$i"
    wait_ready
    ;;
  stop)
    [[ -f $dir/count ]] || exit 0
    for i in $(seq 1 "$(cat "$dir/count")"); do
      [[ -f $dir/n$i.pid ]] && kill "$(cat "$dir/n$i.pid")" 2>/dev/null || true
    done
    ;;
  urls) urls ;;
  *) echo "nats.sh: unknown command $cmd" >&2; exit 2 ;;
esac
