#!/usr/bin/env bash
# Installs the Debian 12 packages supportpipe needs to build, test and benchmark.
# Idempotent: asks apt only for what is missing. Usage: scripts/deps.sh [build|test|bench]
set -euo pipefail
what=${1:-build}
# The default build configures the tests and benchmarks too, so their libraries are
# build dependencies; clang (fuzzing) and the tools below are only for testing.
pkgs=(build-essential cmake ninja-build pkg-config ccache
      libboost-dev libboost-system-dev libsimdjson-dev rapidjson-dev libtomlplusplus-dev
      libcli11-dev libspdlog-dev libfmt-dev libsqlite3-dev libssl-dev ca-certificates
      libcctz-dev tzdata libre2-dev libsodium-dev
      libgtest-dev libgmock-dev libbenchmark-dev libvalijson-dev libpq-dev libnats-dev)
if [[ $what == test || $what == bench ]]; then
  pkgs+=(clang libclang-rt-14-dev curl sqlite3 openssl
         chromium nodejs npm python3 python3-prometheus-client postgresql-15 nats-server)
fi
if [[ $what == bench ]]; then
  pkgs+=(wrk jq python3 postgresql-15 postgresql-client-15 nginx nodejs npm)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
# node/npm may come from elsewhere; only the binaries matter.
if [[ ${#missing[@]} -gt 0 ]]; then
  filtered=()
  for p in "${missing[@]}"; do
    if [[ $p == nodejs ]] && command -v node >/dev/null; then continue; fi
    if [[ $p == npm ]] && command -v npm >/dev/null; then continue; fi
    filtered+=("$p")
  done
  missing=("${filtered[@]}")
fi
if [[ ${#missing[@]} -gt 0 ]]; then
  echo "deps: installing ${missing[*]}" >&2
  sudo=""
  [[ $(id -u) -ne 0 ]] && sudo="sudo"
  # Debian's nginx/postgresql/nats-server post-install scripts would start system services;
  # keep them off (tests start their own: scripts/pg.sh, scripts/nats.sh).
  tmp_policy=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' | $sudo tee /usr/sbin/policy-rc.d >/dev/null
    $sudo chmod +x /usr/sbin/policy-rc.d
    tmp_policy=1
  fi
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  [[ $tmp_policy == 1 ]] && $sudo rm -f /usr/sbin/policy-rc.d
fi
echo "deps: ok ($what)" >&2
