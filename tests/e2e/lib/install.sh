#!/usr/bin/env bash
# Installs the Debian packages the e2e environment needs on the host, only
# when missing:
#   docker.io      - (compat leg) dockerd 20.10 with BuildKit built in, and
#                    the 20.10 client
#   debootstrap    - makes the debian:bookworm base image (no registry here)
#                    and the modern leg's Debian-unstable rootfs
#   busybox-static - a static /bin/busybox for the busybox:latest image; the
#                    dynamic "busybox" package would not run inside an image
#   iproute2, iptables - the daemon's network namespace (netns.sh)
# then, for the modern leg, its rootfs (rootfs.sh): Docker 28 is never
# installed into the host. Sourced (then call install_ensure) or run
# directly. Needs root, as CI has.

E2E_INSTALL_PACKAGES=(debootstrap busybox-static iproute2 iptables)
if [[ $DFOPT_E2E_LEG == compat ]]; then
  E2E_INSTALL_PACKAGES+=(docker.io)
fi

_install_missing() {
  local pkg
  for pkg in "${E2E_INSTALL_PACKAGES[@]}"; do
    if [[ $(dpkg-query -W -f='${db:Status-Status}' "$pkg" 2>/dev/null) != installed ]]; then
      printf '%s\n' "$pkg"
    fi
  done
}

install_ensure() {
  _install_host_packages
  if [[ $DFOPT_E2E_LEG == modern ]]; then
    rootfs_ensure
  fi
  [[ -x $DOCKER ]] || e2e_die "no Docker client at $DOCKER"
}

_install_host_packages() {
  local missing apt_log
  mapfile -t missing < <(_install_missing)
  if ((${#missing[@]} == 0)); then
    e2e_log "packages present: ${E2E_INSTALL_PACKAGES[*]}"
    return 0
  fi
  [[ $EUID == 0 ]] || e2e_die "need root to apt-get install ${missing[*]}"
  e2e_log "installing ${missing[*]}"
  mkdir -p "$DFOPT_E2E_DIR"
  apt_log=$DFOPT_E2E_DIR/apt-install.log
  # --no-install-recommends: docker.io recommends needrestart and apparmor,
  # which only add noise (needrestart hooks into every later dpkg run).
  # policy-rc.d on these machines keeps the packaged system dockerd from
  # starting; the tests never use it anyway.
  if ! { apt-get update -qq &&
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$apt_log" 2>&1; then
    tail -n 30 "$apt_log" >&2
    e2e_die "apt-get install ${missing[*]} failed (full log: $apt_log)"
  fi
  mapfile -t missing < <(_install_missing)
  ((${#missing[@]} == 0)) || e2e_die "still missing after install: ${missing[*]}"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -euo pipefail
  _here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  # shellcheck source=tests/e2e/lib/env.sh
  source "$_here/env.sh"
  # shellcheck source=tests/e2e/lib/log.sh
  source "$_here/log.sh"
  # shellcheck source=tests/e2e/lib/images.sh
  source "$_here/images.sh"
  # shellcheck source=tests/e2e/lib/rootfs.sh
  source "$_here/rootfs.sh"
  install_ensure
fi
