#!/usr/bin/env bash
# One leg of the end-to-end suite (DFOPT_E2E_LEG=modern|compat, lib/env.sh):
# installs what the leg needs, starts its private dockerd, makes the base
# images, builds the dfopt frontend image, then runs
#   cases          every case in tests/e2e/cases (runner.py), both routings;
#   differential   the same cases built by the daemon's own frontend and by
#                  ours with DFOPT=off must give the same image and reuse each
#                  other's cache; rewrites on and off must give the same image
#                  but for the cache directories (differential.py; skipped
#                  with DFOPT_E2E_DIFFERENTIAL=0);
#   concurrency    four concurrent builds over the shared apt/pip caches
#                  (concurrency.py; DFOPT_E2E_CONCURRENCY=0 skips);
# and on the modern leg, once more with the containerd image store, the cases
# that need it ("stores": ["containerd"] in case.json: merge ops, OCI and
# multi-platform exports, attestations) and the ephemeral-runner sequence of
# cache transfer (ephemeral.py; DFOPT_E2E_EPHEMERAL=0 skips). Stops the daemon and removes its
# network namespace at the end, also on failure. Every part runs even when an
# earlier one failed; the leg fails when any did.
#   DFOPT_E2E_LEG=modern bash tests/e2e/leg.sh [CASE...]
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
    netns_stop
  fi
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

failed=()
# part LABEL CMD...: a timed command (a program, not a shell function: `if`
# turns off `set -e` inside functions) whose failure is recorded, not fatal.
part() {
  local label=$1 start
  shift
  start=$(date +%s)
  if ! "$@"; then
    failed+=("$label")
  fi
  e2e_log "TIMING $label: $(($(date +%s) - start))s"
  printf '%s %s\n' "$label" "$(($(date +%s) - start))" >>"$DFOPT_E2E_TIMINGS"
}

# The daemon, its base images and the frontend image, for the current store.
prepare_daemon() {
  e2e_timed daemon-start daemon_start
  e2e_timed base-images images_ensure
  e2e_timed frontend-image "$repo/scripts/build-frontend-image.sh" ourorg/optimizer:latest
}

e2e_log "leg $DFOPT_E2E_LEG, work dir $DFOPT_E2E_DIR"
mkdir -p "$DFOPT_E2E_DIR"
e2e_log "disk free there: $(df -h --output=avail "$DFOPT_E2E_DIR" | tail -n 1 | tr -d ' ')"
e2e_timed install install_ensure
prepare_daemon
e2e_timed fixture-servers servers_start
part cases python3 "$here/runner.py" "$@"
if [[ ${DFOPT_E2E_DIFFERENTIAL:-1} == 1 ]]; then
  # The differential asks `dfopt explain` which cache directories rewrites add.
  if [[ -z ${DFOPT_CLI:-} ]]; then
    e2e_timed cli-binary cargo build --locked --quiet --manifest-path "$repo/Cargo.toml" -p dfopt-cli
  fi
  part differential python3 "$here/differential.py" "$@"
fi
# Empties the build cache first, so it runs after the cases; skipped when
# only some cases were asked for.
if [[ $# == 0 && ${DFOPT_E2E_CONCURRENCY:-1} == 1 ]]; then
  part concurrency python3 "$here/concurrency.py"
fi

if [[ $DFOPT_E2E_LEG == modern && ${DFOPT_E2E_CONTAINERD:-1} == 1 ]]; then
  e2e_log "modern leg: the containerd image store"
  servers_stop
  daemon_stop
  export DFOPT_E2E_STORE=containerd
  DFOPT_E2E_DATA_ROOT=$DFOPT_E2E_DIR/data-containerd
  export DFOPT_E2E_DATA_ROOT
  prepare_daemon
  e2e_timed fixture-servers servers_start
  part cases-containerd python3 "$here/runner.py" "$@"
  # An ephemeral CI runner: layer cache export/import plus dfopt's cache-mount
  # export and seed; wipes the build cache, so only when all cases run.
  if [[ $# == 0 && ${DFOPT_E2E_EPHEMERAL:-1} == 1 ]]; then part ephemeral python3 "$here/ephemeral.py"; fi
fi

if ((${#failed[@]})); then
  e2e_log "leg $DFOPT_E2E_LEG FAILED: ${failed[*]}"
  exit 1
fi
e2e_log "leg $DFOPT_E2E_LEG passed"
