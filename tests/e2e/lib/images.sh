#!/usr/bin/env bash
# Makes the base images the e2e tests build FROM, in the private daemon
# (which must be running): no Docker registry is reachable, so
#   debian:bookworm        - debootstrap minbase, imported as one layer
#   busybox:latest         - this machine's static busybox, imported
#   dfopt-python:bookworm  - FROM debian:bookworm, built from
#                            tests/e2e/images/python/Dockerfile
# An image that already exists is kept, unless DFOPT_E2E_FRESH=1 (the
# default under CI=true): then everything, the debootstrap tarball included,
# is made anew. The tarball stays in $DFOPT_E2E_CACHE for later local runs.
# Sourced (then call images_ensure) or run directly.

_IMAGES_PATH_ENV='ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin'
# HTTPS from containers goes through a proxy whose CA only this machine's
# bundle has; these variables make OpenSSL, curl, pip, requests and Node (npm)
# use it.
_IMAGES_CA=/etc/ssl/machine-ca-bundle.pem

_images_exists() {
  "$DOCKER" image inspect "$1" >/dev/null 2>&1
}

# Removes a scratch rootfs tree. debootstrap mounts /proc and /sys (and may
# bind /dev) inside its target and can leave them mounted when it fails;
# so unmount first and never cross into another filesystem while deleting.
_images_rm_tree() {
  local mnt
  [[ -e $1 ]] || return 0
  while read -r mnt; do
    umount "$mnt" 2>/dev/null || umount -l "$mnt"
  done < <(awk -v d="$1/" 'index($5, d) == 1 { print $5 }' /proc/self/mountinfo | sort -r)
  rm -rf --one-file-system "$1"
}

# Runs a command with its output to LOG; on failure shows the tail and dies.
_images_run_logged() {
  local what=$1 log=$2
  shift 2
  if ! "$@" >"$log" 2>&1; then
    tail -n 30 "$log" >&2
    e2e_die "$what failed (full log: $log)"
  fi
}

# True when FILE was made during this run of run.sh (DFOPT_E2E_RUN_STARTED):
# a fresh run makes the shared inputs once, not once per leg.
_images_made_this_run() {
  local made
  [[ -n ${DFOPT_E2E_RUN_STARTED:-} ]] || return 1
  made=$(stat -c %Y "$1" 2>/dev/null) || return 1
  ((made >= DFOPT_E2E_RUN_STARTED))
}

