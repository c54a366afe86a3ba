#!/usr/bin/env bash
# The cost of observing: how long a /metrics scrape takes (every gauge read fresh from the log
# and the warehouse) on a server holding TICKETS tickets with SLA clocks, idle and while
# `supportpipe demo` traffic arrives. One line per figure.
#   TICKETS=100000 PER=10 SCRAPES=200 bench/scrape.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
TICKETS=${TICKETS:-100000}
PER=${PER:-10}
SCRAPES=${SCRAPES:-200}
scripts/deps.sh bench >/dev/null
scripts/build.sh release >/dev/null
bin=build/release/src/cli/supportpipe
work=$(mktemp -d /tmp/sp-scrape.XXXXXX)
trap 'kill "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
# The demo's sources and SLA policy (no 10-second surge buckets over a year of history).
cat > "$work/sp.toml" <<TOML
[storage]
data_dir = "$work/data"
[[source]]
name = "demo-zendesk"
vendor = "zendesk"
secret_file = "$root/examples/demo.secret"
[[source]]
name = "demo-intercom"
vendor = "intercom"
secret_file = "$root/examples/demo.secret"
[[sla_policy]]
name = "history"
[sla_policy.targets]
first_reply_time = { urgent = 30, high = 60, normal = 240, low = 480 }
TOML
build/release/bench/gen_events --count $((TICKETS * PER)) --per-ticket "$PER" --out "$work/events.jsonl"
echo "loading $TICKETS tickets (not timed)..." >&2
"$bin" import --config "$work/sp.toml" --source backfill "$work/events.jsonl" > /dev/null 2>&1
"$bin" serve --config "$work/sp.toml" --ready-file "$work/port" --log-format json 2> "$work/serve.log" &
pid=$!
for _ in $(seq 1 200); do [[ -s "$work/port" ]] && break; sleep 0.05; done
url="http://127.0.0.1:$(cat "$work/port")"
scrape() {
  for _ in $(seq 1 "$SCRAPES"); do curl -s -o /dev/null -w '%{time_total}\n' "$url/metrics"; done |
    sort -g | awk '{a[NR]=$1} END {printf "p50 %.1f ms, p99 %.1f ms, max %.1f ms", a[int(NR*0.5)]*1000, a[int(NR*0.99)]*1000, a[NR]*1000}'
}
sla=$("$bin" query --config "$work/sp.toml" --format csv "SELECT COUNT(*) FROM fact_sla" | tail -1)
printf '/metrics scrape, idle, %d tickets, %s SLA rows: %s (%d scrapes)\n' "$TICKETS" "$sla" "$(scrape)" "$SCRAPES"
"$bin" demo --config "$work/sp.toml" --url "$url" --tickets 400 --wait 0 > /dev/null 2>&1 &
demo=$!
printf '/metrics scrape while demo traffic arrives: %s\n' "$(scrape)"
wait "$demo"
