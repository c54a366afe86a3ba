#!/usr/bin/env bash
# One command from a fresh Debian 12 machine to a running supportpipe on embedded
# defaults: installs what is missing, builds, and serves on 127.0.0.1:8080 with data in
# ./data. Extra arguments go to `supportpipe serve` (e.g. --config supportpipe.toml).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
"$root/scripts/deps.sh" build
"$root/scripts/build.sh" release
exec "$root/build/release/src/cli/supportpipe" serve "$@"
