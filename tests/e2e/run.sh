#!/usr/bin/env bash
# The end-to-end suite on both daemons ("legs", see lib/env.sh), one after the
# other: first the modern leg (Docker 28.5 + buildx 0.29, BuildKit v0.25: what
# most users run), then the compatibility leg (Docker 20.10, BuildKit v0.8).
# Each leg is tests/e2e/leg.sh in a process of its own; a failing leg does
# not stop the next one, and the run fails when any leg failed.
#   bash tests/e2e/run.sh [CASE...]
#   DFOPT_E2E_LEGS=modern bash tests/e2e/run.sh [CASE...]   (one leg only)
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

legs=${DFOPT_E2E_LEGS:-modern compat}
# Inputs both legs share (the bookworm debootstrap tarball) are made once per
# run even when every image must be fresh (lib/images.sh).
DFOPT_E2E_RUN_STARTED=$(date +%s)
export DFOPT_E2E_RUN_STARTED

failed=()
for leg in $legs; do
  printf '\n===== e2e leg: %s =====\n' "$leg"
  if ! DFOPT_E2E_LEG=$leg bash "$here/leg.sh" "$@"; then
    failed+=("$leg")
  fi
done
if ((${#failed[@]})); then
  printf '\ne2e: FAILED on leg(s): %s\n' "${failed[*]}"
  exit 1
fi
printf '\ne2e: every leg passed (%s)\n' "$legs"
