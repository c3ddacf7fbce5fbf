# shellcheck shell=bash
# Sourced, never run: the single place that says where the private Docker
# daemon of the end-to-end tests lives and how clients reach it.
#
# Two daemons ("legs"), chosen by DFOPT_E2E_LEG:
#   modern  Docker 28.5 + buildx 0.29 (BuildKit v0.25) from Debian's unstable
#           suite, installed into a debootstrapped rootfs (never into the host)
#           and run chrooted there; clients use `docker buildx build`. The
#           primary leg: what most users run.
#   compat  Debian bookworm's docker.io 20.10.24 (BuildKit v0.8), installed
#           on the host; clients use `docker build`. The compatibility leg.
# Each leg's daemon runs in a network namespace of its own (see netns.sh), so
# the two never fight over docker0 and iptables, with each other or with any
# other dockerd on the machine.
#
# Everything of a leg sits under one work dir so a run can be inspected or
# wiped as a whole. The default is on disk (/var/tmp survives reboots and is
# not tmpfs), because the data root holds the cached base images between
# local runs.

DFOPT_E2E_LEG=${DFOPT_E2E_LEG:-modern}
case $DFOPT_E2E_LEG in
modern | compat) ;;
*)
  printf '[e2e] ERROR: DFOPT_E2E_LEG must be modern or compat, not %s\n' "$DFOPT_E2E_LEG" >&2
  return 1 2>/dev/null || exit 1
  ;;
esac
# The parent of every leg's work dir and of the slow-to-make inputs they share.
DFOPT_E2E_ROOT=${DFOPT_E2E_ROOT:-/var/tmp/dfopt-e2e}
DFOPT_E2E_DIR=${DFOPT_E2E_DIR:-$DFOPT_E2E_ROOT/$DFOPT_E2E_LEG}
# tests/e2e in the checkout (fixtures and image recipes live below it).
DFOPT_E2E_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Debootstrap tarball, the modern leg's rootfs and other slow-to-make inputs;
# shared by the legs and reused by local reruns.
DFOPT_E2E_CACHE=${DFOPT_E2E_CACHE:-$DFOPT_E2E_ROOT/cache}
# Scratch space for rootfs trees, build contexts and exported outputs.
DFOPT_E2E_TMP=$DFOPT_E2E_DIR/tmp

# The image store of the modern leg: "classic" (overlay2, Docker's default on
# a new data root) or "containerd" (the containerd image store, which has
# merge ops, attestations, OCI and multi-platform exports). Each has a data
# root of its own. The compat leg only has the classic store.
DFOPT_E2E_STORE=${DFOPT_E2E_STORE:-classic}
if [[ $DFOPT_E2E_STORE == containerd ]]; then
  DFOPT_E2E_DATA_ROOT=$DFOPT_E2E_DIR/data-containerd
else
  DFOPT_E2E_DATA_ROOT=$DFOPT_E2E_DIR/data
fi
# Kept short on purpose: dockerd puts containerd's socket at
# EXEC_ROOT/containerd/containerd.sock and a unix socket path must stay
# under 108 bytes.
DFOPT_E2E_EXEC_ROOT=$DFOPT_E2E_DIR/x
DFOPT_E2E_SOCK=$DFOPT_E2E_DIR/d.sock
DFOPT_E2E_PIDFILE=$DFOPT_E2E_DIR/dockerd.pid
# dockerd's stdout+stderr. BuildKit's gateway frontends (# syntax=...) write
# their stderr to the daemon's stderr, so a frontend's own messages land here.
DFOPT_E2E_LOG=$DFOPT_E2E_DIR/dockerd.log
# One "label seconds" line per timed step, appended by e2e_timed.
DFOPT_E2E_TIMINGS=$DFOPT_E2E_DIR/timings.txt

