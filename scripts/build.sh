#!/usr/bin/env bash
# Builds supportpipe. Usage: scripts/build.sh [release|debug|asan|fuzz]  (default release)
# Output: build/<kind>/ ; the binary is build/<kind>/src/cli/supportpipe
set -euo pipefail
cd "$(dirname "$0")/.."
kind=${1:-release}
args=(-G Ninja -DSP_WERROR=ON)
case $kind in
  release) args+=(-DCMAKE_BUILD_TYPE=RelWithDebInfo) ;;
  debug)   args+=(-DCMAKE_BUILD_TYPE=Debug) ;;
  asan)    args+=(-DCMAKE_BUILD_TYPE=Debug -DSP_SANITIZE=ON -DSP_BUILD_BENCH=OFF) ;;
  fuzz)    args+=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DSP_BUILD_FUZZ=ON -DSP_BUILD_TESTS=OFF
                  -DSP_BUILD_BENCH=OFF -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++) ;;
  *) echo "usage: $0 [release|debug|asan|fuzz]" >&2; exit 2 ;;
esac
cmake -S . -B "build/$kind" "${args[@]}" >/dev/null
ninja -C "build/$kind" -j "${JOBS:-2}"
