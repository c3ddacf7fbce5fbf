# shellcheck shell=bash
# Sourced by the benchmark scripts: the private e2e daemon of the leg
# DFOPT_E2E_LEG (tests/e2e/lib/env.sh; started when none is running, and then
# stopped again on exit), the base images, and the frontend image
# (DFOPT_BENCH_SKIP_IMAGE=1 reuses the one in the daemon).
bench_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=tests/e2e/lib/all.sh
source "$bench_repo/tests/e2e/lib/all.sh"
install_ensure
bench_started=0
if ! daemon_status >/dev/null 2>&1; then
  daemon_start
  bench_started=1
fi
bench_stop() {
  if ((bench_started)); then
    daemon_stop
    netns_stop
  fi
}
trap bench_stop EXIT
images_ensure
if [[ ${DFOPT_BENCH_SKIP_IMAGE:-0} != 1 ]]; then
  "$bench_repo/scripts/build-frontend-image.sh" ourorg/optimizer:latest >&2
fi
