#!/usr/bin/env bash
# P3 (docs/performance.md): time from a webhook's `202` to its row in the warehouse, at RATE
# signed webhooks per second for DURATION seconds (bench/p3_freshness.cc says how, and which P3_*
# variables run the split and scale-out layouts). One line.
#   RATE=2000 DURATION=20 bench/p3_freshness.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/deps.sh bench >/dev/null
scripts/build.sh release >/dev/null
exec build/release/bench/p3_freshness build/release/src/cli/supportpipe "${RATE:-2000}" "${DURATION:-20}"
