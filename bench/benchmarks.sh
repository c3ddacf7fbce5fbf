#!/usr/bin/env bash
# Runs every benchmark and writes BENCHMARKS.md (bench/benchmarks.py): the
# conversion benchmarks (criterion), then on each daemon leg (the modern
# Docker 28.5 + buildx one first, then Docker 20.10; bench/leg.sh) the no-op
# rebuild and the example builds with the daemon's own frontend and with dfopt
# side by side. The legs run one after the other, each on its private e2e
# daemon, started and stopped here.
#   bash bench/benchmarks.sh [--out FILE] [--rounds N]
#   DFOPT_BENCH_LEGS=modern bash bench/benchmarks.sh    (one leg only)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
out=$repo/BENCHMARKS.md
rounds=10
while (($#)); do
  case $1 in
  --out) out=$2; shift 2 ;;
  --rounds) rounds=$2; shift 2 ;;
  *) echo "usage: $0 [--out FILE] [--rounds N]" >&2; exit 2 ;;
  esac
done
figures=$repo/target/bench
rm -rf "$figures"
mkdir -p "$figures"
python3 "$here/benchmarks.py" conversion "$figures/conversion.json"
legs=${DFOPT_BENCH_LEGS:-modern compat}
for leg in $legs; do
  DFOPT_E2E_LEG=$leg bash "$here/leg.sh" "$figures/$leg" --rounds "$rounds"
done
python3 "$here/benchmarks.py" write "$figures" "$out" $legs
