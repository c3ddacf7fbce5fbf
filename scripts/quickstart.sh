#!/usr/bin/env bash
# The README's first command: see dfopt work on a real project.
#
#   bash scripts/quickstart.sh
#
# 1. Finds a Docker to use: the one your `docker` already talks to when it
#    answers, otherwise the test suite's private Docker 28.5 + buildx (Debian
#    unstable's docker.io in a debootstrapped rootfs, never installed into the
#    host; tests/e2e/lib) started under /var/tmp/dfopt-e2e/modern in its own
#    network namespace (stopped again at the end).
# 2. Makes sure the base images examples/python-app needs exist (pulled when a
#    registry answers; on a machine without one they are made locally with
#    debootstrap, as the tests do).
# 3. Builds the dfopt CLI and the frontend image `ourorg/optimizer:latest`
#    into that Docker (the binary is compiled here and packaged FROM scratch).
# 4. Prints dfopt's optimisation report for examples/python-app
#    (`dfopt explain`), then builds the example with `# syntax=ourorg/optimizer`
#    and runs it.
# 5. Prints before/after figures: the example built by Docker's own frontend
#    and by dfopt, cold, then warm after adding a pip requirement and an apt
#    package (bench/gains.py; cold builds use --no-cache). On the private
#    daemon the cache mounts are emptied first; on your own Docker nothing is
#    pruned, so dfopt's cold build may find warm package caches there (pass
#    DFOPT_QUICKSTART_FIGURES=0 to skip this step).
#
# Needs root for the private daemon (apt, dockerd), a Rust toolchain, and the
# Debian package mirror.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$repo"

say() { printf '\n\033[1m== %s\033[0m\n' "$*" >&2; }

users_docker_answers() {
  local cli
  cli=$( [[ -x /usr/bin/docker ]] && echo /usr/bin/docker || command -v docker ) || return 1
  DOCKER_BUILDKIT=1 "$cli" version --format '{{.Server.Version}}' >/dev/null 2>&1
}

private=0
if users_docker_answers; then
  user_host=${DOCKER_HOST:-}
  # shellcheck source=tests/e2e/lib/all.sh
  source "$repo/tests/e2e/lib/all.sh"
  # Keep talking to the user's daemon, not the private one env.sh points at.
  if [[ -n $user_host ]]; then export DOCKER_HOST=$user_host; else unset DOCKER_HOST; fi
  unset DOCKER_CONFIG
  [[ -x /usr/bin/docker ]] || DOCKER=$(command -v docker)
  say "using the running Docker ($("$DOCKER" version --format '{{.Server.Version}}'))"
else
  # shellcheck source=tests/e2e/lib/all.sh
  source "$repo/tests/e2e/lib/all.sh"
  say "no Docker answers: starting a private dockerd (Debian's docker.io, $DFOPT_E2E_LEG leg) at $DOCKER_HOST"
  install_ensure
  daemon_start
  trap 'daemon_stop; netns_stop' EXIT
  private=1
fi
# Never rebuild base images from scratch here, whatever CI says.
DFOPT_E2E_FRESH=0

say "base images"
if ! "$DOCKER" image inspect python:3.11-bookworm >/dev/null 2>&1 &&
  ! "$DOCKER" pull -q python:3.11-bookworm >/dev/null 2>&1; then
  images_ensure
fi

say "building the dfopt CLI and the frontend image ourorg/optimizer:latest"
cargo build --release --locked -q -p dfopt-cli
"$repo/scripts/build-frontend-image.sh" ourorg/optimizer:latest >/dev/null

say "what dfopt does to examples/python-app/Dockerfile (dfopt explain)"
target/release/dfopt explain --platform "linux/$(dpkg --print-architecture 2>/dev/null || echo amd64)" examples/python-app/Dockerfile || [[ $? == 1 ]]

say "building examples/python-app with # syntax=ourorg/optimizer"
work=$(mktemp -d)
cp -r examples/python-app/. "$work/"
{ echo "# syntax=ourorg/optimizer"; cat examples/python-app/Dockerfile; } >"$work/Dockerfile"
"$DOCKER" build --progress=plain -t dfopt-quickstart/python-app "$work" 2>&1 | grep -E '^#[0-9]+ \[' | grep -v ' CACHED$' | sed 's/^#[0-9]* //' | awk '!seen[$0]++'
rm -rf "$work"
"$DOCKER" run --rm dfopt-quickstart/python-app

if [[ ${DFOPT_QUICKSTART_FIGURES:-1} == 1 ]]; then
  say "before/after: Docker's own frontend vs dfopt on examples/python-app (a few minutes)"
  figures=(--json "$repo/target/quickstart-gains.json")
  ((private)) || figures+=(--no-prune)
  python3 bench/gains.py "${figures[@]}" python-app
fi
say "done. Next: README.md (usage), BENCHMARKS.md (all figures), bash tests/run-all.sh (the tests)"
