#!/usr/bin/env python3
"""Writes BENCHMARKS.md from the figures of one benchmark run.

  1. conversion speed: `cargo bench -p dfopt-convert` (parse + convert +
     marshal of the two shared inputs) and `cargo bench -p dfopt-dockerfile`
     (parse + typed IR), next to the official Go converter's figures for the
     same files on this machine kind (from ../shared/bench/README.md);
  2. per daemon leg (bench/leg.sh): the no-op rebuild (bench/noop-rebuild.sh:
     built-in frontend, dfopt, and a minimal `# syntax=` frontend, side by
     side), and cold builds, warm rebuilds after dependency changes, bytes
     downloaded, image size and layers (bench/gains.py: built-in frontend vs
     dfopt).

bench/benchmarks.sh runs it all; this script's two steps:
  python3 bench/benchmarks.py conversion FIGURES/conversion.json
  python3 bench/benchmarks.py write FIGURES OUT LEG...
"""

import argparse
import datetime
import json
import os
import platform
import re
import subprocess
import sys

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
# The official Go converter (BuildKit v0.11.6 dockerfile2llb, parse + convert +
# marshal, no image resolution, one core of this machine kind): the figures of
# ../shared/bench/README.md, which also defines the inputs.
GO_REFERENCE = {"large-multistage": "9.7 ms", "fal-complete": "0.45 ms"}
# dfopt's conversion-speed targets.
TARGETS = {"large-multistage": "< 1 ms", "fal-complete": "< 50 µs"}

CRITERION_TIME = re.compile(r"^(\S.*?)\s*\n?\s*time:\s+\[(\S+ \S+) (\S+ \S+) (\S+ \S+)\]", re.M)


def run(cmd, **kw):
    print("$ " + " ".join(cmd), file=sys.stderr, flush=True)
    proc = subprocess.run(cmd, cwd=REPO, capture_output=True, text=True, **kw)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        raise SystemExit(f"failed: {' '.join(cmd)} (exit {proc.returncode})")
    return proc.stdout


def criterion(package, bench):
    """{bench name: median time text} from `cargo bench -p PACKAGE --bench BENCH`."""
    out = run(["cargo", "bench", "--locked", "-q", "-p", package, "--bench", bench, "--", "--noplot"])
    return {name.strip(): mid for name, _, mid, _ in CRITERION_TIME.findall(out)}


def machine():
    cpu = "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kb = int(f.readline().split()[1])
    rustc = subprocess.run(["rustc", "--version"], capture_output=True, text=True).stdout.strip()
    return (f"{cpu}, {os.cpu_count()} cores, {mem_kb / 1024 / 1024:.0f} GiB RAM, Linux {platform.release()}; "
            f"{rustc}; the Debian package mirror, PyPI and the npm registry through this machine's proxy")


def leg_title(facts):
    """`Docker 28.5.2+dfsg4 (BuildKit v0.25), buildx 0.29.1, overlay2`."""
    buildkit = {"modern": "BuildKit v0.25", "compat": "BuildKit v0.8"}.get(facts["leg"], "BuildKit")
    buildx = facts["buildx"].split()
    with_buildx = f", buildx {buildx[1]}" if len(buildx) > 1 else ""
    return f"Docker {facts['server']} ({buildkit}){with_buildx}, {facts['store']}"


def conversion_table(convert, parse):
    lines = ["| input | dfopt parse + convert + marshal | target | official Go converter | dfopt parse + typed IR only |",
             "|---|---:|---:|---:|---:|"]
    for key, label in (("large-multistage", "large-multistage.Dockerfile (457 lines, 12 stages)"),
                       ("fal-complete", "fal-complete.Dockerfile (20 lines)")):
        ours = next((v for k, v in convert.items() if key in k), "n/a")
        ir = next((v for k, v in parse.items() if key in k and k.startswith("parse+ir")), "n/a")
        lines.append(f"| {label} | {ours} | {TARGETS[key]} | {GO_REFERENCE[key]} | {ir} |")
    return "\n".join(lines)


def goals(figures):
    """The issue's goals, checked against this run's figures, one row per
    scenario: warm rebuilds after a dependency change download >= 90% fewer
    bytes, are never slower, the image is never larger, has no more layers."""
    rows = ["| example | warm rebuilds: bytes saved | warm rebuilds: speed-up (wall) | image size dfopt vs builtin "
            "| layers dfopt vs builtin |", "|---|---|---|---|---|"]
    for name, result in figures.items():
        warm = [(b, d) for b, d in zip(result["builtin"], result["dfopt"])
                if b["step"] not in ("cold build", "no-op rebuild")]
        saved = []
        for b, d in warm:
            if b["downloaded_bytes"] > 0:
                saved.append(f"{b['step']}: {100 * (1 - d['downloaded_bytes'] / b['downloaded_bytes']):.0f}%")
            else:
                saved.append(f"{b['step']}: no apt/pip download")
        speed = [f"{b['step']}: {b['seconds'] / d['seconds']:.1f}x" for b, d in warm if d["seconds"] > 0]
        last_b, last_d = result["builtin"][-1], result["dfopt"][-1]
        size = f"{last_d['image_bytes'] / 1e6:.1f} MB vs {last_b['image_bytes'] / 1e6:.1f} MB"
        layers = f"{last_d['layers']} vs {last_b['layers']}"
        rows.append(f"| {name} | {'; '.join(saved)} | {'; '.join(speed)} | {size} | {layers} |")
    return "\n".join(rows)


