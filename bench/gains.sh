#!/usr/bin/env bash
# Runs bench/gains.py (dfopt vs the daemon's own frontend on the examples:
# cold, no-op, warm rebuilds after dependency changes; bytes downloaded,
# time, image size, layers) on the private e2e daemon, setting it up first:
#   bash bench/gains.sh [--json FILE] [SCENARIO...]
# DFOPT_BENCH_SKIP_IMAGE=1 reuses the frontend image already in the daemon.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=tests/e2e/lib/all.sh
source "$repo/tests/e2e/lib/all.sh"
install_ensure
started=0
if ! daemon_status >/dev/null 2>&1; then
  daemon_start
  started=1
fi
trap '((started)) && daemon_stop' EXIT
images_ensure
if [[ ${DFOPT_BENCH_SKIP_IMAGE:-0} != 1 ]]; then
  "$repo/scripts/build-frontend-image.sh" ourorg/optimizer:latest >&2
fi
python3 "$repo/bench/gains.py" "$@"
