#!/usr/bin/env bash
# P4 (docs/performance.md): an event in -> the escalation a rule records for it, and an SLA
# breach instant -> its sla.breached, each as a signed delivery received on loopback, over N
# tickets (bench/p4_action.cc says how). One line each.
#   N=200 bench/p4_action.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
scripts/deps.sh bench >/dev/null
scripts/build.sh release >/dev/null
exec build/release/bench/p4_action build/release/src/cli/supportpipe "${N:-200}"
