#!/usr/bin/env python3
"""Concurrency of dfopt's injected caches.

Empties the daemon's cache mounts, then starts four
builds of tests/e2e/concurrency/Dockerfile at once through dfopt, each with
another `N`, so all four run `apt-get update/install` and `pip install` at the
same time over the same injected cache mounts (apt: `sharing=locked`; pip:
shared, pip writes its cache atomically). Requires:

  - every build succeeds, and no output line reports a lock or a corrupt
    cache (apt "Could not get lock", "Hash Sum mismatch", pip "BadZipFile",
    "Exception", dpkg errors);
  - a fifth build afterwards (another N) finds what the four put in the
    caches: apt downloads no package (`Get:` lines only for the lists'
    InRelease/Packages files, "Need to get 0 B") and pip takes docopt (an
    sdist) as the wheel one of the four built ("Using cached docopt-…whl",
    no "Building wheel").

Why not "Using cached" for the wheels pip downloads: pip's HTTP cache keeps a
download only when the server allows it (PyPI sends `Cache-Control: max-age=
365000000, immutable`); the package proxy of these machines strips
Cache-Control, ETag and Last-Modified (see `curl -sI` on any
files.pythonhosted.org URL), so pip must download those again here.

  python3 tests/e2e/concurrency.py
Needs DOCKER/DOCKER_HOST (tests/e2e/lib/env.sh), a running daemon, the
frontend image and the python:3.11-bookworm stand-in.
"""

import os
import re
import subprocess
import sys
import tempfile
import threading
import time

sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from runner import BUILD, DOCKER, FRONTEND  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
CONTEXT = os.path.join(HERE, "concurrency")
BUILDS = 4
TROUBLE = re.compile(r"Could not get lock|Unable to lock|Hash Sum mismatch|BadZipFile|Traceback|"
                     r"Exception|dpkg: error|corrupt", re.IGNORECASE)
# A `Get:` line for a .deb, e.g. "Get:7 http://deb.debian.org/debian
# bookworm/main amd64 file amd64 1:5.44-3 [42.5 kB]"; lists are "... InRelease",
# "... amd64 Packages [8790 kB]", "... Translation-en".
GET = re.compile(r"\bGet:\d+ ")
LIST_FILE = re.compile(r"\b(InRelease|Release|Release\.gpg|Packages|Sources|Translation-\w+)\b")


# A fresh N per run: a daemon kept from an earlier run (local reruns) still
# holds the layers of the last run's N values, which would turn every step into
# a cache hit and test nothing.
RUN_ID = str(time.time_ns())


def build(n, out):
    start = time.monotonic()
    proc = subprocess.run(
        [DOCKER, *BUILD, "--progress=plain", "--build-arg", f"BUILDKIT_SYNTAX={FRONTEND}",
         "--build-arg", f"N={RUN_ID}-{n}", "-t", f"dfopt-e2e/concurrency:{n}", CONTEXT],
        capture_output=True, text=True, timeout=900)
    out[n] = (proc.returncode, proc.stdout + proc.stderr, time.monotonic() - start)


def problems(n, result):
    rc, log, _ = result
    found = []
    if rc != 0:
        found.append(f"build {n} failed (exit {rc}):\n" + "\n".join(log.splitlines()[-15:]))
    found += [f"build {n}: {line.strip()}" for line in log.splitlines() if TROUBLE.search(line)]
    if "imports ok" not in log:
        found.append(f"build {n}: the final check did not print 'imports ok'")
    return found


def main():
    # Only the cache mounts: pruning everything races image pulls on Docker 20.10.
    subprocess.run([DOCKER, "builder", "prune", "-af", "--filter", "type=exec.cachemount"], check=True, capture_output=True)
    results = {}
    threads = [threading.Thread(target=build, args=(n, results)) for n in range(1, BUILDS + 1)]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.monotonic() - start
    failures = [p for n in sorted(results) for p in problems(n, results[n])]
    for n in sorted(results):
        print(f"build {n}: exit {results[n][0]} in {results[n][2]:.1f}s", flush=True)
    print(f"{BUILDS} concurrent builds: {wall:.1f}s wall", flush=True)

    build(BUILDS + 1, results)
    rc, log, seconds = results[BUILDS + 1]
    failures += problems(BUILDS + 1, results[BUILDS + 1])
    debs = [line.strip() for line in log.splitlines() if GET.search(line) and not LIST_FILE.search(line)]
    if debs:
        failures.append("the build after them downloaded packages again: " + "; ".join(debs[:5]))
    if "Need to get 0 B" not in log:
        failures.append("apt after them did not find every package in the cache (no 'Need to get 0 B')")
    cached = re.findall(r"Using cached (\S+)", log)
    built = re.findall(r"Building wheel for (\S+)", log)
    if not any(c.startswith("docopt-0.6.2-") and c.endswith(".whl") for c in cached) or built:
        failures.append(f"pip after them: using cached {cached}, building wheels {built}")
    print(f"build {BUILDS + 1} (after): exit {rc} in {seconds:.1f}s, apt packages fetched {len(debs)}, "
          f"pip cached {cached}, wheels built {len(built)}", flush=True)
    for f in failures:
        print("FAIL " + f, flush=True)
    print("concurrency: " + ("failed" if failures else "ok"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
