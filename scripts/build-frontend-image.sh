#!/usr/bin/env bash
# Builds the dfopt frontend image with no registry: compiles a static
# dfopt-frontend on this machine, then packages it with Dockerfile.frontend's
# `prebuilt` stage (FROM scratch, so nothing is pulled).
#   scripts/build-frontend-image.sh [TAG]      (default ourorg/optimizer:latest)
# Uses $DOCKER (default: /usr/bin/docker if present, else docker) and whatever
# DOCKER_HOST is set. Prints the image id.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
tag=${1:-ourorg/optimizer:latest}
docker_cli=${DOCKER:-$( [[ -x /usr/bin/docker ]] && echo /usr/bin/docker || echo docker )}
host=$(rustc -vV | sed -n 's/^host: //p')

# A static binary (the image has no libc), built with the size-oriented
# `frontend` profile (Cargo.toml): BuildKit loads the image for every build.
RUSTFLAGS="-C target-feature=+crt-static" cargo build --profile frontend --locked -p dfopt-frontend \
  --target "$host" --manifest-path "$repo/Cargo.toml" >&2
binary=$repo/target/$host/frontend/dfopt-frontend
# ldd prints "name => path" lines only for a dynamically linked binary.
if ldd "$binary" 2>&1 | grep -q '=>'; then
  echo "error: $binary is dynamically linked; the scratch image needs a static binary" >&2
  exit 1
fi

context=$(mktemp -d)
trap 'rm -rf "$context"' EXIT
# The image gets a copy without symbols.
strip -o "$context/dfopt-frontend" "$binary"
DOCKER_BUILDKIT=1 "$docker_cli" build -q -f "$repo/Dockerfile.frontend" --target prebuilt -t "$tag" "$context"
