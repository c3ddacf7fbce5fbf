#!/usr/bin/env bash
# Proves the e2e environment end to end with the daemon's builtin Dockerfile
# frontend only (the dfopt frontend is not involved):
#   install -> start the private dockerd -> base images -> builds (a)-(d)
# and stops the daemon again, also on failure. Each step prints its time;
# the run's timings end up in $DFOPT_E2E_TIMINGS.
#   bash tests/e2e/smoke.sh            # reuses cached images
#   CI=true bash tests/e2e/smoke.sh    # rebuilds everything from scratch
# DFOPT_E2E_KEEP_DAEMON=1 leaves the daemon running afterwards (debugging;
# stop it with `bash tests/e2e/lib/daemon.sh stop`).
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# The expected messages below are Docker 20.10's: the compat leg.
DFOPT_E2E_LEG=${DFOPT_E2E_LEG:-compat}
# shellcheck source=tests/e2e/lib/all.sh
source "$here/lib/all.sh"

# Build logs and exported trees of this run.
SMOKE_OUT=$DFOPT_E2E_DIR/smoke

smoke_cleanup() {
  if [[ ${DFOPT_E2E_KEEP_DAEMON:-0} == 1 ]]; then
    e2e_log "DFOPT_E2E_KEEP_DAEMON=1: leaving dockerd running ($DOCKER_HOST)"
  else
    daemon_stop
    netns_stop
  fi
}
trap smoke_cleanup EXIT
# Make INT/TERM go through the EXIT trap too, so the daemon is stopped.
trap 'exit 130' INT
trap 'exit 143' TERM

# smoke_build NAME [ARGS...]: builds tests/e2e/smoke/NAME without cache (so
# the network is really used each run); the log goes to $SMOKE_OUT/NAME.log.
smoke_build() {
  local name=$1 log=$SMOKE_OUT/$1.log
  shift
  if ! "$DOCKER" build --progress=plain --no-cache "$@" "$here/smoke/$name" >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    e2e_die "smoke build '$name' failed (full log: $log)"
  fi
}

smoke_apt() {
  smoke_build apt
}

smoke_pip() {
  smoke_build pip
  grep -q 'requests over HTTPS: 200' "$SMOKE_OUT/pip.log" ||
    e2e_die "pip build did not report the HTTPS fetch (see $SMOKE_OUT/pip.log)"
}

# $1 = what, $2 = got, $3 = wanted
smoke_expect() {
  [[ $2 == "$3" ]] || e2e_die "$1: got '$2', wanted '$3'"
}

smoke_busybox() {
  local out=$SMOKE_OUT/busybox-export image=dfopt-e2e/smoke-busybox:latest
  rm -rf "$out"
  smoke_build busybox -o "type=local,dest=$out"
  smoke_expect "exported /work/hello.txt" "$(cat "$out/work/hello.txt")" hello-from-busybox
  [[ -x $out/bin/busybox && -L $out/bin/sh ]] || e2e_die "export lacks busybox's /bin/busybox or /bin/sh"

  smoke_build busybox -t "$image"
  smoke_expect "inspect WorkingDir" "$("$DOCKER" image inspect --format '{{.Config.WorkingDir}}' "$image")" /work
  smoke_expect "inspect Cmd" "$("$DOCKER" image inspect --format '{{json .Config.Cmd}}' "$image")" '["cat","/work/hello.txt"]'
  smoke_expect "inspect label" "$("$DOCKER" image inspect --format '{{index .Config.Labels "org.dfopt.e2e"}}' "$image")" smoke
  "$DOCKER" image inspect --format '{{range .Config.Env}}{{println .}}{{end}}' "$image" | grep -qx DFOPT_E2E_SMOKE=1 ||
    e2e_die "inspect Env lacks DFOPT_E2E_SMOKE=1"
  # Containers run too, not only builds.
  smoke_expect "docker run" "$("$DOCKER" run --rm "$image")" hello-from-busybox
}

# smoke_expect_frontend_failure NAME: the build of smoke/NAME must fail
# within 60 s (it has a `# syntax=` line naming a broken frontend image).
# Prints the message Docker gives and leaves the log in $SMOKE_OUT/NAME.log.
smoke_expect_frontend_failure() {
  local name=$1 log=$SMOKE_OUT/$1.log rc=0 start=$SECONDS msg
  timeout 120 "$DOCKER" build --progress=plain "$here/smoke/$name" >"$log" 2>&1 || rc=$?
  ((rc != 0)) || e2e_die "build '$name' succeeded, but its frontend is broken"
  ((rc != 124)) || e2e_die "build '$name' hung for 120 s instead of failing"
  ((SECONDS - start < 60)) || e2e_die "build '$name' took $((SECONDS - start)) s to fail"
  msg=$(tail -n 1 "$log")
  e2e_log "build '$name' failed as expected (exit $rc): $msg"
  [[ $msg == *"failed to solve with frontend gateway.v0"* ]] ||
    e2e_die "unexpected error for '$name' (see $log)"
}

smoke_not_a_frontend() {
  "$DOCKER" tag "$DFOPT_E2E_BUSYBOX_IMAGE" dfopt-e2e/not-a-frontend:latest
  smoke_expect_frontend_failure not-a-frontend
}

# A frontend's stderr is not shown by the client; BuildKit sends it to the
# daemon's stderr, i.e. $DFOPT_E2E_LOG. Checked with a marker.
smoke_frontend_stderr() {
  local offset
  "$DOCKER" build -q -t dfopt-e2e/stderr-frontend:latest "$here/smoke/stderr-frontend-image" >/dev/null
  offset=$(stat -c %s "$DFOPT_E2E_LOG")
  smoke_expect_frontend_failure stderr-frontend
  sleep 0.2 # the daemon log is written asynchronously
  tail -c +$((offset + 1)) "$DFOPT_E2E_LOG" >"$SMOKE_OUT/stderr-frontend.daemon-log"
  grep -q dfopt-e2e-frontend-stderr-marker "$SMOKE_OUT/stderr-frontend.daemon-log" ||
    e2e_die "frontend stderr marker not found in $DFOPT_E2E_LOG"
  e2e_log "frontend stderr found in the daemon log; its BuildKit environment:"
  grep '^BUILDKIT_' "$SMOKE_OUT/stderr-frontend.daemon-log" | sed 's/^/    /' >&2
}

main() {
  local start=$SECONDS
  mkdir -p "$DFOPT_E2E_DIR"
  rm -rf "$SMOKE_OUT"
  mkdir -p "$SMOKE_OUT"
  : >"$DFOPT_E2E_TIMINGS"
  e2e_log "work dir $DFOPT_E2E_DIR, CI=${CI:-} fresh=$DFOPT_E2E_FRESH"

  e2e_timed install install_ensure
  e2e_timed daemon-start daemon_start
  e2e_timed images images_ensure
  e2e_timed "smoke (a) apt" smoke_apt
  e2e_timed "smoke (b) pip" smoke_pip
  e2e_timed "smoke (c) busybox export+inspect" smoke_busybox
  e2e_timed "smoke (d1) syntax=not-a-frontend" smoke_not_a_frontend
  e2e_timed "smoke (d2) frontend stderr" smoke_frontend_stderr
  if [[ ${DFOPT_E2E_KEEP_DAEMON:-0} != 1 ]]; then
    e2e_timed daemon-stop daemon_stop
    netns_stop
  fi

  e2e_log "timings (seconds):"
  sed 's/^/    /' "$DFOPT_E2E_TIMINGS" >&2
  e2e_log "smoke passed in $((SECONDS - start))s"
}

main "$@"
