#!/usr/bin/env python3
"""An ephemeral CI runner, simulated: what a build on a fresh runner gets back
from the layer cache and from dfopt's cache-mount export.

The sequence (one "runner" per rebuild: the builder is wiped in between):

  1. empty the builder (`docker builder prune -af`);
  2. build examples/python-app, exporting the layer cache
     (`--cache-to type=local,dest=layers,mode=max`), and, for dfopt, export its
     cache mounts (`--build-arg DFOPT_CACHE=export -o type=local,dest=dfopt-cache`);
  3. wipe the builder (the runner is gone);
  4. add one pip requirement and one apt package;
  5. rebuild with the layer cache restored (`--cache-from type=local,src=layers`)
     and, seeded, `--build-context dfopt-cache=dfopt-cache`.

Step 5 runs once without and once with the seed from the same layer cache
(both after a wipe), so the two differ only in the seed; the e2e test also
rebuilds the unedited example both ways, where every step must be CACHED
(a seed that changed any cache key would show there). Every build uses
`--progress=rawjson`, so each step's vertex digest, CACHED state and logs are
read exactly: apt's `Fetched N kB`, pip's `Building wheel for`, and which steps
the edit left unchanged (their digest is the first build's).

As the e2e test (the modern leg, containerd image store: the docker driver
exports a layer cache only there), it asserts what the cache-transfer work
promises: with the seed, apt downloads at most 10% of the bytes and pip builds
no wheel; every unchanged step is CACHED in both rebuilds; the build steps are
the same vertices with and without the seed (the seed changed no key); the
export lists the apt and pip caches and the seed filled them.

  python3 tests/e2e/ephemeral.py            # the e2e check, prints N passed, M failed
  bench/ephemeral.py imports run() for BENCHMARKS.md (builtin, dfopt, dfopt+seed)

Wipes the whole build cache of the daemon it talks to (DOCKER, DOCKER_HOST).
"""

import base64
import json
import os
import re
import shutil
import subprocess
import sys
import time

REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
DOCKER = os.environ.get("DOCKER", "/usr/bin/docker")
BUILD = os.environ.get("DFOPT_E2E_BUILD", "buildx build").split()
FRONTEND = os.environ.get("DFOPT_FRONTEND_IMAGE", "ourorg/optimizer")
# DFOPT_E2E_SCRATCH lets two checkouts share one daemon without sharing scratch dirs
# (each also sets DFOPT_FRONTEND_IMAGE to a tag of its own).
WORK = os.path.join(
    os.environ.get("DFOPT_E2E_SCRATCH") or os.environ.get("DFOPT_E2E_DIR", "/var/tmp/dfopt-e2e"), "ephemeral"
)
EXAMPLE = "examples/python-app"
PIP_LINE = "idna==3.6\n"
APT_OLD, APT_NEW = "python3-dev libpq-dev", "python3-dev libpq-dev libffi-dev"

UNITS = {"B": 1, "kB": 1e3, "KB": 1e3, "MB": 1e6, "GB": 1e9}
APT_FETCHED = re.compile(r"Fetched ([\d.,]+) ([kKMG]?B) in ")
PIP_DOWNLOADING = re.compile(r"Downloading (\S+) \(([\d.,]+) ([kKMG]?B)\)")
PIP_BUILDING = re.compile(r"Building wheel for (\S+)")
# Vertices that are not steps of the Dockerfile.
# Every build of one run names its cache mounts in a namespace of its own
# (BuildKit's BUILDKIT_CACHE_MOUNT_NS, which dfopt applies to its ids too), so
# that other builds on the same daemon cannot fill or use them meanwhile.
NAMESPACE = f"ephemeral-{os.getpid()}-{int(time.time())}"
NOT_A_STEP = re.compile(r"^\[(internal|dfopt cache|context [^\]]*)\]"
                        r"|^(resolve image config|docker-image://|exporting|naming|unpacking|importing cache)")


def docker(*args, timeout=1800):
    return subprocess.run([DOCKER, *args], capture_output=True, text=True, timeout=timeout)


