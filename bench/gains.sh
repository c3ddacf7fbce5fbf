#!/usr/bin/env bash
# Runs bench/gains.py (dfopt vs the daemon's own frontend on the examples:
# cold, no-op, warm rebuilds after dependency changes; bytes downloaded,
# time, image size, layers) on the private e2e daemon, set up first:
#   bash bench/gains.sh [--json FILE] [SCENARIO...]
set -euo pipefail
# shellcheck source=bench/setup.sh
source "$(dirname "${BASH_SOURCE[0]}")/setup.sh"
python3 "$bench_repo/bench/gains.py" "$@"
