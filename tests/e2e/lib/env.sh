# shellcheck shell=bash
# Sourced, never run: the single place that says where the private Docker
# daemon of the end-to-end tests lives and how clients reach it.
#
# Everything sits under one work dir so a run can be inspected or wiped as a
# whole. The default is on disk (/var/tmp survives reboots and is not tmpfs),
# because the data root holds the cached base images between local runs.

DFOPT_E2E_DIR=${DFOPT_E2E_DIR:-/var/tmp/dfopt-e2e}
# tests/e2e in the checkout (fixtures and image recipes live below it).
DFOPT_E2E_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Debootstrap tarball and other slow-to-make inputs; reused by local reruns.
DFOPT_E2E_CACHE=${DFOPT_E2E_CACHE:-$DFOPT_E2E_DIR/cache}
# Scratch space for rootfs trees, build contexts and exported outputs.
DFOPT_E2E_TMP=$DFOPT_E2E_DIR/tmp

DFOPT_E2E_DATA_ROOT=$DFOPT_E2E_DIR/data
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

# Local image names. No registry is reachable, so these are made locally.
# debian:bookworm and busybox:latest carry the official names so ordinary
# Dockerfiles work unchanged; the Python image has a name of its own because
# it is Debian's python3 on bookworm, not the official python image.
DFOPT_E2E_DEBIAN_IMAGE=debian:bookworm
DFOPT_E2E_BUSYBOX_IMAGE=busybox:latest
DFOPT_E2E_PYTHON_IMAGE=dfopt-python:bookworm
# The official name examples use; tagged onto the stand-in (same Python 3.11).
DFOPT_E2E_PYTHON_ALIAS=python:3.11-bookworm

# CI=true (or DFOPT_E2E_FRESH=1) rebuilds every image and the debootstrap
# tarball, so CI proves the whole setup path and never trusts a stale cache.
if [[ ${CI:-} == true ]]; then
  DFOPT_E2E_FRESH=${DFOPT_E2E_FRESH:-1}
else
  DFOPT_E2E_FRESH=${DFOPT_E2E_FRESH:-0}
fi

# The 20.10 client from Debian's docker.io. /usr/local/bin/docker (first on
# PATH on these machines) is a newer client without buildx; never use it.
DOCKER=/usr/bin/docker
DOCKER_HOST=unix://$DFOPT_E2E_SOCK
DOCKER_BUILDKIT=1
# A private client config: nobody's ~/.docker (contexts, credential helpers)
# can change what the tests talk to.
DOCKER_CONFIG=$DFOPT_E2E_DIR/client-config
export DOCKER DOCKER_HOST DOCKER_BUILDKIT DOCKER_CONFIG
export DFOPT_E2E_DIR DFOPT_E2E_SRC DFOPT_E2E_CACHE DFOPT_E2E_TMP DFOPT_E2E_DATA_ROOT \
  DFOPT_E2E_EXEC_ROOT DFOPT_E2E_SOCK DFOPT_E2E_PIDFILE DFOPT_E2E_LOG \
  DFOPT_E2E_TIMINGS DFOPT_E2E_DEBIAN_IMAGE DFOPT_E2E_BUSYBOX_IMAGE \
  DFOPT_E2E_PYTHON_IMAGE DFOPT_E2E_PYTHON_ALIAS DFOPT_E2E_FRESH