class Build:
    """One build's outcome, read from its rawjson progress."""

    def __init__(self, title, rawjson, seconds, returncode):
        self.title = title
        self.seconds = seconds
        self.returncode = returncode
        self.vertices = {}  # digest -> {"name", "cached", "started", "completed", "error"}
        self.logs = {}  # digest -> text
        self.warnings = []
        for line in rawjson.splitlines():
            try:
                status = json.loads(line)
            except ValueError:
                continue
            for v in status.get("vertexes") or []:
                self.vertices.setdefault(v["digest"], {}).update(v)
            for entry in status.get("logs") or []:
                text = base64.b64decode(entry.get("data") or "").decode(errors="replace")
                self.logs[entry["vertex"]] = self.logs.get(entry["vertex"], "") + text
            for w in status.get("warnings") or []:
                self.warnings.append(base64.b64decode(w.get("short") or "").decode(errors="replace"))

    def text(self):
        return "\n".join(self.logs.values())

    def steps(self):
        """{digest: vertex} of the Dockerfile's steps."""
        return {d: v for d, v in self.vertices.items() if not NOT_A_STEP.search(v.get("name", ""))}

    def named(self, prefix):
        return {d: v for d, v in self.vertices.items() if v.get("name", "").startswith(prefix)}

    def figures(self):
        text = self.text()
        size = lambda n, u: float(n.replace(",", "")) * UNITS[u]
        return {
            "seconds": round(self.seconds, 1),
            "apt_bytes": sum(size(n, u) for n, u in APT_FETCHED.findall(text)),
            "pip_bytes": sum(size(n, u) for _, n, u in PIP_DOWNLOADING.findall(text)),
            "wheels_built": len(PIP_BUILDING.findall(text)),
            "steps": len(self.steps()),
            "cached_steps": sum(1 for v in self.steps().values() if v.get("cached")),
        }


def build(title, context, frontend, log_dir, extra=(), tag=None):
    args = [*BUILD, "--progress=rawjson", "--build-arg", f"BUILDKIT_CACHE_MOUNT_NS={NAMESPACE}", *extra]
    if frontend == "dfopt":
        args += ["--build-arg", f"BUILDKIT_SYNTAX={FRONTEND}"]
    if tag:
        args += ["-t", tag]
    start = time.monotonic()
    proc = docker(*args, context)
    result = Build(title, proc.stderr, time.monotonic() - start, proc.returncode)
    with open(os.path.join(log_dir, re.sub(r"\W+", "-", title) + ".rawjson"), "w") as f:
        f.write(proc.stderr)
    if proc.returncode != 0:
        errors = [v.get("error") for v in result.vertices.values() if v.get("error")]
        tail = "\n".join(proc.stderr.splitlines()[-5:])
        raise SystemExit(f"{title} failed: {errors or tail}")
    return result


def wipe():
    """The runner is gone: nothing of the builder survives."""
    pruned = docker("builder", "prune", "-af")
    if pruned.returncode != 0:
        raise SystemExit(f"docker builder prune failed: {pruned.stderr}")


def edit(context):
    with open(os.path.join(context, "requirements.txt"), "a") as f:
        f.write(PIP_LINE)
    path = os.path.join(context, "Dockerfile")
    with open(path) as f:
        text = f.read()
    if text.count(APT_OLD) != 1:
        raise SystemExit(f"{path}: {APT_OLD!r} should occur once")
    with open(path, "w") as f:
        f.write(text.replace(APT_OLD, APT_NEW))


def run(frontend, variants, work=WORK, log=print):
    """The sequence for one frontend; `variants` lists the rebuilds as
    (seeded, edited) pairs (seeded: with the dfopt seed besides the layer cache;
    edited: after the edit). Returns {"first": Build, "export": Build or None,
    "index": dict or None, (seeded, edited): Build}."""
    root = os.path.join(work, frontend)
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    layers = os.path.join(root, "layers")
    exported = os.path.join(root, "dfopt-cache")
    original = os.path.join(root, "original")
    shutil.copytree(os.path.join(REPO, EXAMPLE), original)
    out = {"export": None, "index": None}
    wipe()
    log(f"  [{frontend}] first build (cache-to {layers})")
    out["first"] = build(f"{frontend} first", original, frontend, root,
                         ["--cache-to", f"type=local,dest={layers},mode=max"], tag=f"dfopt-ephemeral/{frontend}")
    if any(seeded for seeded, _ in variants):
        log(f"  [{frontend}] export of the cache mounts to {exported}")
        out["export"] = build(f"{frontend} export", original, frontend, root,
                              ["--build-arg", "DFOPT_CACHE=export", "-o", f"type=local,dest={exported}"])
        with open(os.path.join(exported, "index.json")) as f:
            out["index"] = json.load(f)
    for seeded, edited in variants:
        name = ("seeded" if seeded else "unseeded") + ("-edited" if edited else "-unedited")
        context = os.path.join(root, name)
        shutil.rmtree(context, ignore_errors=True)
        shutil.copytree(original, context)
        if edited:
            edit(context)
        wipe()
        extra = ["--cache-from", f"type=local,src={layers}"]
        if seeded:
            extra += ["--build-context", f"dfopt-cache={exported}"]
        title = f"{frontend} rebuild {name}"
        log(f"  [{frontend}] {title}")
        out[(seeded, edited)] = build(title, context, frontend, root, extra, tag=f"dfopt-ephemeral/{frontend}")
    return out


