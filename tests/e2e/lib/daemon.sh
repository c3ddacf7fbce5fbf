#!/usr/bin/env bash
# Starts and stops the private dockerd of the e2e tests (see env.sh for where
# it lives and which leg it is). It never touches a system Docker: own data
# root, exec root, socket, pidfile and network namespace (netns.sh). The
# compat leg runs the host's Debian dockerd; the modern leg runs the dockerd
# of its rootfs (rootfs.sh), chrooted there, in a mount namespace that binds
# the leg's work dir into the rootfs at the same path (so sockets, pidfile and
# data root have one name inside and out). Sourced (daemon_start /
# daemon_stop) or run directly:
#   bash tests/e2e/lib/daemon.sh start|stop|status
#
# Knobs: DFOPT_E2E_START_TIMEOUT (s, default 60), DFOPT_E2E_STOP_TIMEOUT
# (s, default 30), DFOPT_E2E_STORAGE_DRIVER (default overlay2, with a vfs
# fallback when overlay2 cannot start; the containerd image store has its
# own), DFOPT_E2E_DOCKERD_LOG_LEVEL (default info; a frontend's stderr is
# logged whatever the level).

# Only Debian's binaries: /usr/local/bin holds a newer docker client, and
# dockerd looks up containerd, runc and docker-init on its PATH.
_DAEMON_PATH=/usr/sbin:/usr/bin:/sbin:/bin

# True when PID is a live process; a zombie (exited, not yet reaped by its
# parent) counts as gone.
_daemon_pid_running() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [[ ${stat%% *} != Z ]]
}

# True when PID is a dockerd started with our exec root, so a stale pidfile
# whose number was reused by some other process is never acted on.
_daemon_pid_ours() {
  local cmdline
  cmdline=$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null) || return 1
  [[ $cmdline == *dockerd* && $cmdline == *"--exec-root $DFOPT_E2E_EXEC_ROOT "* ]]
}

# Prints the pid of our running dockerd, or fails.
_daemon_pid() {
  local pid
  pid=$(cat "$DFOPT_E2E_PIDFILE" 2>/dev/null) || return 1
  [[ $pid =~ ^[0-9]+$ ]] && _daemon_pid_running "$pid" && _daemon_pid_ours "$pid" &&
    printf '%s\n' "$pid"
}

_daemon_answers() {
  "$DOCKER" version --format '{{.Server.Version}}' >/dev/null 2>&1
}

# The bridge inherits MTU 1500 unless told; where the host's uplink is
# smaller (1400 on these VMs) big downloads from RUN steps could stall on
# lost fragments, so containers get the uplink's MTU.
_daemon_mtu_args() {
  local dev mtu
  dev=$(ip route show default 2>/dev/null | awk '{ for (i = 1; i < NF; i++) if ($i == "dev") { print $(i + 1); exit } }')
  [[ -n $dev ]] || return 0
  mtu=$(cat "/sys/class/net/$dev/mtu" 2>/dev/null) || return 0
  if [[ $mtu =~ ^[0-9]+$ ]] && ((mtu < 1500)); then
    printf -- '--mtu\n%s\n' "$mtu"
  fi
}

# Waits until PID answers on our socket (0), dies (1) or the timeout ends (2).
_daemon_wait_ready() {
  local pid=$1 deadline=$((SECONDS + ${DFOPT_E2E_START_TIMEOUT:-60}))
  while ((SECONDS < deadline)); do
    _daemon_answers && return 0
    _daemon_pid_running "$pid" || return 1
    sleep 0.3
  done
  return 2
}

# The daemon.json of this store: the containerd image store is a feature
# switch; the classic store is dockerd's default (an empty file also keeps
# any system daemon.json out).
_daemon_config_file() {
  local file=$DFOPT_E2E_DIR/daemon-$DFOPT_E2E_STORE.json
  if [[ $DFOPT_E2E_STORE == containerd ]]; then
    printf '{"features": {"containerd-snapshotter": true}}\n' >"$file"
  else
    printf '{}\n' >"$file"
  fi
  printf '%s\n' "$file"
}

