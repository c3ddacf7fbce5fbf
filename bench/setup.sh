# shellcheck shell=bash
# Sourced by the benchmark scripts: the private e2e daemon (started when none
# is running, and then stopped again on exit), the base images, and the
# frontend image (DFOPT_BENCH_SKIP_IMAGE=1 reuses the one in the daemon).
bench_repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=tests/e2e/lib/all.sh
source "$bench_repo/tests/e2e/lib/all.sh"
install_ensure
bench_started=0
if ! daemon_status >/dev/null 2>&1; then
  daemon_start
  bench_started=1
fi
trap '((bench_started)) && daemon_stop' EXIT
images_ensure
if [[ ${DFOPT_BENCH_SKIP_IMAGE:-0} != 1 ]]; then
  "$bench_repo/scripts/build-frontend-image.sh" ourorg/optimizer:latest >&2
fi
