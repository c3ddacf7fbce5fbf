#!/usr/bin/env bash
# Runs every benchmark and writes BENCHMARKS.md (bench/benchmarks.py): the
# conversion benchmarks (criterion), the no-op rebuild, and the example builds
# with the daemon's own frontend and with dfopt side by side. Starts the
# private e2e daemon when none is running (and stops it again), makes the base
# images and builds the frontend image first.
#   bash bench/benchmarks.sh [--out FILE] [--rounds N]
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
python3 "$repo/bench/benchmarks.py" "$@"