# The leg's network namespace and the /30 that links it to the host (netns.sh).
# DFOPT_E2E_NETNS= (empty) runs the daemon in the host's namespace instead.
if [[ $DFOPT_E2E_LEG == modern ]]; then
  DFOPT_E2E_NETNS=${DFOPT_E2E_NETNS-dfopt-modern}
  DFOPT_E2E_NETNS_NET=${DFOPT_E2E_NETNS_NET:-10.231.62.0}
else
  DFOPT_E2E_NETNS=${DFOPT_E2E_NETNS-dfopt-compat}
  DFOPT_E2E_NETNS_NET=${DFOPT_E2E_NETNS_NET:-10.231.62.4}
fi

# The modern leg's Debian-unstable rootfs (rootfs.sh), shared by local runs.
DFOPT_E2E_ROOTFS=${DFOPT_E2E_ROOTFS:-$DFOPT_E2E_CACHE/unstable-rootfs}

# Local image names. No registry is reachable, so these are made locally.
# debian:bookworm and busybox:latest carry the official names so ordinary
# Dockerfiles work unchanged; the Python image has a name of its own because
# it is Debian's python3 on bookworm, not the official python image.
DFOPT_E2E_DEBIAN_IMAGE=debian:bookworm
DFOPT_E2E_BUSYBOX_IMAGE=busybox:latest
DFOPT_E2E_PYTHON_IMAGE=dfopt-python:bookworm
# The official name examples use; tagged onto the stand-in (same Python 3.11).
DFOPT_E2E_PYTHON_ALIAS=python:3.11-bookworm

# CI=true (or DFOPT_E2E_FRESH=1) rebuilds every image, the debootstrap
# tarball and the modern rootfs, so CI proves the whole setup path and never
# trusts a stale cache.
if [[ ${CI:-} == true ]]; then
  DFOPT_E2E_FRESH=${DFOPT_E2E_FRESH:-1}
else
  DFOPT_E2E_FRESH=${DFOPT_E2E_FRESH:-0}
fi

# The leg's client. compat: the 20.10 client from Debian's docker.io
# (/usr/local/bin/docker, first on PATH on these machines, is a newer client
# without buildx; never use it). modern: the 28.5 client of the rootfs (it
# runs on the host), with the rootfs's buildx plugin in the private client
# config (linked by rootfs.sh).
if [[ $DFOPT_E2E_LEG == modern ]]; then
  DOCKER=$DFOPT_E2E_ROOTFS/usr/bin/docker
  # The build command runner.py and friends use: `docker buildx build`.
  DFOPT_E2E_BUILD="buildx build"
else
  DOCKER=/usr/bin/docker
  DFOPT_E2E_BUILD="build"
fi
DOCKER_HOST=unix://$DFOPT_E2E_SOCK
DOCKER_BUILDKIT=1
# A private client config: nobody's ~/.docker (contexts, credential helpers)
# can change what the tests talk to.
DOCKER_CONFIG=$DFOPT_E2E_DIR/client-config
export DOCKER DOCKER_HOST DOCKER_BUILDKIT DOCKER_CONFIG
export DFOPT_E2E_LEG DFOPT_E2E_ROOT DFOPT_E2E_DIR DFOPT_E2E_SRC DFOPT_E2E_CACHE DFOPT_E2E_TMP \
  DFOPT_E2E_STORE DFOPT_E2E_DATA_ROOT DFOPT_E2E_EXEC_ROOT DFOPT_E2E_SOCK DFOPT_E2E_PIDFILE \
  DFOPT_E2E_LOG DFOPT_E2E_TIMINGS DFOPT_E2E_NETNS DFOPT_E2E_NETNS_NET DFOPT_E2E_ROOTFS \
  DFOPT_E2E_DEBIAN_IMAGE DFOPT_E2E_BUSYBOX_IMAGE DFOPT_E2E_PYTHON_IMAGE DFOPT_E2E_PYTHON_ALIAS \
  DFOPT_E2E_FRESH DFOPT_E2E_BUILD
