# shellcheck shell=bash
# Sourced: the modern leg's Docker, installed into a Debian-unstable rootfs
# and never into the host (its libc and packages are newer than the host's).
#   rootfs_ensure   makes $DFOPT_E2E_ROOTFS when missing (or when fresh):
#                   debootstrap --variant=minbase sid, then apt-get install of
#                   docker.io, docker-cli, docker-buildx and what dockerd
#                   runs (containerd, runc, iptables, git for git sources)
#                   inside it; links the buildx plugin into the client config.
#   rootfs_versions prints the Docker, buildx and BuildKit versions it holds.
# The daemon itself is started chrooted there by daemon.sh.

# Packages of the unstable suite the modern daemon needs. docker.io pulls in
# containerd, runc and tini; iptables is what dockerd programs the bridge with.
ROOTFS_PACKAGES=(docker.io docker-cli docker-buildx iptables git xz-utils ca-certificates)

# The host's own Debian mirror (from its deb822 sources), so the rootfs comes
# from wherever this machine's packages come from; deb.debian.org otherwise.
_rootfs_mirror() {
  local uri
  uri=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null)
  case $uri in
  http://* | https://*) printf '%s\n' "${uri%/}" ;;
  *) printf 'http://deb.debian.org/debian\n' ;;
  esac
}

# True when the rootfs holds a dockerd and the buildx plugin, and was made in
# this run when fresh images are wanted (DFOPT_E2E_RUN_STARTED, set by run.sh,
# lets the second leg of one CI run reuse what the first made).
_rootfs_usable() {
  [[ -x $DFOPT_E2E_ROOTFS/usr/sbin/dockerd && -x $DFOPT_E2E_ROOTFS/usr/libexec/docker/cli-plugins/docker-buildx ]] || return 1
  [[ $DFOPT_E2E_FRESH != 1 ]] || _images_made_this_run "$DFOPT_E2E_ROOTFS/.dfopt-made"
}

# Runs CMD... chrooted in the rootfs, in a throw-away mount namespace with
# /proc and /dev mounted (apt's maintainer scripts need both).
_rootfs_chroot() {
  local root=$1
  shift
  unshare --mount --fork -- bash -c '
    set -e
    root=$1
    shift
    mount --make-rprivate /
    mount -t proc proc "$root/proc"
    mount --rbind /dev "$root/dev"
    exec chroot "$root" "$@"
  ' rootfs-chroot "$root" "$@"
}

_rootfs_make() {
  local root=$DFOPT_E2E_ROOTFS.partial mirror log=$DFOPT_E2E_DIR/rootfs.log
  mirror=$(_rootfs_mirror)
  mkdir -p "$DFOPT_E2E_CACHE" "$DFOPT_E2E_DIR"
  _images_rm_tree "$root"
  e2e_log "debootstrap sid (minbase) from $mirror -> $DFOPT_E2E_ROOTFS"
  _images_run_logged "debootstrap sid" "$log" debootstrap --variant=minbase sid "$root" "$mirror"
  # No service may start inside the rootfs while packages are installed.
  printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  chmod 755 "$root/usr/sbin/policy-rc.d"
  # The unstable suite's Release file on a frozen mirror is past its
  # Valid-Until date; this machine's apt is told the same.
  printf 'Acquire::Check-Valid-Until "false";\nAcquire::Check-Date "false";\n' \
    >"$root/etc/apt/apt.conf.d/99dfopt-e2e"
  cp /etc/resolv.conf "$root/etc/resolv.conf"
  e2e_log "installing ${ROOTFS_PACKAGES[*]} into the rootfs"
  _images_run_logged "apt-get install in the rootfs" "$DFOPT_E2E_DIR/rootfs-apt.log" \
    _rootfs_chroot "$root" env DEBIAN_FRONTEND=noninteractive sh -c \
    "apt-get update -qq && apt-get install -y -qq --no-install-recommends ${ROOTFS_PACKAGES[*]} && apt-get clean"
  # The chroot's / must be a mount point for `docker import` (daemon.sh binds
  # the rootfs onto itself); these are the dirs daemon.sh mounts into.
  mkdir -p "$root/proc" "$root/sys" "$root/dev"
  touch "$root/.dfopt-made"
  _images_rm_tree "$DFOPT_E2E_ROOTFS"
  mv "$root" "$DFOPT_E2E_ROOTFS"
}

rootfs_ensure() {
  [[ $EUID == 0 ]] || e2e_die "making the modern leg's rootfs needs root"
  if _rootfs_usable; then
    e2e_log "reusing the rootfs at $DFOPT_E2E_ROOTFS"
  else
    e2e_timed rootfs _rootfs_make
  fi
  # The host runs the rootfs's client; its buildx plugin is found through the
  # private client config.
  mkdir -p "$DOCKER_CONFIG/cli-plugins"
  ln -sfn "$DFOPT_E2E_ROOTFS/usr/libexec/docker/cli-plugins/docker-buildx" "$DOCKER_CONFIG/cli-plugins/docker-buildx"
  e2e_log "modern leg: $(rootfs_versions)"
}

rootfs_versions() {
  local pkg out=()
  for pkg in docker.io docker-buildx containerd runc; do
    out+=("$pkg $(chroot "$DFOPT_E2E_ROOTFS" dpkg-query -W -f='${Version}' "$pkg" 2>/dev/null || echo '?')")
  done
  local IFS=,
  printf '%s\n' "${out[*]}"
}
