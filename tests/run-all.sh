#!/usr/bin/env bash
# The project's test command (README "Testing"; .ci/run calls it).
#  1. every Rust test in the workspace (unit, conformance, snapshots, CLI
#     black-box, fake-daemon protocol tests);
#  2. the end-to-end suite against a real, private Docker 20.10 daemon
#     (tests/e2e/run.sh: installs docker.io when missing, starts and stops the
#     daemon, makes base images, builds the frontend image, runs every case).
# DFOPT_SKIP_E2E=1 skips step 2 (for a quick local run; CI never sets it).
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo test (workspace) =="
cargo test --workspace --locked 2>&1

if [[ ${DFOPT_SKIP_E2E:-0} == 1 ]]; then
  echo "== end-to-end suite skipped (DFOPT_SKIP_E2E=1) =="
  exit 0
fi
echo "== end-to-end suite (real daemon) =="
bash tests/e2e/run.sh
