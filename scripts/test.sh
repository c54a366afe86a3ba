#!/usr/bin/env bash
# The whole test suite from a fresh Debian 12 machine: installs what is missing, builds
# with -Wall -Wextra -Werror, runs every test (unit, contract, integration, crash), runs
# the unit tests again under AddressSanitizer + UndefinedBehaviorSanitizer, and runs each
# fuzz target briefly. The scale-out backends' suites run against a private PostgreSQL and
# a 3-node NATS JetStream cluster that it starts (scripts/pg.sh, scripts/nats.sh) and
# stops. Exits non-zero on any failure.
#   FUZZ_SECONDS=30 (per target)   SKIP_SANITIZERS=1   SKIP_FUZZ=1
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
start=$(date +%s)
step() { printf '\n==> %s (%ss)\n' "$*" $(( $(date +%s) - start )); }

step "dependencies"
scripts/deps.sh test

step "the dashboard test's npm packages (playwright-core, which drives Debian's chromium)"
(cd tests/dashboard && npm ci --no-audit --no-fund --loglevel=error)

step "private PostgreSQL and a 3-node NATS JetStream cluster for the scale-out backends"
servers=$(mktemp -d)
chmod 755 "$servers"  # the server runs as user postgres when we are root
stop_servers() {
  scripts/nats.sh stop "$servers/nats" || true
  scripts/pg.sh stop "$servers/pg" || true
  rm -rf "$servers"
}
trap stop_servers EXIT
SUPPORTPIPE_TEST_PG_URL=$(scripts/pg.sh start "$servers/pg")
SUPPORTPIPE_TEST_NATS_URL=$(scripts/nats.sh start "$servers/nats" 3)
export SUPPORTPIPE_TEST_PG_URL SUPPORTPIPE_TEST_NATS_URL SUPPORTPIPE_TEST_REQUIRE_SERVERS=1
echo "PostgreSQL $SUPPORTPIPE_TEST_PG_URL; NATS $SUPPORTPIPE_TEST_NATS_URL"

step "build (release, -Werror)"
scripts/build.sh release
step "tests (release)"
(cd build/release && ctest --output-on-failure -j 2 --timeout 600)

if [[ -z ${SKIP_SANITIZERS:-} ]]; then
  step "build (ASan + UBSan)"
  scripts/build.sh asan
  step "tests under ASan + UBSan (unit, and the server binary in the integration tests)"
  (cd build/asan && ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
     ctest --output-on-failure -j 2 --timeout 600)
fi

if [[ -z ${FUZZ_SECONDS:-} ]]; then FUZZ_SECONDS=20; fi
if [[ -z ${SKIP_FUZZ:-} ]]; then
  step "build fuzz targets (clang, libFuzzer)"
  scripts/build.sh fuzz
  targets="canonical_decoder_fuzz:canonical webhook_verify_fuzz:webhook"
  for vendor in zendesk intercom hubspot front helpscout slack generic; do
    targets="$targets ${vendor}_decoder_fuzz:$vendor"
  done
  targets="$targets zendesk_tickets_export_fuzz:zendesk_tickets csv_export_fuzz:csv"
  targets="$targets http_query_fuzz:http_query redactor_fuzz:redactor"
  targets="$targets jetstream_record_fuzz:jetstream_record"
  fuzz_one() {  # name:corpus -> runs the target on a copy of its corpus, prints its last lines
    local name=${1%%:*} corpus=${1##*:} work rc=0
    work=$(mktemp -d)
    cp fuzz/corpus/"$corpus"/* "$work"/
    UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:suppressions="$root/fuzz/ubsan.supp" \
      build/fuzz/fuzz/"$name" -max_total_time="$FUZZ_SECONDS" -max_len=8192 -print_final_stats=1 \
      "$work" > "$work.log" 2>&1 || rc=$?
    echo "--- $name$( ((rc)) && echo " FAILED (exit $rc)")"
    if ((rc)); then cat "$work.log"; else tail -n 3 "$work.log"; fi
    rm -rf "$work" "$work.log"
    return "$rc"
  }
  # Two at a time: each fuzzer uses one core.
  set -- $targets
  while (($#)); do
    if (($# > 1)); then
      step "fuzz ${1%%:*} and ${2%%:*} for ${FUZZ_SECONDS}s"
      fuzz_one "$1" & first=$!
      fuzz_one "$2" & second=$!
      wait "$first"; wait "$second"
      shift 2
    else
      step "fuzz ${1%%:*} for ${FUZZ_SECONDS}s"
      fuzz_one "$1"
      shift
    fi
  done
fi
step "all tests passed"
