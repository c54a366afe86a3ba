#!/usr/bin/env bash
# P1 (docs/performance.md): signed Standard Webhooks requests (~1 KB, canonical payloads) with
# wrk -t1 -c64, every 202 fsync'd before it is sent, side by side in the same run with the
# Node + Express + PostgreSQL peer and the nginx `return 204` ceiling from ../shared/peers.
# Setups alternate; each run gets freshly signed, never-repeated requests; medians printed.
# Then P5's overload: OVERLOAD_CONNS (1024) connections against supportpipe alone.
#   RUNS=2 DURATION=15s CONNS=64 bench/p1_intake.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
RUNS=${RUNS:-2}; DURATION=${DURATION:-15s}; CONNS=${CONNS:-64}; OVERLOAD_CONNS=${OVERLOAD_CONNS:-1024}; NREQ=${NREQ:-600000}
peers_src=${PEERS:-$root/../shared/peers}
[[ -d $peers_src ]] || { echo "P1 needs the peers folder (set PEERS=...)" >&2; exit 2; }
scripts/deps.sh bench >/dev/null
scripts/build.sh release >/dev/null
bin=$root/build/release/src/cli/supportpipe
work=$(mktemp -d /tmp/sp-p1.XXXXXX)
chmod 755 "$work"  # PostgreSQL runs as its own user and must reach its data directory
cp -r "$peers_src" "$work/peers"; chmod -R u+w "$work/peers"
cd "$work/peers"
./install.sh >/dev/null
. ./env.sh
mkdir -p run
sp_pid=""
cleanup() {
  set +e
  [[ -n $sp_pid ]] && kill "$sp_pid" 2>/dev/null && wait "$sp_pid" 2>/dev/null
  node-express-pg/stop.sh >/dev/null 2>&1; nginx-static/stop.sh >/dev/null 2>&1; pg/stop.sh >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
pg/init.sh >/dev/null 2>&1
node-express-pg/start.sh >/dev/null
nginx-static/start.sh >/dev/null

export SP_BENCH_SECRET=$WEBHOOK_SECRET
cat > "$work/sp.toml" <<TOML
[server]
listen = "127.0.0.1:18095"
max_pending_appends = 50000
[storage]
data_dir = "$work/data"
[[source]]
name = "bench"
vendor = "standard"
secret_env = "SP_BENCH_SECRET"
TOML
"$bin" serve --config "$work/sp.toml" 2> "$work/serve.log" &
sp_pid=$!
sleep 1

measure() {  # name port path -> "rps p99_us non2xx"
  "$PYTHON_DEB" loadgen/gen_requests.py --count "$NREQ" --format canonical --out run/reqs.tsv 2>/dev/null
  WEBHOOK_REQS=run/reqs.tsv WRK_THREADS=1 WEBHOOK_PATH=$3 \
    wrk -t1 -c"$CONNS" -d"$DURATION" --timeout 10s --latency -s loadgen/signed.lua "http://127.0.0.1:$2/" \
    | awk '/^RESULT/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); r[kv[1]] = kv[2] }
                       print r["rps"], r["p99_us"], r["err_status"] + r["err_connect"] + r["err_read"] + r["err_write"] + r["err_timeout"], r["wraps"] }'
}
declare -A rps p99 errs
for run in $(seq 1 "$RUNS"); do
  for setup in nginx node ours; do
    case $setup in
      nginx) out=$(measure nginx "$NGINX_PORT" /webhook) ;;
      node)  psql_peers -c "TRUNCATE webhook_events" -c "CHECKPOINT" >/dev/null; out=$(measure node "$NODE_PORT" /webhook) ;;
      ours)  out=$(measure ours 18095 /v1/webhooks/bench) ;;
    esac
    read -r r p e w <<< "$out"
    # nginx stores nothing, so repeating requests does not matter there.
    [[ $w == 0 || $setup == nginx ]] || echo "warning: $setup run $run repeated requests (wraps=$w): raise NREQ" >&2
    rps[$setup]+="$r "; p99[$setup]+="$p "; errs[$setup]+="$e "
    echo "run $run $setup: $r req/s, p99 $(( p / 1000 )) ms, errors $e" >&2
  done