# Runs dockerd ARGS... as this leg runs it, in the foreground (the caller
# puts it in the background): in the leg's network namespace, and for the
# modern leg chrooted in its rootfs.
_daemon_exec() {
  if [[ $DFOPT_E2E_LEG == compat ]]; then
    netns_exec env PATH=$_DAEMON_PATH /usr/sbin/dockerd "$@"
    return
  fi
  # The rootfs's / must be a mount point (bound onto itself), or `docker
  # import` fails with "remount /, flags: 0x84000: invalid argument".
  netns_exec unshare --mount --fork -- bash -c '
    set -e
    root=$1 dir=$2
    shift 2
    mount --make-rprivate /
    mount --bind "$root" "$root"
    mount -t proc proc "$root/proc"
    mount --rbind /sys "$root/sys"
    mount --rbind /dev "$root/dev"
    mkdir -p "$root$dir"
    mount --bind "$dir" "$root$dir"
    cp /etc/resolv.conf "$root/etc/resolv.conf"
    exec chroot "$root" env PATH='"$_DAEMON_PATH"' /usr/sbin/dockerd "$@"
  ' dockerd-modern "$DFOPT_E2E_ROOTFS" "$DFOPT_E2E_DIR" "$@"
}

# Starts dockerd with storage driver $1 (empty: the store's default), waits
# for it. On failure prints the log tail, leaves no process behind and
# returns non-zero.
_daemon_try_start() {
  local driver=$1 pid rc=0 extra config
  mapfile -t extra < <(_daemon_mtu_args)
  [[ -n $driver ]] && extra+=(--storage-driver "$driver")
  config=$(_daemon_config_file)
  rm -f "$DFOPT_E2E_SOCK" "$DFOPT_E2E_PIDFILE"
  # The log is appended to across runs; keep one old generation past 20 MB.
  if [[ -f $DFOPT_E2E_LOG ]] && (($(stat -c %s "$DFOPT_E2E_LOG") > 20 * 1024 * 1024)); then
    mv -f "$DFOPT_E2E_LOG" "$DFOPT_E2E_LOG.old"
  fi
  _DAEMON_LOG_OFFSET=$(stat -c %s "$DFOPT_E2E_LOG" 2>/dev/null || echo 0)
  printf '\n===== dfopt-e2e: dockerd (%s leg, %s store) start %(%F %T)T, storage driver %s\n' \
    "$DFOPT_E2E_LEG" "$DFOPT_E2E_STORE" -1 "${driver:-default}" >>"$DFOPT_E2E_LOG"
  # --iptables/--bridge stay at their defaults: BuildKit in dockerd runs RUN
  # steps on the default bridge network, and with --bridge=none every RUN
  # fails with "network bridge not found". The bridge needs the NAT rules.
  _daemon_exec \
    --config-file "$config" \
    --data-root "$DFOPT_E2E_DATA_ROOT" \
    --exec-root "$DFOPT_E2E_EXEC_ROOT" \
    --host "unix://$DFOPT_E2E_SOCK" \
    --pidfile "$DFOPT_E2E_PIDFILE" \
    --log-level "${DFOPT_E2E_DOCKERD_LOG_LEVEL:-info}" \
    "${extra[@]}" \
    >>"$DFOPT_E2E_LOG" 2>&1 </dev/null &
  pid=$!
  _daemon_wait_ready "$pid" || rc=$?
  ((rc == 0)) && return 0
  if ((rc == 1)); then
    e2e_log "dockerd (storage driver ${driver:-default}) exited during startup; log tail ($DFOPT_E2E_LOG):"
  else
    e2e_log "dockerd (storage driver ${driver:-default}) did not answer within ${DFOPT_E2E_START_TIMEOUT:-60}s; log tail ($DFOPT_E2E_LOG):"
  fi
  # Without gRPC's connection chatter, which buries the real error.
  grep -v 'module=grpc' "$DFOPT_E2E_LOG" | tail -n 25 >&2
  local dpid
  dpid=$(cat "$DFOPT_E2E_PIDFILE" 2>/dev/null) && [[ $dpid =~ ^[0-9]+$ ]] && _daemon_stop_pid "$dpid"
  _daemon_stop_pid "$pid"
  _daemon_stop_containerd
  # A dockerd that dies in startup can leave its data root bind-mounted.
  _daemon_unmount_leftovers
  rm -f "$DFOPT_E2E_SOCK" "$DFOPT_E2E_PIDFILE"
  return 1
}

