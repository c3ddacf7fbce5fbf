#!/usr/bin/env bash
# The daemon-side benchmarks on one leg (DFOPT_E2E_LEG=modern|compat, see
# tests/e2e/lib/env.sh), their output into DIR for bench/benchmarks.py:
#   DIR/facts.json   the daemon's versions and the frontend image's size
#   DIR/noop.txt     bench/noop-rebuild.sh
#   DIR/gains.md     bench/gains.py's tables, DIR/gains.json its figures
#   DIR/ephemeral.md bench/ephemeral.py's table (containerd image store only)
#   DFOPT_E2E_LEG=modern bash bench/leg.sh DIR [--rounds N]
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=$1
rounds=10
[[ ${2:-} == --rounds ]] && rounds=$3
# shellcheck source=bench/setup.sh
source "$here/setup.sh"
mkdir -p "$out"
python3 - "$out/facts.json" <<PY
import json, subprocess, sys
def docker(*args):
    return subprocess.run(["$DOCKER", *args], capture_output=True, text=True).stdout.strip()
facts = {
    "leg": "$DFOPT_E2E_LEG",
    "server": docker("version", "--format", "{{.Server.Version}}"),
    "client": docker("version", "--format", "{{.Client.Version}}"),
    "buildx": docker("buildx", "version") if "$DFOPT_E2E_LEG" == "modern" else "",
    "store": docker("info", "--format", "{{.Driver}}"),
    "frontend_image_bytes": int(docker("image", "inspect", "-f", "{{.Size}}", "ourorg/optimizer:latest") or 0),
}
json.dump(facts, open(sys.argv[1], "w"), indent=1)
PY
DFOPT_BENCH_SKIP_IMAGE=1 bash "$here/noop-rebuild.sh" "$rounds" >"$out/noop.txt"
python3 "$here/gains.py" --json "$out/gains.json" >"$out/gains.md"
# The ephemeral-runner sequence needs a layer-cache export, which the docker
# driver has only with the containerd image store (storage driver overlayfs).
if [[ $DFOPT_E2E_LEG == modern && $("$DOCKER" info --format '{{.Driver}}') == overlayfs ]]; then
  python3 "$here/ephemeral.py" --json "$out/ephemeral.json" >"$out/ephemeral.md"
fi
