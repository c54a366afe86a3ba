#!/usr/bin/env bash
# P7 (docs/performance.md, docs/deployment.md): supportpipe on NATS JetStream + PostgreSQL.
# Signed Standard Webhooks (~1 KB) with wrk -c64, as in P1, against:
#   embedded   one process, SQLite log (the P1 set-up)
#   js-r1      one process, JetStream on 1 server (streams R1)
#   js-r3      one process, JetStream on a 3-node cluster (streams R3: the cost of replication)
#   js-r3 x2   two processes on the same cluster, wrk against each (intake scaling)
# and for each, how fast the worker drains what intake took (loaded events per second, from
# the end of the load until the warehouse has caught up). Private servers from
# scripts/pg.sh and scripts/nats.sh on loopback; everything in a temporary directory.
#   DURATION=10s CONNS=64 bench/p7_scaleout.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
DURATION=${DURATION:-10s}; CONNS=${CONNS:-64}; NREQ=${NREQ:-400000}
peers_src=${PEERS:-$root/../shared/peers}
[[ -d $peers_src ]] || { echo "P7 needs the peers folder for its load generator (set PEERS=...)" >&2; exit 2; }
scripts/deps.sh test >/dev/null
scripts/deps.sh bench >/dev/null
scripts/build.sh release >/dev/null
bin=$root/build/release/src/cli/supportpipe
work=$(mktemp -d /tmp/sp-p7.XXXXXX)
chmod 755 "$work"
cp -r "$peers_src/loadgen" "$peers_src/env.sh" "$work/"
pids=()
cleanup() {
  set +e
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
  scripts/nats.sh stop "$work/nats1" >/dev/null 2>&1; scripts/nats.sh stop "$work/nats3" >/dev/null 2>&1
  scripts/pg.sh stop "$work/pg" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
. "$work/env.sh"  # the load generator's Python and its Standard Webhooks secret
pg=$(scripts/pg.sh start "$work/pg")
nats1=$(scripts/nats.sh start "$work/nats1" 1)
nats3=$(scripts/nats.sh start "$work/nats3" 3)
export SP_BENCH_SECRET=$WEBHOOK_SECRET

start_serve() {  # name port storage-lines -> starts a process, records its pid
  local dir=$work/$1; mkdir -p "$dir"
  printf '[server]\nlisten = "127.0.0.1:%s"\nmax_pending_appends = 50000\n[storage]\ndata_dir = "%s/data"\n%s\n[[source]]\nname = "bench"\nvendor = "standard"\nsecret_env = "SP_BENCH_SECRET"\n' \
    "$2" "$dir" "$3" > "$dir/sp.toml"
  "$bin" serve --config "$dir/sp.toml" 2> "$dir/serve.log" &
  pids+=($!)
  for _ in $(seq 1 100); do curl -fs "http://127.0.0.1:$2/healthz" >/dev/null 2>&1 && return; sleep 0.1; done
  echo "P7: $1 did not start:" >&2; tail -n 5 "$dir/serve.log" >&2; exit 1
}
load() {  # port conns -> "rps p99_us errors"; freshly signed, never-repeated requests
  "$PYTHON_DEB" "$work/loadgen/gen_requests.py" --count "$NREQ" --format canonical \
    --seed "$RANDOM$1" --out "$work/reqs-$1.tsv" 2>/dev/null
  WEBHOOK_REQS=$work/reqs-$1.tsv WRK_THREADS=1 WEBHOOK_PATH=/v1/webhooks/bench \
    wrk -t1 -c"$2" -d"$DURATION" --timeout 10s --latency -s "$work/loadgen/signed.lua" "http://127.0.0.1:$1/" |
    awk '/^RESULT/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); r[kv[1]] = kv[2] }
                     print r["rps"], r["p99_us"], r["err_status"] + r["err_connect"] + r["err_read"] + r["err_write"] + r["err_timeout"] }'
}
metric() {  # port name -> the first sample of a metric
  curl -s "http://127.0.0.1:$1/metrics" | awk -v m="$2" '$1 == m { print $2; exit }'
}
drain() {  # port -> loaded events per second from now until the loader has caught up
  local t0 n0 n1; t0=$(date +%s.%N)
  n0=$(metric "$1" 'supportpipe_loaded_events_total{source="bench"}'); n0=${n0:-0}
  for _ in $(seq 1 6000); do
    [[ $(metric "$1" 'supportpipe_consumer_lag_records{consumer="processor"}') == 0 &&
       $(metric "$1" 'supportpipe_consumer_lag_records{consumer="loader"}') == 0 ]] && break
    sleep 0.1
  done
  n1=$(metric "$1" 'supportpipe_loaded_events_total{source="bench"}'); n1=${n1:-0}
  awk -v a="$n0" -v b="$n1" -v t0="$t0" -v t1="$(date +%s.%N)" 'BEGIN { printf "%d %.1f\n", b - a, t1 - t0 }'
}
stop_all() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; pids=(); }

run_one() {  # label storage-lines
  start_serve "$1" 18170 "$2"
  read -r rps p99 err < <(load 18170 "$CONNS")
  read -r drained secs < <(drain 18170)
  printf 'P7 %-9s 1 process : intake %6.0f req/s, p99 %5.1f ms, %d errors; then the worker loaded the %d left in %.1f s\n' \
    "$1" "$rps" "$(awk -v p="$p99" 'BEGIN{print p/1000}')" "$err" "$drained" "$secs"
  stop_all
}
run_one embedded ''
run_one js-r1 "log = \"$nats1\"
state = \"$pg\"
log_name = \"p7r1\""
run_one js-r3 "log = \"$nats3\"
state = \"$pg\"
log_name = \"p7r3\"
log_replicas = 3"
# Two processes on one cluster: wrk against each at once, half the connections each.
storage="log = \"$nats3\"
state = \"$pg\"
log_name = \"p7x2\"
log_replicas = 3"
start_serve x2a 18171 "$storage"
start_serve x2b 18172 "$storage"
load 18171 $((CONNS / 2)) > "$work/a.out" &
wa=$!
load 18172 $((CONNS / 2)) > "$work/b.out" &
wb=$!
wait $wa $wb
read -r ra pa ea < "$work/a.out"; read -r rb pb eb < "$work/b.out"
worker=18171; [[ $(metric 18172 supportpipe_worker_active) == 1 ]] && worker=18172
read -r drained secs < <(drain $worker)
printf 'P7 %-9s 2 processes: intake %6.0f req/s (%.0f + %.0f), p99 %5.1f / %5.1f ms, %d errors; then the one worker loaded the %d left in %.1f s\n' \
  js-r3 "$(awk -v a="$ra" -v b="$rb" 'BEGIN{print a+b}')" "$ra" "$rb" \
  "$(awk -v p="$pa" 'BEGIN{print p/1000}')" "$(awk -v p="$pb" 'BEGIN{print p/1000}')" $((ea + eb)) "$drained" "$secs"
stop_all