def unchanged_steps(first, rebuild):
    """Steps of `rebuild` the edit left unchanged: the same vertex as in the first
    build (steps after a COPY from the context get new digests anyway, as the
    context's source carries the session). FROM is left out: an image in the
    image store is not a build-cache hit."""
    before = set(first.steps())
    return {d: v for d, v in rebuild.steps().items()
            if d in before and " FROM " not in v.get("name", "")}


def seed_seconds(build):
    """Wall time of the seed execs (they run concurrently)."""
    from datetime import datetime
    times = []
    for v in build.named("[dfopt cache] seed ").values():
        if v.get("started") and v.get("completed"):
            times.append((v["started"], v["completed"]))
    if not times:
        return 0.0
    parse = lambda t: datetime.fromisoformat(re.sub(r"(\.\d{6})\d*", r"\1", t).replace("Z", "+00:00"))
    return round((max(parse(c) for _, c in times) - min(parse(s) for s, _ in times)).total_seconds(), 1)


def step_key(digest, vertex):
    """How a step is matched across builds: by name, but a FROM by its digest (on a
    shared daemon the image's vertex may carry the name another build gave it)."""
    name = vertex.get("name", "")
    return f"FROM {digest}" if " FROM " in name else name


def same_keys(first, plain, seeded, title, failures):
    """The seed changed no key: the same steps, the same CACHED states, and the
    same vertex for every step that has the first build's vertex."""
    plain_steps = {step_key(d, v): (d, bool(v.get("cached"))) for d, v in plain.steps().items()}
    seeded_steps = {step_key(d, v): (d, bool(v.get("cached"))) for d, v in seeded.steps().items()}
    if set(plain_steps) != set(seeded_steps):
        failures.append(f"{title}: different steps with and without seed: "
                        f"{sorted(set(plain_steps) ^ set(seeded_steps))}")
    for name, (digest, cached) in plain_steps.items():
        other = seeded_steps.get(name)
        # A FROM shows CACHED or not by whether the image was unpacked already:
        # not a cache key (its vertex is compared below).
        if other and other[1] != cached and not name.startswith("FROM "):
            failures.append(f"{title}: {name}: CACHED {cached} without seed, {other[1]} with it")
        if other and digest in first.steps() and other[0] != digest:
            failures.append(f"{title}: {name}: another vertex with the seed ({other[0]} vs {digest})")


def check(out):
    """The e2e assertions; returns a list of failures."""
    failures = []
    first, plain, seeded = out["first"], out[(False, True)], out[(True, True)]
    p, s = plain.figures(), seeded.figures()
    if p["apt_bytes"] <= 0:
        failures.append("the unseeded rebuild downloaded no apt package: the sequence measures nothing")
    elif s["apt_bytes"] > 0.10 * p["apt_bytes"]:
        failures.append(f"seeded apt bytes {s['apt_bytes']:.0f} > 10% of unseeded {p['apt_bytes']:.0f}")
    if p["wheels_built"] < 1:
        failures.append("the unseeded rebuild compiled no wheel: the sequence measures nothing")
    if s["wheels_built"] != 0:
        failures.append(f"the seeded rebuild compiled {s['wheels_built']} wheels")
    for (seeded_variant, edited), rebuild in ((k, v) for k, v in out.items() if isinstance(k, tuple)):
        title = ("seeded" if seeded_variant else "unseeded") + (" edited" if edited else " unedited")
        same = unchanged_steps(first, rebuild)
        if not same:
            failures.append(f"{title}: no unchanged step found")
        missed = [v["name"] for v in same.values() if not v.get("cached")]
        if missed:
            failures.append(f"{title}: unchanged steps not CACHED: {missed}")
        if not edited:
            # Nothing changed: every step but FROM is CACHED.
            ran = [v["name"] for v in rebuild.steps().values()
                   if not v.get("cached") and " FROM " not in v.get("name", "")]
            if ran:
                failures.append(f"{title}: steps not CACHED: {ran}")
    same_keys(first, plain, seeded, "edited", failures)
    if (False, False) in out and (True, False) in out:
        same_keys(first, out[(False, False)], out[(True, False)], "unedited", failures)
    labels = [c["id"] for c in (out["index"] or {}).get("caches", []) if not c.get("skipped")]
    for wanted in ("dfopt-apt-cache-", "dfopt-apt-lists-", "dfopt-pip-"):
        if not any(wanted in label for label in labels):
            failures.append(f"the export has no {wanted}* cache: {labels}")
    seeds = seeded.named("[dfopt cache] seed ")
    reports = "\n".join(seeded.logs.get(d, "") for d in seeds)
    if reports.count(": seeded ") < 3:
        failures.append(f"the seed filled fewer than 3 caches:\n{reports}")
    cache_warnings = [w for w in seeded.warnings if w.startswith("dfopt cache:")]
    if cache_warnings:
        failures.append(f"cache warnings: {cache_warnings}")
    return failures