# The debootstrap tree as a tarball, made only when missing or when fresh.
# Only machine-independent clean-up happens here; the machine's CA and apt
# settings are added at import time, so a cached tarball never goes stale.
_images_debootstrap_tarball() {
  local tarball=$DFOPT_E2E_CACHE/debootstrap-bookworm-minbase.tar
  local root=$DFOPT_E2E_TMP/debootstrap-root
  if [[ -s $tarball ]] && { [[ $DFOPT_E2E_FRESH != 1 ]] || _images_made_this_run "$tarball"; }; then
    e2e_log "reusing cached $tarball"
    return 0
  fi
  e2e_log "debootstrap bookworm (minbase) -> $tarball"
  mkdir -p "$DFOPT_E2E_CACHE"
  _images_rm_tree "$root"
  _images_run_logged debootstrap "$DFOPT_E2E_DIR/debootstrap.log" \
    debootstrap --variant=minbase bookworm "$root"
  # Like the official image: no downloaded .debs (~30 MB) and no package
  # lists (~50 MB); the first `apt-get update` in a build fetches them.
  rm -f "$root"/var/cache/apt/archives/*.deb "$root"/var/cache/apt/*.bin
  find "$root/var/lib/apt/lists" -mindepth 1 -maxdepth 1 ! -name partial ! -name lock -exec rm -rf {} +
  tar --numeric-owner -C "$root" -cf "$tarball.partial" .
  mv "$tarball.partial" "$tarball"
  _images_rm_tree "$root"
}

# debian:bookworm from the cached tarball plus what makes it behave like the
# official image on this machine.
_images_make_debian() {
  local tarball=$DFOPT_E2E_CACHE/debootstrap-bookworm-minbase.tar
  local root=$DFOPT_E2E_TMP/debian-root f
  _images_rm_tree "$root"
  mkdir -p "$root"
  tar --numeric-owner -xpf "$tarball" -C "$root"

  # The official image's apt sources are deb822 with updates and security;
  # debootstrap writes only "bookworm main" to sources.list. This machine's
  # own debian.sources is exactly the official one, so take it (which also
  # keeps mirror names out of this repository).
  if [[ -e /etc/apt/sources.list.d/debian.sources ]]; then
    rm -f "$root/etc/apt/sources.list"
    cp /etc/apt/sources.list.d/debian.sources "$root/etc/apt/sources.list.d/"
  else
    e2e_log "no /etc/apt/sources.list.d/debian.sources here; keeping debootstrap's sources.list"
  fi
  # The official image's Docker tweaks, taken from this machine (itself made
  # from that image): apt cache cleaning (docker-clean etc.), dpkg's
  # force-unsafe-io, and a policy-rc.d that keeps services from starting.
  compgen -G '/etc/apt/apt.conf.d/docker-*' >/dev/null ||
    e2e_die "this machine has no /etc/apt/apt.conf.d/docker-* files to copy"
  cp /etc/apt/apt.conf.d/docker-* "$root/etc/apt/apt.conf.d/"
  for f in /etc/dpkg/dpkg.cfg.d/docker-*; do
    if [[ -e $f ]]; then cp "$f" "$root/etc/dpkg/dpkg.cfg.d/"; fi
  done
  if [[ -e /usr/sbin/policy-rc.d ]]; then
    cp /usr/sbin/policy-rc.d "$root/usr/sbin/policy-rc.d"
  else
    printf '#!/bin/sh\nexit 101\n' >"$root/usr/sbin/policy-rc.d"
  fi
  chmod 755 "$root/usr/sbin/policy-rc.d"
  mkdir -p "$root/etc/ssl"
  cp /etc/ssl/certs/ca-certificates.crt "$root$_IMAGES_CA"
  # debootstrap copied this host's; Docker bind-mounts its own over both.
  : >"$root/etc/resolv.conf"
  echo localhost >"$root/etc/hostname"

  tar --numeric-owner -C "$root" -c . | "$DOCKER" import \
    --change "$_IMAGES_PATH_ENV" \
    --change "ENV SSL_CERT_FILE=$_IMAGES_CA" \
    --change "ENV PIP_CERT=$_IMAGES_CA" \
    --change "ENV REQUESTS_CA_BUNDLE=$_IMAGES_CA" \
    --change "ENV NODE_EXTRA_CA_CERTS=$_IMAGES_CA" \
    --change 'CMD ["bash"]' \
    --message 'dfopt e2e: debootstrap --variant=minbase bookworm' \
    - "$DFOPT_E2E_DEBIAN_IMAGE" >/dev/null
  _images_rm_tree "$root"
}

# busybox:latest: the static busybox with a symlink per applet in /bin, as
# in the official image.
_images_make_busybox() {
  local root=$DFOPT_E2E_TMP/busybox-root applet
  _images_rm_tree "$root"
  mkdir -p "$root"/{bin,dev,etc,home,proc,root,sys,tmp,usr/sbin,var/spool/mail,var/www}
  chmod 1777 "$root/tmp"
  chmod 700 "$root/root"
  # busybox-static installs /bin/busybox; on merged-/usr it is /usr/bin too.
  cp /usr/bin/busybox "$root/bin/busybox"
  for applet in $(/usr/bin/busybox --list); do
    [[ $applet == busybox ]] || ln -s busybox "$root/bin/$applet"
  done
  printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/home:/bin/false\n' >"$root/etc/passwd"
  printf 'root:x:0:\nnobody:x:65534:\n' >"$root/etc/group"
  tar --numeric-owner -C "$root" -c . | "$DOCKER" import \
    --change "$_IMAGES_PATH_ENV" \
    --change 'CMD ["sh"]' \
    --message "dfopt e2e: $(/usr/bin/busybox | head -n 1)" \
    - "$DFOPT_E2E_BUSYBOX_IMAGE" >/dev/null
  _images_rm_tree "$root"
}

_images_make_python() {
  local nocache=()
  [[ $DFOPT_E2E_FRESH == 1 ]] && nocache=(--no-cache)
  _images_run_logged "docker build $DFOPT_E2E_PYTHON_IMAGE" "$DFOPT_E2E_DIR/build-python-image.log" \
    "$DOCKER" build --progress=plain "${nocache[@]}" -t "$DFOPT_E2E_PYTHON_IMAGE" \
    "$DFOPT_E2E_SRC/images/python"
}

# True when IMAGE must be (re)made.
_images_wanted() {
  [[ $DFOPT_E2E_FRESH == 1 ]] || ! _images_exists "$1"
}

# True when the existing debian image predates a change of its recipe (each
# trust variable above is in its env), so a kept daemon picks the change up.
_images_debian_stale() {
  ! "$DOCKER" image inspect -f '{{json .Config.Env}}' "$DFOPT_E2E_DEBIAN_IMAGE" 2>/dev/null |
    grep -q NODE_EXTRA_CA_CERTS
}

images_ensure() {
  local debian_made=0
  "$DOCKER" version >/dev/null 2>&1 ||
    e2e_die "no Docker daemon answers at $DOCKER_HOST; start it first (daemon_start)"
  mkdir -p "$DFOPT_E2E_TMP"
  if _images_wanted "$DFOPT_E2E_DEBIAN_IMAGE" || _images_debian_stale; then
    e2e_timed debootstrap-tarball _images_debootstrap_tarball
    e2e_timed "image $DFOPT_E2E_DEBIAN_IMAGE" _images_make_debian
    debian_made=1
  else
    e2e_log "keeping existing $DFOPT_E2E_DEBIAN_IMAGE"
  fi
  if _images_wanted "$DFOPT_E2E_BUSYBOX_IMAGE"; then
    e2e_timed "image $DFOPT_E2E_BUSYBOX_IMAGE" _images_make_busybox
  else
    e2e_log "keeping existing $DFOPT_E2E_BUSYBOX_IMAGE"
  fi
  # Rebuilt on a new debian image too, so it never sits on a stale base.
  if ((debian_made)) || _images_wanted "$DFOPT_E2E_PYTHON_IMAGE"; then
    e2e_timed "image $DFOPT_E2E_PYTHON_IMAGE" _images_make_python
  else
    e2e_log "keeping existing $DFOPT_E2E_PYTHON_IMAGE"
  fi
  # The examples say `FROM python:3.11-bookworm`, the official name; here that
  # name points at the local stand-in (Debian's Python 3.11 is the same version).
  "$DOCKER" tag "$DFOPT_E2E_PYTHON_IMAGE" "$DFOPT_E2E_PYTHON_ALIAS"
  # Replaced images and earlier runs' untagged build results stay behind;
  # only this private daemon has them. BuildKit's cache is kept but bounded.
  "$DOCKER" image prune -f >/dev/null
  "$DOCKER" builder prune -f --keep-storage 3gb >/dev/null
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
  set -euo pipefail
  _here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
  # shellcheck source=tests/e2e/lib/env.sh
  source "$_here/env.sh"
  # shellcheck source=tests/e2e/lib/log.sh
  source "$_here/log.sh"
  images_ensure
fi
