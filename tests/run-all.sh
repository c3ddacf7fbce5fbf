#!/usr/bin/env bash
# The project's test command (README "Testing"; .ci/run calls it).
# Runs every Rust test in the workspace. Daemon-backed end-to-end suites are
# added here as they land; each prints its own pass/fail summary.
set -euo pipefail
cd "$(dirname "$0")/.."

echo "== cargo test (workspace) =="
cargo test --workspace --locked 2>&1
