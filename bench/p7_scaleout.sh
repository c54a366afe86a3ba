#!/usr/bin/env bash
# P7 (docs/performance.md, docs/deployment.md): supportpipe on NATS JetStream + PostgreSQL.
# For each set-up, intake processes (`serve --role intake`) take signed Standard Webhooks
# (~1 KB, as in P1) from wrk -c64 with no worker running; then one worker (`--role worker`)
# starts and loads the backlog, which gives the worker's rate. Set-ups:
#   embedded   SQLite log (intake and worker processes share the data directory)
#   js-r1      JetStream on 1 server (streams R1)
#   js-r3      JetStream on a 3-node cluster (streams R3: the cost of replication)
#   js-r3 x2   two intake processes on that cluster, wrk against each with half the connections
#   js-r1-pgw  js-r1 with the warehouse in PostgreSQL too (the full scale-out storage)
#   js-r1-pgw x2 workers  the same drained by two workers, which share the stages out
# SETUPS="js-r1 js-r1-pgw" runs only those.
# Private servers from scripts/pg.sh and scripts/nats.sh on loopback, in a temporary directory.
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

start_serve() {  # name port role data-dir storage-lines -> starts a process, records its pid
  local dir=$work/$1; mkdir -p "$dir"
  printf '[server]\nlisten = "127.0.0.1:%s"\nmax_pending_appends = 50000\n[storage]\ndata_dir = "%s"\n%s\n[[source]]\nname = "bench"\nvendor = "standard"\nsecret_env = "SP_BENCH_SECRET"\n' \
    "$2" "$4" "$5" > "$dir/sp.toml"
  "$bin" serve --config "$dir/sp.toml" --role "$3" 2> "$dir/serve.log" &
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
drain() {  # ports... -> "events seconds": what the workers load until they have caught up
  local t0 p v n=0; t0=$(date +%s.%N)
  for p in "$@"; do
    for _ in $(seq 1 100); do [[ $(metric "$p" supportpipe_worker_active) == 1 ]] && break; sleep 0.05; done
  done
  for _ in $(seq 1 12000); do
    [[ $(metric "$1" 'supportpipe_consumer_lag_records{consumer="processor"}') == 0 &&
       $(metric "$1" 'supportpipe_consumer_lag_records{consumer="loader"}') == 0 ]] && break
    sleep 0.1
  done
  local t1; t1=$(date +%s.%N)
  for p in "$@"; do  # the loader's counter is in whichever process ran it
    v=$(metric "$p" 'supportpipe_loaded_events_total{source="bench"}' | cut -d. -f1)
    n=$((n + ${v:-0}))
  done
  awk -v n="$n" -v t0="$t0" -v t1="$t1" 'BEGIN { printf "%d %.1f\n", n, t1 - t0 }'
}
stop_all() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; wait "$p" 2>/dev/null; done; pids=(); }

ms() { awk -v p="$1" 'BEGIN { printf "%.1f", p / 1000 }'; }
run() {  # label intake-processes storage-lines [workers]
  [[ -z ${SETUPS:-} || " $SETUPS " == *" $1 "* ]] || return 0
  local data=$work/$1-$2-data storage=$3 workers=${4:-1}
  start_serve "$1-in1" 18171 intake "$data" "$storage"
  if [[ $2 == 2 ]]; then
    # With SQLite, intake processes on one data directory would share one file: not a set-up.
    start_serve "$1-in2" 18172 intake "$data" "$storage"
    load 18171 $((CONNS / 2)) > "$work/a.out" & local wa=$!
    load 18172 $((CONNS / 2)) > "$work/b.out" & local wb=$!
    wait $wa $wb
    read -r ra pa ea < "$work/a.out"; read -r rb pb eb < "$work/b.out"
    rps=$(awk -v a="$ra" -v b="$rb" 'BEGIN { print a + b }'); p99="$(ms "$pa") / $(ms "$pb")"; err=$((ea + eb))
  else
    read -r rps p99 err < <(load 18171 "$CONNS"); p99=$(ms "$p99")
  fi
  local ports=()
  for w in $(seq 1 "$workers"); do  # started together, so that they share the stages from the start
    start_serve "$1-worker$w" $((18179 + w)) worker "$data" "$storage"; ports+=($((18179 + w)))
  done
  read -r loaded secs < <(drain "${ports[@]}")
  printf 'P7 %-9s %d intake: %6.0f req/s, p99 %s ms, %d errors | %d worker%s: %d events loaded in %.1f s = %.0f events/s\n' \
    "$1" "$2" "$rps" "$p99" "$err" "$workers" "$([[ $workers == 1 ]] || echo s)" "$loaded" "$secs" \
    "$(awk -v n="$loaded" -v s="$secs" 'BEGIN { print (s > 0 ? n / s : 0) }')"
  stop_all
}
run embedded 1 ''
run js-r1 1 "log = \"$nats1\"
state = \"$pg\"
log_name = \"p7r1\""
run js-r3 1 "log = \"$nats3\"
state = \"$pg\"
log_name = \"p7r3\"
log_replicas = 3"
run js-r3 2 "log = \"$nats3\"
state = \"$pg\"
log_name = \"p7x2\"
log_replicas = 3"
run js-r1-pgw 1 "log = \"$nats1\"
state = \"$pg\"
log_name = \"p7pw\"
warehouse = \"$pg\"
warehouse_schema = \"p7pw\""
run js-r1-pgw 1 "log = \"$nats1\"
state = \"$pg\"
log_name = \"p7pw2\"
warehouse = \"$pg\"
warehouse_schema = \"p7pw2\"" 2
