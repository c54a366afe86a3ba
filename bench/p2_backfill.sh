#!/usr/bin/env bash
# P2 (docs/performance.md): `supportpipe import` of N generated canonical events (JSON lines,
# ~600 B each) all the way into the SQLite warehouse, side by side in the same run with
#   - jq 1.6 doing a 9-field mapping of the same file (the batch-transform baseline), and
#   - the bare SQLite ceiling: sqlite3 CLI .import of the flattened rows, 10k rows/transaction.
# Runs alternate; medians are printed, one line per figure.   N=1000000 RUNS=2 bench/p2_backfill.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
N=${N:-1000000}
RUNS=${RUNS:-2}
scripts/deps.sh bench >/dev/null
command -v /usr/bin/time >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y -qq time >/dev/null
scripts/build.sh release >/dev/null
bin=build/release/src/cli/supportpipe
work=$(mktemp -d /tmp/sp-p2.XXXXXX)
trap 'rm -rf "$work"' EXIT

build/release/bench/gen_events --count "$N" --out "$work/events.jsonl"
filter='{event_id: .id, event_type: .type, ticket_id: .ticket.id, status: .ticket.status, priority: .ticket.priority, channel: .ticket.channel, tags: (.ticket.tags | join(",")), occurred_at, customer: .customer.id}'
# Flattened rows for the SQLite ceiling (not timed).
jq -r "$filter | [.event_id, .event_type, .ticket_id, .status, .priority, .channel, .tags, .occurred_at, .customer] | @tsv" \
  "$work/events.jsonl" > "$work/events.tsv"
mkdir -p "$work/chunks"
split -l 10000 -d -a 4 "$work/events.tsv" "$work/chunks/c"
{
  echo "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
  echo "CREATE TABLE events(event_id TEXT PRIMARY KEY, event_type TEXT, ticket_id TEXT, status TEXT, priority TEXT, channel TEXT, tags TEXT, occurred_at TEXT, customer TEXT);"
  echo ".mode tabs"
  for c in "$work"/chunks/c*; do echo ".import $c events"; done
} > "$work/import.sql"
cat "$work/events.jsonl" "$work/events.tsv" > /dev/null  # page cache

ours=(); jqs=(); sq=(); rss=()
for run in $(seq 1 "$RUNS"); do
  rm -rf "$work/data"
  /usr/bin/time -f "%e %M" -o "$work/time" "$bin" import --data-dir "$work/data" --source backfill \
    "$work/events.jsonl" 2> "$work/import.log" || { cat "$work/import.log"; exit 1; }
  read -r s kb < "$work/time"; ours+=("$s"); rss+=("$kb")
  loaded=$("$bin" query --data-dir "$work/data" --format csv "SELECT COUNT(*) FROM fact_ticket_event" | tail -1)
  [[ $loaded == "$N" ]] || { echo "P2: expected $N rows in the warehouse, found $loaded" >&2; exit 1; }
  /usr/bin/time -f "%e" -o "$work/time" jq -c "$filter" "$work/events.jsonl" > /dev/null
  jqs+=("$(cat "$work/time")")
  rm -f "$work/ceiling.db"*
  /usr/bin/time -f "%e" -o "$work/time" sqlite3 "$work/ceiling.db" < "$work/import.sql" > /dev/null
  sq+=("$(cat "$work/time")")
  echo "run $run: ours ${ours[-1]} s (peak RSS $(( ${rss[-1]} / 1024 )) MiB), jq ${jqs[-1]} s, sqlite ${sq[-1]} s" >&2
done
median() { printf '%s\n' "$@" | sort -g | awk '{a[NR]=$1} END {print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2)}'; }
mo=$(median "${ours[@]}"); mj=$(median "${jqs[@]}"); ms=$(median "${sq[@]}"); mr=$(median "${rss[@]}")
awk -v n="$N" -v o="$mo" -v j="$mj" -v s="$ms" -v r="$mr" -v runs="$RUNS" 'BEGIN {
  printf "P2 backfill %d events, median of %d: supportpipe import %.2f s = %.0f events/s (peak RSS %.0f MiB)\n", n, runs, o, n/o, r/1024
  printf "P2 peer jq mapping alone: %.2f s = %.0f events/s; ours/jq = %.2fx (target >= 3x)\n", j, n/j, j/o
  printf "P2 ceiling bare SQLite insert: %.2f s = %.0f rows/s; ours/ceiling = %.2fx (target >= 0.5x)\n", s, n/s, s/o
}'
