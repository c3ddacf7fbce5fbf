#!/usr/bin/env python3
"""An ephemeral CI runner: Docker's own frontend, dfopt without seed, dfopt with
its cache-mount seed, on the sequence of tests/e2e/ephemeral.py.

For each: empty builder; first build of examples/python-app exporting the
layer cache (`--cache-to type=local,mode=max`) and, for the seeded run, dfopt's
cache mounts (`--build-arg DFOPT_CACHE=export -o type=local`); the builder is
wiped (`docker builder prune -af`, the runner is gone); one pip requirement and
one apt package are added; the rebuild restores the layer cache
(`--cache-from type=local`) and, seeded, passes `--build-context dfopt-cache=…`.
"dfopt without seed" and "dfopt with seed" share the first build and its layer
cache.

Prints a Markdown table (the rebuild on the fresh runner: wall time, apt and pip
bytes, wheels compiled, steps CACHED) and writes the figures as JSON.

  python3 bench/ephemeral.py [--json FILE]

Needs a daemon whose docker driver exports a layer cache: Docker 23+ with the
containerd image store (buildx refuses `--cache-to` with the classic store).
Wipes the daemon's whole build cache.
"""

import argparse
import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "e2e"))
import ephemeral  # noqa: E402


def human(n):
    for unit, scale in (("GB", 1e9), ("MB", 1e6), ("kB", 1e3)):
        if n >= scale:
            return f"{n / scale:.1f} {unit}"
    return f"{n:.0f} B"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()
    log = lambda line: print(line, file=sys.stderr, flush=True)
    builtin = ephemeral.run("builtin", [(False, True)], log=log)
    dfopt = ephemeral.run("dfopt", [(False, True), (True, True)], log=log)
    rows = [
        ("Docker's frontend", builtin["first"], builtin[(False, True)], None),
        ("dfopt without seed", dfopt["first"], dfopt[(False, True)], None),
        ("dfopt with seed", dfopt["first"], dfopt[(True, True)], dfopt),
    ]
    figures = {}
    lines = [
        "| rebuild on a fresh runner (+1 pip requirement, +1 apt package) | wall | of which seeding "
        "| apt downloaded | pip downloaded | wheels compiled | steps CACHED | unchanged steps CACHED |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for title, first, rebuild, seeded in rows:
        f = rebuild.figures()
        unchanged = ephemeral.unchanged_steps(first, rebuild)
        cached_unchanged = sum(1 for v in unchanged.values() if v.get("cached"))
        seeding = ephemeral.seed_seconds(rebuild) if seeded else 0.0
        f.update({"seed_seconds": seeding, "unchanged": len(unchanged), "unchanged_cached": cached_unchanged,
                  "first_seconds": round(first.seconds, 1)})
        if seeded:
            f["export_seconds"] = round(seeded["export"].seconds, 1)
            f["export_bytes"] = sum(c["size"] for c in seeded["index"]["caches"])
            f["export_caches"] = len(seeded["index"]["caches"])
        figures[title] = f
        lines.append(
            f"| {title} | {f['seconds']:.1f} s | {f'{seeding:.1f} s' if seeded else '—'} "
            f"| {human(f['apt_bytes'])} | {human(f['pip_bytes'])} | {f['wheels_built']} "
            f"| {f['cached_steps']}/{f['steps']} | {cached_unchanged}/{len(unchanged)} |")
    seeded = figures["dfopt with seed"]
    lines += [
        "",
        f"The export (`--build-arg DFOPT_CACHE=export -o type=local,dest=…`, after the first build): "
        f"{seeded['export_caches']} caches, {human(seeded['export_bytes'])}, {seeded['export_seconds']:.1f} s. "
        f"First builds: Docker's frontend {figures[rows[0][0]]['first_seconds']:.1f} s, "
        f"dfopt {seeded['first_seconds']:.1f} s.",
    ]
    print("\n".join(lines))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(figures, f, indent=1, sort_keys=True)


if __name__ == "__main__":
    main()