done
rss_kb=$(awk '/VmHWM/ {print $2}' /proc/"$sp_pid"/status)

# P5: ten times the connections. Answers beyond server.max_pending_requests are 429s (counted
# from /metrics); anything else that is not a 2xx, and any socket error or timeout, is an error.
answered() {  # "accepted refused other": webhook answers so far, by status, from /metrics
  curl -s "http://127.0.0.1:18095/metrics" | awk '/^supportpipe_http_requests_total\{/ && /route="webhooks"/ {
    if ($0 ~ /status="20[02]"/) a += $NF; else if ($0 ~ /status="429"/) r += $NF; else o += $NF }
    END { print a + 0, r + 0, o + 0 }'
}
read -r a0 r0 o0 < <(answered)
"$PYTHON_DEB" loadgen/gen_requests.py --count "$NREQ" --format canonical --out run/reqs.tsv 2>/dev/null
read -r orps op99 ostatus oerr < <(WEBHOOK_REQS=run/reqs.tsv WRK_THREADS=1 WEBHOOK_PATH=/v1/webhooks/bench \
  wrk -t1 -c"$OVERLOAD_CONNS" -d"$DURATION" --timeout 10s --latency -s loadgen/signed.lua "http://127.0.0.1:18095/" |
  awk '/^RESULT/ { for (i = 2; i <= NF; i++) { split($i, kv, "="); r[kv[1]] = kv[2] }
                   print r["rps"], r["p99_us"], r["err_status"], r["err_connect"] + r["err_read"] + r["err_write"] + r["err_timeout"] }')
read -r a1 r1 o1 < <(answered)
accepted=$((a1 - a0)); refused=$((r1 - r0)); other=$((o1 - o0))
overload_rss_kb=$(awk '/VmHWM/ {print $2}' /proc/"$sp_pid"/status)
median() { printf '%s\n' $@ | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
o=$(median ${rps[ours]}); n=$(median ${rps[node]}); x=$(median ${rps[nginx]})
op=$(median ${p99[ours]}); np=$(median ${p99[node]})
awk -v o="$o" -v n="$n" -v x="$x" -v op="$op" -v np="$np" -v c="$CONNS" -v d="$DURATION" -v runs="$RUNS" -v rss="$rss_kb" \
    -v e="$(echo ${errs[ours]} | awk '{for (i = 1; i <= NF; i++) s += $i; print s + 0}')" 'BEGIN {
  printf "P1 intake wrk -t1 -c%d -d%s, median of %d: supportpipe %.0f req/s, p99 %.1f ms, %d errors, peak RSS %.0f MiB\n", c, d, runs, o, op/1000, e, rss/1024
  printf "P1 peer node-express-pg: %.0f req/s, p99 %.1f ms; ours/node = %.1fx (target >= 10x)\n", n, np/1000, o/n
  printf "P1 ceiling nginx return 204: %.0f req/s; ours/nginx = %.2fx (target >= 0.3x)\n", x, o/x
}'
awk -v c="$OVERLOAD_CONNS" -v d="$DURATION" -v rps="$orps" -v p99="$op99" -v acc="$accepted" -v ref="$refused" \
    -v other="$other" -v serr="$oerr" -v rss="$overload_rss_kb" 'BEGIN {
  printf "P5 overload wrk -c%d -d%s: %.0f answers/s (%d accepted, %d refused 429 + Retry-After), p99 %.1f ms, %d other non-2xx, %d socket errors/timeouts; peak RSS over P1 and overload %.0f MiB (target <= 256 MiB)\n", c, d, rps, acc, ref, p99/1000, other, serr, rss/1024
}'
