#!/usr/bin/env bash
# No-op (fully cached) rebuild time: the daemon's built-in Dockerfile frontend
# vs the dfopt frontend, side by side in one run, same Dockerfile, same daemon.
#   bash bench/noop-rebuild.sh [ROUNDS]      (default 10)
# Prints the median and mean wall time of each and the ratio ours/builtin.
# Uses the private e2e daemon (tests/e2e/lib) and builds the frontend image.
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
rounds=${1:-10}
# The private e2e daemon (left running when it already was), base images,
# frontend image; the benchmark's own figures are the only stdout.
# shellcheck source=bench/setup.sh
source "$here/setup.sh" >/dev/null
# The floor any `# syntax=` frontend pays: a minimal gateway frontend (the
# passthrough example: ping, read the Dockerfile, resolve the last FROM, return it).
host=$(rustc -vV | sed -n 's/^host: //p')
RUSTFLAGS="-C target-feature=+crt-static" cargo build -q --release --locked -p dfopt-frontend \
  --example passthrough --target "$host" --manifest-path "$repo/Cargo.toml"
floor_ctx=$(mktemp -d)
strip -o "$floor_ctx/dfopt-frontend" "$repo/target/$host/release/examples/passthrough"
"$DOCKER" build -q -f "$repo/Dockerfile.frontend" --target prebuilt -t dfopt-bench/passthrough "$floor_ctx" >/dev/null
rm -rf "$floor_ctx"

work=$(mktemp -d)
cp "$repo/examples/c-service/Dockerfile" "$work/builtin.Dockerfile"
{ echo "# syntax=ourorg/optimizer"; cat "$repo/examples/c-service/Dockerfile"; } >"$work/dfopt.Dockerfile"
{ echo "# syntax=dfopt-bench/passthrough"; cat "$repo/examples/c-service/Dockerfile"; } >"$work/floor.Dockerfile"

build() { # build KIND -> seconds
  local start end
  start=$(date +%s.%N)
  "$DOCKER" build -q -f "$work/$1.Dockerfile" -t "dfopt-bench/noop:$1" "$repo/examples/c-service" >/dev/null
  end=$(date +%s.%N)
  awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f\n", e - s }'
}

# Warm both (first builds fill the cache), then alternate to share any drift.
build builtin >/dev/null
build dfopt >/dev/null
build floor >/dev/null
: >"$work/builtin.times"
: >"$work/dfopt.times"
: >"$work/floor.times"
for _ in $(seq "$rounds"); do
  build builtin >>"$work/builtin.times"
  build dfopt >>"$work/dfopt.times"
  build floor >>"$work/floor.times"
done

stats() { sort -n "$1" | awk '{ a[NR] = $1; s += $1 } END { m = (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2; printf "%.3f %.3f\n", m, s / NR }'; }
read -r b_med b_mean < <(stats "$work/builtin.times")
read -r d_med d_mean < <(stats "$work/dfopt.times")
read -r f_med f_mean < <(stats "$work/floor.times")
echo "no-op rebuild of examples/c-service, $rounds rounds each (Docker 20.10.24, BuildKit v0.8, $(nproc) cores)"
printf '%-22s median %6ss  mean %6ss\n' "built-in frontend" "$b_med" "$b_mean"
printf '%-22s median %6ss  mean %6ss\n' "dfopt frontend" "$d_med" "$d_mean"
printf '%-22s median %6ss  mean %6ss\n' "minimal # syntax floor" "$f_med" "$f_mean"
awk -v d="$d_med" -v b="$b_med" -v f="$f_med" 'BEGIN {
  printf "ratio dfopt/built-in (median): %.2fx\n", d / b
  printf "gateway container floor: %.0f ms over built-in; dfopt adds %.0f ms over the floor\n", (f - b) * 1000, (d - f) * 1000 }'
echo "dfopt's own phases per build are logged to the daemon log as 'dfopt-frontend: timings …'"
rm -rf "$work"
