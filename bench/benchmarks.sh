#!/usr/bin/env bash
# Runs every benchmark and writes BENCHMARKS.md (bench/benchmarks.py): the
# conversion benchmarks (criterion), the no-op rebuild, and the example builds
# with the daemon's own frontend and with dfopt side by side, on the private
# e2e daemon, set up first (bench/setup.sh).
#   bash bench/benchmarks.sh [--out FILE] [--rounds N]
set -euo pipefail
# shellcheck source=bench/setup.sh
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
python3 "$bench_repo/bench/benchmarks.py" "$@"
