#!/usr/bin/env bash
# P6 (docs/performance.md): re-derive the metrics and SLA rows of 100k tickets / 2M events
# from the warehouse's stored timelines with `supportpipe recompute` (what a schedule or
# SLA-policy change, or a replay, needs), with a business-hours schedule and SLA policies
# on every metric. Also prints the engine alone (bench/metrics_bench). One line per figure.
#   TICKETS=100000 PER=20 RUNS=2 bench/p6_recompute.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
TICKETS=${TICKETS:-100000}
PER=${PER:-20}
RUNS=${RUNS:-2}
scripts/deps.sh bench >/dev/null
scripts/build.sh release >/dev/null
bin=build/release/src/cli/supportpipe
work=$(mktemp -d /tmp/sp-p6.XXXXXX)
trap 'rm -rf "$work"' EXIT

cat > "$work/sp.toml" <<TOML
[storage]
data_dir = "$work/data"

[reporting]
time_zone = "Europe/Berlin"
default_schedule = "office"

[[schedule]]
name = "office"
time_zone = "Europe/Berlin"
hours = ["mon-fri 09:00-17:00"]
holidays = ["2026-12-25"]

[[sla_policy]]
name = "urgent-calendar"
when = { priority = ["urgent"] }
[sla_policy.targets]
first_reply_time      = { urgent = 30 }
next_reply_time       = { urgent = 60 }
requester_wait_time   = { urgent = 240 }
agent_work_time       = { urgent = 180 }
total_resolution_time = { urgent = 480 }

[[sla_policy]]
name = "standard"
business_hours = true
[sla_policy.targets]
first_reply_time      = { high = 60, normal = 240, low = 480 }
next_reply_time       = { high = 120, normal = 480, low = 960 }
requester_wait_time   = { high = 480, normal = 1440, low = 2880 }
agent_work_time       = { high = 240, normal = 960, low = 1920 }
total_resolution_time = { high = 1440, normal = 4320, low = 10080 }
TOML

build/release/bench/gen_events --count $((TICKETS * PER)) --per-ticket "$PER" --out "$work/events.jsonl"
echo "loading the history once (not timed)..." >&2
"$bin" import --config "$work/sp.toml" --source backfill "$work/events.jsonl" > /dev/null 2>&1
times=()
for run in $(seq 1 "$RUNS"); do
  /usr/bin/time -f "%e %M" -o "$work/time" "$bin" recompute --config "$work/sp.toml" \
    > "$work/out" 2>&1 || { cat "$work/out"; exit 1; }
  read -r s kb < "$work/time"; times+=("$s")
done
# A policy change: the standard policy counts calendar time instead of office hours, so every
# one of its SLA rows is rewritten.
sed 's/^business_hours = true/business_hours = false/' "$work/sp.toml" > "$work/sp2.toml"
/usr/bin/time -f "%e %M" -o "$work/time2" "$bin" recompute --config "$work/sp2.toml" \
  > "$work/out" 2>&1 || { cat "$work/out"; exit 1; }
read -r s2 kb2 < "$work/time2"
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
t=$(median "${times[@]}")
rows=$("$bin" query --config "$work/sp.toml" --format csv "SELECT COUNT(*) FROM fact_sla" | tail -1)
events=$("$bin" query --config "$work/sp.toml" --format csv \
  "SELECT COUNT(*) FROM fact_ticket_event WHERE type NOT LIKE 'sla.%'" | tail -1)
printf 'P6 recompute: %d tickets / %d events re-derived (metrics + %d SLA rows, office hours) in %s s = %.0f events/s, peak RSS %d MiB (target <= 10 s; median of %d)\n' \
  "$TICKETS" "$events" "$rows" "$t" "$(awk -v e="$events" -v t="$t" 'BEGIN {print e / t}')" "$((kb / 1024))" "$RUNS"
printf 'P6 recompute after an SLA policy change (every SLA row rewritten): %s s = %.0f events/s, peak RSS %d MiB\n' \
  "$s2" "$(awk -v e="$events" -v t="$s2" 'BEGIN {print e / t}')" "$((kb2 / 1024))"
build/release/bench/metrics_bench "$TICKETS" "$PER"