LEG_NAMES = {"modern": "Modern leg", "compat": "Compatibility leg"}

EPHEMERAL_INTRO = """
### Ephemeral CI runner (`bench/ephemeral.py`, examples/python-app)

Each rebuild runs on a wiped builder (`docker builder prune -af`) with the layer cache of the first build restored
(`--cache-from type=local`), after adding one pip requirement and one apt package; "dfopt with seed" also passes
the cache mounts dfopt exported after the first build (`--build-context dfopt-cache=…`). Unchanged steps are the
steps with the first build's vertex.

"""


def leg_section(figures_dir, leg):
    """One leg's part of the document: no-op rebuild, example builds, goals."""
    base = os.path.join(figures_dir, leg)
    with open(os.path.join(base, "facts.json")) as f:
        facts = json.load(f)
    with open(os.path.join(base, "noop.txt")) as f:
        noop = f.read().strip()
    with open(os.path.join(base, "gains.md")) as f:
        gains = f.read().strip()
    with open(os.path.join(base, "gains.json")) as f:
        figures = json.load(f)
    image_mb = facts["frontend_image_bytes"] / 1e6
    ephemeral = ""
    if os.path.exists(os.path.join(base, "ephemeral.md")):
        with open(os.path.join(base, "ephemeral.md")) as f:
            ephemeral = EPHEMERAL_INTRO + f.read().strip() + "\n"
    return f"""## {LEG_NAMES.get(leg, leg)}: {leg_title(facts)}

The dfopt frontend image in this daemon: {image_mb:.1f} MB.

### No-op rebuild (`bench/noop-rebuild.sh`, examples/c-service, everything cached)

```
{noop}
```

Every `# syntax=` frontend pays for BuildKit starting its container; the "minimal `# syntax` floor" row is a frontend
that does nothing but return, so the difference between it and dfopt is dfopt's own work, whose phases dfopt logs.

### Builds of the examples (`bench/gains.py`)

{gains.replace("### ", "#### ")}

#### Against the goals (warm rebuilds are the steps after the no-op rebuild)

{goals(figures)}
{ephemeral}"""


def conversion(out):
    """Criterion's medians of both conversion benchmarks, as JSON in `out`."""
    figures = {"convert": criterion("dfopt-convert", "convert"), "parse": criterion("dfopt-dockerfile", "parse")}
    with open(out, "w") as f:
        json.dump(figures, f, indent=1)


def write(figures_dir, out, legs):
    with open(os.path.join(figures_dir, "conversion.json")) as f:
        conv = json.load(f)
    today = datetime.date.today().isoformat()
    sections = "\n".join(leg_section(figures_dir, leg) for leg in legs)
    doc = f"""# Benchmarks

Produced by `bash bench/benchmarks.sh` on {today}; every figure below is from that one run, dfopt and each daemon's own
Dockerfile frontend side by side on the same daemon. Re-run it to refresh this file.

Machine: {machine()}.

## Conversion speed (parse + convert + marshal, criterion medians)

{conversion_table(conv["convert"], conv["parse"])}

The Go figures are the official frontend's converter on this machine kind (`../shared/bench/README.md`); the inputs
are copied into `crates/convert/benches/`. Base images are answered from a fixed config, as a daemon would.

For each example and each frontend below: the build cache is emptied (cache mounts included), then a cold build, a
no-op rebuild, and warm rebuilds after each edit in turn. "downloaded" is what apt (`Fetched … B`) and pip
(`Downloading … (N kB)`) report (npm and Go do not print what they download, so their steps show 0 B: compare
their wall times); "wheels built" counts pip compiling source distributions. dfopt is used through
`--build-arg BUILDKIT_SYNTAX=ourorg/optimizer`, the Dockerfiles are unchanged.

{sections}
Notes:
- pip's HTTP cache keeps a downloaded file only when the server allows it; PyPI does (`Cache-Control:
  max-age=365000000, immutable`), but this machine's package proxy strips Cache-Control, ETag and Last-Modified
  (`curl -sI` any files.pythonhosted.org URL), so here pip downloads wheels again even from a warm cache; what dfopt's
  pip cache saves here is the wheels pip *builds* (psycopg2 is a source distribution). On pypi.org the wheel
  downloads are cached too. apt's archives do not depend on HTTP headers: a warm apt step downloads only the
  release files of the lists.
- Raw figures: `target/bench/<leg>/gains.json`.
"""
    with open(out, "w") as f:
        f.write(doc)
    print(f"wrote {out}", file=sys.stderr)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    conv = sub.add_parser("conversion", help="run the criterion benchmarks, write their medians as JSON")
    conv.add_argument("out")
    wr = sub.add_parser("write", help="write BENCHMARKS.md from the figures of a run")
    wr.add_argument("figures")
    wr.add_argument("out")
    wr.add_argument("legs", nargs="+")
    args = parser.parse_args()
    if args.command == "conversion":
        conversion(args.out)
    else:
        write(args.figures, args.out, args.legs)


if __name__ == "__main__":
    main()