# True when the last start attempt died because its storage driver could
# not be used (dockerd: "error initializing graphdriver: ...").
_daemon_driver_refused() {
  tail -c +$((_DAEMON_LOG_OFFSET + 1)) "$DFOPT_E2E_LOG" | grep -q 'error initializing graphdriver'
}

daemon_start() {
  local pid driver=${DFOPT_E2E_STORAGE_DRIVER:-overlay2}
  [[ $EUID == 0 ]] || e2e_die "dockerd needs root"
  # unix sockets: sun_path is 108 bytes including the final NUL.
  ((${#DFOPT_E2E_SOCK} < 100)) || e2e_die "socket path too long, pick a shorter DFOPT_E2E_DIR: $DFOPT_E2E_SOCK"
  ((${#DFOPT_E2E_EXEC_ROOT} < 80)) || e2e_die "exec root too long for containerd's socket, pick a shorter DFOPT_E2E_DIR: $DFOPT_E2E_EXEC_ROOT"
  mkdir -p "$DFOPT_E2E_DIR" "$DFOPT_E2E_DATA_ROOT" "$DFOPT_E2E_EXEC_ROOT" "$DFOPT_E2E_TMP" "$DOCKER_CONFIG"

  if pid=$(_daemon_pid); then
    if _daemon_answers && _daemon_store_matches; then
      e2e_log "dockerd already running (pid $pid), reusing it"
      return 0
    fi
    e2e_log "dockerd pid $pid does not answer or has another image store; restarting it"
    daemon_stop
  fi
  # Mounts left by a daemon that was killed hard would confuse the new one.
  _daemon_unmount_leftovers
  netns_start

  # The containerd image store has its own snapshotter ("overlayfs"); naming
  # a graph driver there would fail.
  if [[ $DFOPT_E2E_STORE == containerd ]]; then
    _daemon_try_start "${DFOPT_E2E_STORAGE_DRIVER:-}" ||
      e2e_die "dockerd failed to start with the containerd image store"
  elif ! _daemon_try_start "$driver"; then
    # Fall back only when overlay2 itself was refused, not on other errors.
    if [[ $driver != overlay2 || -n ${DFOPT_E2E_STORAGE_DRIVER:-} ]] || ! _daemon_driver_refused; then
      e2e_die "dockerd failed to start (storage driver $driver)"
    fi
    e2e_log "overlay2 failed; retrying with the vfs storage driver (slow, copies every layer)"
    _daemon_try_start vfs || e2e_die "dockerd failed to start with overlay2 and with vfs"
  fi
  e2e_log "dockerd $("$DOCKER" version --format '{{.Server.Version}}') up ($DFOPT_E2E_LEG leg, $DFOPT_E2E_STORE store, pid $(cat "$DFOPT_E2E_PIDFILE")), storage driver $("$DOCKER" info --format '{{.Driver}}'), DOCKER_HOST=$DOCKER_HOST"
}

# True when the running daemon uses the image store this run wants.
_daemon_store_matches() {
  local driver_type
  driver_type=$("$DOCKER" info --format '{{range .DriverStatus}}{{index . 0}}={{index . 1}};{{end}}' 2>/dev/null)
  if [[ $DFOPT_E2E_STORE == containerd ]]; then
    [[ $driver_type == *io.containerd.snapshotter* ]]
  else
    [[ $driver_type != *io.containerd.snapshotter* ]]
  fi
}

# Unmounts anything still mounted below the work dir (deepest first). After
# a clean dockerd shutdown there is nothing; after a SIGKILL there can be
# overlay mounts and netns bind mounts.
_daemon_unmount_leftovers() {
  local mnt
  while read -r mnt; do
    e2e_log "unmounting leftover $mnt"
    umount "$mnt" 2>/dev/null || umount -l "$mnt" 2>/dev/null || e2e_log "could not unmount $mnt"
  done < <(awk -v d="$DFOPT_E2E_DIR/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r)
}

# Stops one dockerd pid: SIGTERM (dockerd then stops its containers and its
# containerd), SIGKILL after the stop timeout.
_daemon_stop_pid() {
  local pid=$1 deadline=$((SECONDS + ${DFOPT_E2E_STOP_TIMEOUT:-30}))
  _daemon_pid_running "$pid" && kill -TERM "$pid" 2>/dev/null
  while _daemon_pid_running "$pid" && ((SECONDS < deadline)); do
    sleep 0.2
  done
  if _daemon_pid_running "$pid"; then
    e2e_log "dockerd pid $pid ignored SIGTERM for ${DFOPT_E2E_STOP_TIMEOUT:-30}s; sending SIGKILL"
    kill -KILL "$pid" 2>/dev/null
    sleep 0.5
  fi
  # Reap it when it is this shell's child; a no-op otherwise.
  wait "$pid" 2>/dev/null || true
  return 0
}

# dockerd's managed containerd normally exits with dockerd; after a SIGKILL
# of dockerd it would stay, so stop it by its own pidfile.
_daemon_stop_containerd() {
  local cpid
  cpid=$(cat "$DFOPT_E2E_EXEC_ROOT/containerd/containerd.pid" 2>/dev/null) || return 0
  [[ $cpid =~ ^[0-9]+$ ]] && _daemon_pid_running "$cpid" || return 0
  tr '\0' ' ' <"/proc/$cpid/cmdline" 2>/dev/null | grep -qF -- "$DFOPT_E2E_EXEC_ROOT/" || return 0
  e2e_log "stopping leftover containerd pid $cpid"
  kill -TERM "$cpid" 2>/dev/null
  local deadline=$((SECONDS + 10))
  while _daemon_pid_running "$cpid" && ((SECONDS < deadline)); do
    sleep 0.2
  done
  _daemon_pid_running "$cpid" && kill -KILL "$cpid" 2>/dev/null
  return 0
}

# Safe to call at any time, also from an EXIT trap and when nothing runs.
daemon_stop() {
  local pid
  if pid=$(_daemon_pid); then
    e2e_log "stopping dockerd pid $pid"
    _daemon_stop_pid "$pid"
  fi
  _daemon_stop_containerd
  _daemon_unmount_leftovers
  rm -f "$DFOPT_E2E_PIDFILE" "$DFOPT_E2E_SOCK"
  return 0
}

daemon_status() {
  local pid
  if pid=$(_daemon_pid) && _daemon_answers; then
    echo "running pid $pid DOCKER_HOST=$DOCKER_HOST"
  else
    echo "stopped"
    return 1
  fi
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -euo pipefail
  _here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  # shellcheck source=tests/e2e/lib/env.sh
  source "$_here/env.sh"
  # shellcheck source=tests/e2e/lib/log.sh
  source "$_here/log.sh"
  # shellcheck source=tests/e2e/lib/netns.sh
  source "$_here/netns.sh"
  # shellcheck source=tests/e2e/lib/rootfs.sh
  source "$_here/rootfs.sh"
  # shellcheck source=tests/e2e/lib/images.sh
  source "$_here/images.sh"
  case ${1:-} in
  start)
    [[ $DFOPT_E2E_LEG == modern ]] && rootfs_ensure
    daemon_start
    ;;
  stop)
    daemon_stop
    netns_stop
    ;;
  status) daemon_status ;;
  *) e2e_die "usage: $0 start|stop|status" ;;
  esac
fi
