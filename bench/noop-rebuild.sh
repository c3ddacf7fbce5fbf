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
  # shellcheck disable=SC2086 # DFOPT_E2E_BUILD is "build" or "buildx build"
  "$DOCKER" $DFOPT_E2E_BUILD -q -f "$work/$1.Dockerfile" -t "dfopt-bench/noop:$1" "$repo/examples/c-service" >/dev/null
  end=$(date +%s.%N)
  awk -v s="$start" -v e="$end" 'BEGIN { printf "%.3f\n", e - s }'
}

# Warm both (first builds fill the cache), then alternate to share any drift.
# The daemon log from here on holds dfopt's own timings of the measured builds.
build builtin >/dev/null
build dfopt >/dev/null
build floor >/dev/null
log_from=$(($(stat -c %s "$DFOPT_E2E_LOG") + 1))
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
# dfopt's own work in each measured build: the `own=` of its daemon-log line
# `timings ping=…ms … total=…ms own=…ms` (the wall time not spent waiting for
# the daemon: parsing, checks, rewrites, lowering).
tail -c "+$log_from" "$DFOPT_E2E_LOG" | grep -o 'dfopt-frontend: timings .*' |
  sed -n 's/.* own=\([0-9.]*\)ms.*/\1/p' >"$work/own.ms"
server=$("$DOCKER" version --format '{{.Server.Version}}')
echo "no-op rebuild of examples/c-service, $rounds rounds each (Docker $server, $DFOPT_E2E_LEG leg, \`docker $DFOPT_E2E_BUILD\`, $(nproc) cores)"
printf '%-22s median %6ss  mean %6ss\n' "built-in frontend" "$b_med" "$b_mean"
printf '%-22s median %6ss  mean %6ss\n' "dfopt frontend" "$d_med" "$d_mean"
printf '%-22s median %6ss  mean %6ss\n' "minimal # syntax floor" "$f_med" "$f_mean"
awk -v d="$d_med" -v b="$b_med" -v f="$f_med" 'BEGIN {
  printf "ratio dfopt/built-in (median): %.2fx\n", d / b
  printf "gateway container floor: %.0f ms over built-in; dfopt adds %.0f ms over the floor\n", (f - b) * 1000, (d - f) * 1000 }'
read -r o_med o_mean < <(stats "$work/own.ms")
printf "dfopt's own work per build (its logged time not waiting for the daemon): median %s ms, mean %s ms\n" "$o_med" "$o_mean"
rm -rf "$work"
