# shellcheck shell=bash
# Sourced: messages and step timings shared by the e2e scripts.

e2e_log() {
  printf '[e2e %(%H:%M:%S)T] %s\n' -1 "$*" >&2
}

e2e_die() {
  printf '[e2e] ERROR: %s\n' "$*" >&2
  exit 1
}

# e2e_timed LABEL CMD [ARGS...]: runs CMD, prints how long it took and
# appends "LABEL SECONDS" to $DFOPT_E2E_TIMINGS when its directory exists.
# CMD is called plainly, not as `CMD || ...`: inside a function called from
# an `||` list bash ignores `set -e`, so a failing step would carry on.
# Under `set -e` a failing CMD therefore ends the script right here.
e2e_timed() {
  local label=$1 start secs
  shift
  start=$(date +%s.%N)
  "$@"
  secs=$(awk -v s="$start" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }')
  e2e_log "TIMING $label: ${secs}s"
  if [[ -n ${DFOPT_E2E_TIMINGS:-} && -d ${DFOPT_E2E_TIMINGS%/*} ]]; then
    printf '%s %s\n' "$label" "$secs" >>"$DFOPT_E2E_TIMINGS"
  fi
}