def summary(out):
    lines = []
    if out.get("index"):
        caches = out["index"]["caches"]
        total = sum(c["size"] for c in caches)
        lines.append(f"    export: {len(caches)} caches, {total / 1e6:.1f} MB, {out['export'].seconds:.1f} s")
    for key, rebuild in ((k, v) for k, v in out.items() if isinstance(k, tuple)):
        f = rebuild.figures()
        title = ("with seed" if key[0] else "without seed") + (", edited" if key[1] else ", unedited")
        seed = f", seeding {seed_seconds(rebuild)} s" if key[0] else ""
        lines.append(f"    rebuild {title}: {f['seconds']} s{seed}, apt {f['apt_bytes'] / 1e6:.2f} MB, "
                     f"pip {f['pip_bytes'] / 1e6:.1f} MB, {f['wheels_built']} wheels built, "
                     f"{f['cached_steps']}/{f['steps']} steps CACHED, "
                     f"{len(unchanged_steps(out['first'], rebuild))} unchanged (all CACHED: "
                     f"{all(v.get('cached') for v in unchanged_steps(out['first'], rebuild).values())})")
    return "\n".join(lines)


def edge_cases(work=WORK):
    """On the export of run(): a size cap leaves caches out whole (with a warning),
    and a corrupt archive is a warning while the build goes on and the other
    caches are seeded. Returns a list of failures."""
    failures = []
    root = os.path.join(work, "dfopt")
    original, layers = os.path.join(root, "original"), os.path.join(root, "layers")
    capped = os.path.join(root, "capped")
    shutil.rmtree(capped, ignore_errors=True)
    export = build("dfopt export capped", original, "dfopt", root,
                   ["--build-arg", "DFOPT_CACHE=export,max-size=2m", "-o", f"type=local,dest={capped}"])
    with open(os.path.join(capped, "index.json")) as f:
        index = json.load(f)
    total = sum(c["size"] for c in index["caches"])
    skipped = [c["id"] for c in index["caches"] if c.get("skipped")]
    if total > 2 << 20 or not skipped:
        failures.append(f"max-size=2m: {total} bytes exported, skipped {skipped}")
    if not any("not exported" in w for w in export.warnings):
        failures.append(f"max-size=2m: no warning about the caches left out: {export.warnings}")
    corrupt = os.path.join(root, "corrupt")
    shutil.rmtree(corrupt, ignore_errors=True)
    shutil.copytree(os.path.join(root, "dfopt-cache"), corrupt)
    with open(os.path.join(corrupt, "index.json")) as f:
        entries = [c for c in json.load(f)["caches"] if not c.get("skipped")]
    victim = next(c for c in entries if "apt-cache" in c["id"])
    path = os.path.join(corrupt, victim["dir"], "cache.tar")
    with open(path, "r+b") as f:
        f.seek(victim["size"] // 2)
        byte = f.read(1)
        f.seek(victim["size"] // 2)
        f.write(bytes([byte[0] ^ 0xFF]))
    wipe()
    seeded = build("dfopt rebuild corrupt seed", original, "dfopt", root,
                   ["--cache-from", f"type=local,src={layers}", "--build-context", f"dfopt-cache={corrupt}"])
    reports = {v["name"]: seeded.logs.get(d, "") for d, v in seeded.named("[dfopt cache] seed ").items()}
    if not any("apt-cache" in name and "corrupt seed ignored" in text for name, text in reports.items()):
        failures.append(f"corrupt archive not reported by its seed step: {reports}")
    if sum(": seeded " in text for text in reports.values()) < len(entries) - 1:
        failures.append(f"the intact caches were not all seeded: {reports}")
    if not any("corrupt seed ignored" in w for w in seeded.warnings):
        failures.append(f"no warning for the corrupt archive: {seeded.warnings}")
    return failures


def main():
    out = run("dfopt", [(False, True), (True, True), (False, False), (True, False)])
    print(summary(out), flush=True)
    failures = check(out) + edge_cases()
    for failure in failures:
        print(f"FAIL ephemeral: {failure}", flush=True)
    if not failures:
        print("ok   ephemeral (export, wipe, --cache-from, seed)", flush=True)
    print(f"{0 if failures else 1} passed, {1 if failures else 0} failed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
