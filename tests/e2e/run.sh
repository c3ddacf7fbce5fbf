#!/usr/bin/env bash
# The end-to-end suite: installs and starts a private Docker 20.10 daemon,
# makes the base images, builds the dfopt frontend image, runs every case in
# tests/e2e/cases (runner.py), then the differential suite (differential.py:
# the same cases built by the daemon's own frontend and by ours with DFOPT=off
# must give the same image and reuse each other's cache; skipped with
# DFOPT_E2E_DIFFERENTIAL=0; it also checks that rewrites on and off give the
# same image but for the cache directories), then four concurrent builds over
# the shared apt/pip caches (concurrency.py; DFOPT_E2E_CONCURRENCY=0 skips),
# and stops the daemon, also on failure.
#   bash tests/e2e/run.sh [CASE...]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source=tests/e2e/lib/all.sh
source "$here/lib/all.sh"

cleanup() {
  servers_stop
  if [[ ${DFOPT_E2E_KEEP_DAEMON:-0} == 1 ]]; then
    e2e_log "DFOPT_E2E_KEEP_DAEMON=1: leaving dockerd running ($DOCKER_HOST)"
  else
    daemon_stop
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

e2e_timed install install_ensure
e2e_timed daemon-start daemon_start
e2e_timed base-images images_ensure
e2e_timed frontend-image "$repo/scripts/build-frontend-image.sh" ourorg/optimizer:latest
e2e_timed fixture-servers servers_start
e2e_timed cases python3 "$here/runner.py" "$@"
if [[ ${DFOPT_E2E_DIFFERENTIAL:-1} == 1 ]]; then
  e2e_timed differential python3 "$here/differential.py" "$@"
fi
# Empties the build cache first, so it runs last; skipped when only some
# cases were asked for.
if [[ $# == 0 && ${DFOPT_E2E_CONCURRENCY:-1} == 1 ]]; then
  e2e_timed concurrency python3 "$here/concurrency.py"
fi
