#!/usr/bin/env python3
"""Differential suite: dfopt with its rewrites off must be Docker's own frontend.

For every case under tests/e2e/cases/ that Docker 20.10's builtin Dockerfile
frontend can build (no "expect_error", no "builtin_unsupported" in case.json;
the example cases included), that builds something (no "expect_stdout") and
that is for this leg and image store, this builds the case twice, with the same
Dockerfile file (no `# syntax=` line), context, build args, extra args and
target as runner.py uses:

  1. `dfopt-diff/<case>:builtin`  the daemon's own frontend (dockerfile.v0);
  2. `dfopt-diff/<case>:dfopt`    ours, `--build-arg BUILDKIT_SYNTAX=<frontend>
                                  --build-arg DFOPT=off` (every rewrite off).

and requires

  cache   build 2 reuses build 1's cache for every step: each step vertex of
          its `--progress=plain` output (`#N [stage i/n] INSTR ...`) is CACHED
          (FROM steps excepted: an image source is resolved, never "CACHED",
          in both frontends), both builds show the same steps, and the image
          has the very layers of build 1 (same diff ids): CACHED alone could
          be a hit on leftovers of an earlier run of ours with other keys.
  config  `docker image inspect` equal, all fields but those in IGNORED_INSPECT
          (each with its reason), and `docker history` equal but for times;
  fs      `docker create` + `docker export` of both images: the same paths,
          each with the same type, mode, uid/gid, symlink/hardlink target,
          device numbers, xattrs and, for files, size and sha256. mtimes are
          not compared: see fs_manifest.

Then the optimizer's equivalence: a third build,

  3. `dfopt-diff/<case>:on`       ours with its rewrites on (the default),

must have the config of build 2 (`Config`, `Os`, `Architecture`, ...: every
inspect field but IGNORED_INSPECT, `RootFS` and `Size`, which merged RUNs and
cache mounts change by design, and history, whose entries follow the steps)
and the same filesystem except below the cache directories the optimizer
mounted for this Dockerfile (`dfopt explain --format json` reports them, from
the one table in crates/optimizer/src/cache_dirs.rs). BuildKit leaves every
mount point in the image as a directory and creates its missing parents, so
such a directory, or a parent that holds nothing but those, may differ too.

And for the example cases, `dfopt rewrite` of the example, built by
the daemon's own frontend right after build 3, must give the very image of
build 3 (same image id: every step a cache hit, same config and history), so
teams that commit the rewritten Dockerfile get what the frontend gives.

Through buildx (the modern leg) the builds use `--progress=rawjson` (plain
progress has no vertex digests there) and `--provenance=false`, and two more
things are required: every step that reads no local source has the builtin's
very digest, and the image id is the builtin's.

Prints `same <case> (...)` or `DIFF <case>: ...` per case and a closing
"N passed, M failed"; exits 1 on any difference. A case whose difference is
intended sets "differential_known": "<why>" in case.json: it is then reported
as `known <case>` and does not fail the run; a difference of one leg only goes in
that leg's override object (`"modern": {"differential_known": "<why>"}`).

  python3 tests/e2e/differential.py [CASE...]
Needs DOCKER and DOCKER_HOST (tests/e2e/lib/env.sh), a running daemon, the
frontend image, and the fixture servers for cases that use {http}.
"""

import hashlib
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tarfile
import time

# runner.py is imported for its helpers; no __pycache__ left in the checkout.
sys.dont_write_bytecode = True
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from runner import (  # noqa: E402
    BUILD, CASES, DOCKER, LEG, BuildGate, CheckFailed, build_args, case_applies, case_inputs, docker, load_case,
    report, run_parallel,
)

# One case at a time by default: BuildKit runs a step that two builds ask for
# at once a single time and may show it in one build's progress only, and the
# comparison reads progress (steps, CACHED). DFOPT_E2E_DIFF_JOBS=2 runs two
# side by side, with every `--no-cache` build alone (a case beside it would see
# a shared step run where it expects its cache hit).
JOBS = max(1, int(os.environ.get("DFOPT_E2E_DIFF_JOBS", "1")))
GATE = BuildGate()

# DFOPT_E2E_SCRATCH lets two checkouts share one daemon without sharing scratch dirs
# (each also sets DFOPT_FRONTEND_IMAGE to a tag of its own).
WORK = os.path.join(
    os.environ.get("DFOPT_E2E_SCRATCH") or os.environ.get("DFOPT_E2E_DIR", "/var/tmp/dfopt-e2e"), "diff"
)
# How many differences of one kind are listed before "... and N more".
SHOW = 12
# buildx prints no vertex digests in its plain progress; its `rawjson` progress
# (one SolveStatus per line) has them, with each vertex's inputs. Builds through
# buildx also attach a provenance attestation by default, which records the
# invocation (build times, frontend, build args): it would make every image id
# differ, also between two builds by the same frontend, so it is turned off.
BUILDX = BUILD[:1] == ["buildx"]
# The platform of this daemon, as `dfopt rewrite --platform` takes it (cache
# mount ids name the platform, so the rewritten text matches the frontend's).
PLATFORM = os.environ.get("DFOPT_E2E_PLATFORM", "linux/amd64")
REPO = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
# The dfopt CLI (built by `cargo test`/`cargo build`); it reports the cache
# directories a Dockerfile gets mounted.
DFOPT_CLI = os.environ.get("DFOPT_CLI", os.path.join(REPO, "target", "debug", "dfopt"))

# `docker image inspect` fields that legitimately differ between two builds of
# the same Dockerfile. Everything else (Config, ContainerConfig, Architecture,
# Os, Variant, Author, Comment, Parent, Container, DockerVersion, Size,
# RootFS...) is compared as is.
IGNORED_INSPECT = {
    # The sha256 of the config JSON, which holds creation times: it differs as
    # soon as one step ran again. Its content is compared field by field here
    # (and equals when every step came from the cache).
    "Id": "hash of the config, which holds build times",
    # Both tags name the image (and when both builds give the very same image,
    # one image carries both tags, plus the runner's).
    "RepoTags": "names given by this suite",
    # Filled only by a registry push/pull; always [] here.
    "RepoDigests": "registry state, not build output",
    # Time of the last layer: differs when a step ran again.
    "Created": "build time",
    # LastTagTime: when this suite tagged the image.
    "Metadata": "tagging time",
    # The storage driver's directories of this daemon: per-layer paths.
    # Layer identity is compared through RootFS.Layers instead.
    "GraphDriver": "daemon storage paths",
    # The containerd image store's descriptor of the image (its digest is the Id
    # there); the Id is compared on its own where it must be equal.
    "Descriptor": "the image's own digest, as Id",
}
# Not ignored, on purpose: ContainerConfig (the classic builder put its
# intermediate container's Hostname and Image there; BuildKit writes an empty
# one in both frontends, so any value in it is a difference), DockerVersion
# (BuildKit leaves it empty) and Container (empty too).

# Not a step: `[internal] ...` and the loading of a named context (`--build-context`),
# `[context NAME] ...`, which both frontends run on every build.
STEP = re.compile(r"^\[(?!internal\]|context )[^\]]*\] ")
FROM_STEP = re.compile(r"^\[[^\]]*\] FROM ")
DIGEST = re.compile(r"^sha256:[0-9a-f]{64}$")


class Vertex:
    def __init__(self, name):
        self.name = name
        self.digest = None
        self.builtin_digest = None  # the builtin build's digest of a step paired by name
        self.cached = False
        self.done = False
        self.error = False
        self.inputs = []  # digests of the input vertices (rawjson logs only)

    def status(self):
        return "CACHED" if self.cached else "ERROR" if self.error else "DONE (ran)" if self.done else "no status"


def vertices(log):
    """The vertices of a build log, plain or rawjson (see `vertices_plain`,
    `vertices_rawjson`)."""
    if is_rawjson(log):
        return vertices_rawjson(log)
    return vertices_plain(log)


def is_rawjson(log):
    return any(line.startswith('{"vertexes"') for line in log.splitlines())


def vertices_rawjson(log):
    """The vertices of a `--progress=rawjson` log (one `SolveStatus` JSON per
    line, vertices repeated as their state changes), in order of first
    appearance, with digests and inputs."""
    found = {}
    for line in log.splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            status = json.loads(line)
        except ValueError:
            continue
        for raw in status.get("vertexes") or []:
            digest = raw.get("digest")
            v = found.get(digest)
            if v is None:
                v = found[digest] = Vertex(raw.get("name", ""))
                v.digest = digest
            v.inputs = raw.get("inputs") or v.inputs
            v.cached = v.cached or bool(raw.get("cached"))
            v.done = v.done or bool(raw.get("completed"))
            v.error = v.error or raw.get("error") or False  # the error text
    return list(found.values())


def reads_context(v, by_digest, seen=None):
    """Whether a vertex is or depends on a local source (`[internal] load build
    context`, a named local context): its op holds the build's session id, so its
    digest and that of everything after it change in every build."""
    seen = set() if seen is None else seen
    if v.digest in seen:
        return False
    seen.add(v.digest)
    if v.name.startswith("[internal] load build context") or v.name.startswith("[context "):
        return True
    return any(reads_context(by_digest[d], by_digest, seen) for d in v.inputs if d in by_digest)


def vertices_plain(log):
    """The vertices of a `--progress=plain` log, in order of first appearance.
    A vertex is `#N <name>`, then `#N sha256:<digest>`, then output lines
    (`#N 0.123 ...`) and a `#N CACHED` / `#N DONE 1.2s` / `#N ERROR ...` line;
    its header is printed again when other vertices' output came between."""
    found = {}
    for line in log.splitlines():
        m = re.match(r"^#(\d+) (.*)$", line)
        if not m:
            continue
        num, rest = int(m.group(1)), m.group(2)
        if num not in found:
            found[num] = Vertex(rest)
            continue
        v = found[num]
        if DIGEST.match(rest):
            v.digest = v.digest or rest
        elif rest == "CACHED":
            v.cached = True
        elif rest.startswith("DONE "):
            v.done = True
        elif rest.startswith("ERROR"):
            v.error = True
    return list(found.values())


def steps(log):
    """The Dockerfile step vertices: `[stage i/n] INSTR ...`, not `[internal] ...`
    (loading the Dockerfile, .dockerignore, metadata, context) nor the
    frontend image's own `resolve image config` / `docker-image://` vertices."""
    return [v for v in vertices(log) if STEP.match(v.name)]


def short(digest):
    return digest[7:19] if digest else "none"


def listing(items):
    items = list(items)
    shown = "; ".join(items[:SHOW])
    return shown + (f"; ... and {len(items) - SHOW} more" if len(items) > SHOW else "")


def check_cache(builtin_log, ours_log, builtin_image, ours_image):
    """Differences of cache use (list of strings), and a note on LLB digests."""
    diffs = []
    ours = steps(ours_log)
    builtin = steps(builtin_log)
    if not ours:
        diffs.append("no step vertices in our build output")
    not_cached = [v for v in ours if not FROM_STEP.match(v.name) and not v.cached]
    # The same steps in both builds. LLB vertex digests: equal digests are
    # equal ops, hence equal cache keys. They cannot all be required equal:
    # the context's local source op holds the build's session id, so every
    # step that reads the context (COPY, a bind mount) and everything after
    # it gets a new digest in every build, also between two builtin builds;
    # cache keys do not, they use the context's content. So steps are paired
    # by digest first, then by name. By digest first because an op that
    # several stages share (the same FROM in two stages) is one vertex whose
    # name is one of theirs, and which one varies between builtin builds
    # (seen: `[build 1/8] FROM python...` or `[stage-1 1/5] FROM python...`).
    left = list(builtin)
    by_name = []
    same_digest = 0
    for v in ours:
        match = next((u for u in left if u.digest and u.digest == v.digest), None)
        if match:
            left.remove(match)
            v.builtin_digest = match.digest
            same_digest += 1
        else:
            by_name.append(v)
    only_ours = []
    for v in by_name:
        match = next((u for u in left if u.name == v.name), None)
        if match:
            left.remove(match)
            v.builtin_digest = match.digest
        else:
            only_ours.append(v)
    if left or only_ours:
        diffs.append("steps differ: " + listing([f"{u.name!r} only in builtin" for u in left] +
                                                [f"{v.name!r} only in ours" for v in only_ours]))
    # With digests in both logs (rawjson), a step that reads no local source must
    # be the builtin's very op: equal digests (the daemon recomputes every op's
    # digest from its Go encoding, so equal digests are byte-equal ops).
    ours_all = {v.digest: v for v in vertices(ours_log) if v.digest}
    differing = [v for v in ours if v.digest and v.builtin_digest and v.digest != v.builtin_digest
                 and not reads_context(v, ours_all)]
    if is_rawjson(ours_log) and differing:
        diffs.append("step digests differ (no context input): " + listing(
            f"{v.name!r}: {short(v.digest)} vs builtin {short(v.builtin_digest)}" for v in differing))
    # An op without inputs (a git or http source, a file op on scratch) is solved
    # again on every build and shown as run by both frontends: with the builtin's
    # very digest it is the builtin's op, which is all the cache check asks.
    not_cached = [v for v in not_cached if v.inputs or not v.digest or v.digest != v.builtin_digest
                  or not is_rawjson(ours_log)]
    if not_cached:
        diffs.append("not CACHED: " + listing(
            f"{v.name!r}: {v.status()}, digest {short(v.digest)} vs builtin {short(v.builtin_digest)}"
            for v in not_cached))
    # CACHED alone does not prove that ours found the builtin build's records:
    # with other cache keys it can hit leftovers of an earlier run of ours.
    # The layers say which records were used: a step that ran separately
    # writes its files at another time, so its layer has another diff id.
    bl = builtin_image.get("RootFS", {}).get("Layers") or []
    ol = ours_image.get("RootFS", {}).get("Layers") or []
    if not not_cached and bl != ol:
        first = next((i for i, (x, y) in enumerate(zip(bl, ol)) if x != y), min(len(bl), len(ol)))
        diffs.append(f"every step CACHED, but the layers are not the builtin build's (first differing layer "
                     f"{first} of {len(bl)} vs {len(ol)}): ours hit other cache records, its cache keys differ")
    note = f"{same_digest}/{len(ours)} step digests equal"
    context_steps = sum(1 for v in ours if v.digest and reads_context(v, ours_all))
    if context_steps:
        note += f" ({context_steps} read the context: a new digest in every build)"
    return diffs, note


def compare_values(path, a, b, out):
    """Appends `path: builtin A vs ours B` for every leaf that differs."""
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            compare_values(f"{path}.{key}" if path else key, a.get(key), b.get(key), out)
    elif a != b:
        out.append(f"{path}: builtin {json.dumps(a)} vs ours {json.dumps(b)}")


def check_config(builtin_image, ours_image, builtin_tag, ours_tag):
    diffs = []
    a = {k: v for k, v in builtin_image.items() if k not in IGNORED_INSPECT}
    b = {k: v for k, v in ours_image.items() if k not in IGNORED_INSPECT}
    # Layer digests are the cache check's business (a step that legitimately
    # ran again gives a new diff id for the same content); the count is
    # config: it is the number of filesystem-changing steps.
    for image in (a, b):
        rootfs = dict(image.get("RootFS") or {})
        rootfs["Layers"] = len(rootfs.get("Layers") or [])
        image["RootFS"] = rootfs
    compare_values("", a, b, diffs)
    hist_a, hist_b = history(builtin_tag), history(ours_tag)
    if len(hist_a) != len(hist_b):
        diffs.append(f"history: {len(hist_a)} entries vs ours {len(hist_b)}")
    for i, (x, y) in enumerate(zip(hist_a, hist_b)):
        if x != y:
            diffs.append(f"history[{i}]: builtin {x} vs ours {y}")
    return ["config " + d for d in diffs]


def history(tag):
    """`docker history`, oldest first, without times (CreatedAt/CreatedSince are
    build times) and IDs (set only on the top entry: the image id)."""
    out = docker("history", "--no-trunc", "--format", "{{json .}}", tag, check=True).stdout
    entries = [json.loads(line) for line in out.splitlines() if line.strip()]
    return [(e.get("CreatedBy"), e.get("Comment"), e.get("Size")) for e in reversed(entries)]


def fs_manifest(tag):
    """path -> (type, mode, uid, gid, link target, devices, xattrs, size, sha256)
    of the image's filesystem as `docker export` of a created container gives it.
    mtimes are left out: a step that runs again (a legitimate cache miss) stamps
    its files with the time it ran, and the exported container adds files
    (/.dockerenv, /etc/hostname, /etc/hosts, /etc/resolv.conf, /dev, /proc,
    /sys...) stamped with its creation time; the content is what must match.
    When every step is cached the layers are the same, mtimes included (the
    cache check compares the layer diff ids). uname/gname are not compared
    either: the exporter derives them from uid/gid."""
    cid = docker("create", tag, "/nonexistent", check=True).stdout.strip()
    manifest = {}
    try:
        proc = subprocess.Popen([DOCKER, "export", cid], stdout=subprocess.PIPE)
        try:
            with tarfile.open(fileobj=proc.stdout, mode="r|") as archive:
                for m in archive:
                    digest = None
                    if m.isreg():
                        h = hashlib.sha256()
                        f = archive.extractfile(m)
                        for chunk in iter(lambda: f.read(1 << 20), b""):
                            h.update(chunk)
                        digest = h.hexdigest()
                    xattrs = tuple(sorted((k, v) for k, v in m.pax_headers.items() if k.startswith("SCHILY.xattr.")))
                    devices = (m.devmajor, m.devminor) if m.ischr() or m.isblk() else None
                    manifest[m.name.rstrip("/") or "."] = (
                        m.type.decode() if isinstance(m.type, bytes) else m.type,
                        m.mode,
                        m.uid,
                        m.gid,
                        m.linkname if (m.issym() or m.islnk()) else None,
                        devices,
                        xattrs,
                        m.size if m.isreg() else None,
                        digest,
                    )
        finally:
            proc.stdout.close()
            if proc.wait(timeout=600) != 0:
                raise CheckFailed(f"docker export {tag} failed: exit {proc.returncode}")
    finally:
        docker("rm", "-v", cid)
    return manifest


TYPES = {"0": "file", "\0": "file", "1": "hardlink", "2": "symlink", "3": "char device", "4": "block device", "5": "directory", "6": "fifo"}


def describe_entry(e):
    kind, mode, uid, gid, link, devices, xattrs, size, digest = e
    text = f"{TYPES.get(kind, kind)} {oct(stat.S_IMODE(mode))} {uid}:{gid}"
    if link is not None:
        text += f" -> {link}"
    if devices:
        text += f" dev {devices[0]},{devices[1]}"
    if size is not None:
        text += f" {size} B sha256:{digest[:12]}"
    if xattrs:
        text += f" xattrs {[k[13:] for k, _ in xattrs]}"
    return text


def check_fs(builtin_tag, ours_tag):
    a, b = fs_manifest(builtin_tag), fs_manifest(ours_tag)
    diffs = []
    only_a = sorted(set(a) - set(b))
    only_b = sorted(set(b) - set(a))
    if only_a:
        diffs.append("fs only in builtin: " + listing("/" + p for p in only_a))
    if only_b:
        diffs.append("fs only in ours: " + listing("/" + p for p in only_b))
    changed = [f"/{p}: builtin {describe_entry(a[p])} vs ours {describe_entry(b[p])}" for p in sorted(set(a) & set(b)) if a[p] != b[p]]
    if changed:
        diffs.append("fs differs: " + listing(changed))
    return diffs, len(a)


def cache_dirs(dockerfile_path, context):
    """The directories dfopt's cache-mounts pass mounts in this Dockerfile."""
    proc = subprocess.run([DFOPT_CLI, "explain", "--platform", PLATFORM, "--format", "json",
                           "--context", context, dockerfile_path],
                          capture_output=True, text=True, timeout=60)
    if proc.returncode not in (0, 1):
        raise CheckFailed(f"dfopt explain failed (exit {proc.returncode}): {proc.stderr.strip()}")
    return json.loads(proc.stdout)["summary"]["cache_dirs"]


def under(path, dirs):
    """True when the exported path (no leading /) is one of `dirs` or below one."""
    p = "/" + path
    return any(p == d or p.startswith(d.rstrip("/") + "/") for d in dirs)


def mount_parent(path, dirs):
    """True when the exported path is a parent directory of a cache dir
    (BuildKit creates those for the mount point, e.g. /root/.cache)."""
    return any(d.startswith("/" + path + "/") for d in dirs)


def check_equivalence(off_image, on_image, off_tag, on_tag, dirs, control):
    """Rewrites on vs off: same config, same filesystem outside `dirs`.

    Some steps do not produce the same bytes twice (.pyc headers hold install
    times, logs are timestamped, a C extension compiled in a random temporary
    directory records that path). Where a rewrite made such a step run again,
    its files differ without the rewrite changing anything. So when file
    contents differ, `control()` builds the rewrites-off image once more
    without the cache and returns its tag: a path whose bytes differ between
    the two rewrites-off builds is the Dockerfile's own nondeterminism, and is
    compared by type, mode and owner only."""
    diffs = []
    ignored = set(IGNORED_INSPECT) | {"RootFS", "Size", "VirtualSize"}
    a = {k: v for k, v in off_image.items() if k not in ignored}
    b = {k: v for k, v in on_image.items() if k not in ignored}
    out = []
    compare_values("", a, b, out)
    diffs += ["on/off config " + d.replace("builtin", "off").replace("ours", "on") for d in out]
    off_fs, on_fs = fs_manifest(off_tag), fs_manifest(on_tag)
    def allowed(path, fs):
        return under(path, dirs) or (mount_parent(path, dirs) and fs[path][0] == "5" and all(
            under(q, dirs) or mount_parent(q, dirs) for q in fs if q.startswith(path + "/")))
    only_off = sorted(p for p in set(off_fs) - set(on_fs) if not allowed(p, off_fs))
    only_on = sorted(p for p in set(on_fs) - set(off_fs) if not allowed(p, on_fs))
    if only_off:
        diffs.append("on/off fs only with rewrites off: " + listing("/" + p for p in only_off))
    if only_on:
        diffs.append("on/off fs only with rewrites on: " + listing("/" + p for p in only_on))
    changed = [p for p in sorted(set(off_fs) & set(on_fs)) if off_fs[p] != on_fs[p] and not allowed(p, on_fs)]
    nondeterministic = 0
    if changed and all(off_fs[p][:4] == on_fs[p][:4] for p in changed):
        control_fs = fs_manifest(control())
        varying = {p for p in changed if control_fs.get(p) != off_fs[p]
                   and control_fs.get(p, (None,) * 4)[:4] == off_fs[p][:4]}
        nondeterministic = len(varying)
        changed = [p for p in changed if p not in varying]
    if changed:
        diffs.append("on/off fs differs: " + listing(
            f"/{p}: off {describe_entry(off_fs[p])} vs on {describe_entry(on_fs[p])}" for p in changed))
    layers = [len((img.get("RootFS") or {}).get("Layers") or []) for img in (off_image, on_image)]
    note = f"rewrites on: {layers[0]} -> {layers[1]} layers, {len(dirs)} cache dirs"
    if nondeterministic:
        note += f", {nondeterministic} files differ run to run"
    return diffs, note


def check_rewrite(name, case, dockerfile_path, context, on_image):
    """Builds `dfopt rewrite` of the Dockerfile with the daemon's own frontend;
    it must be the image dfopt built (`on_image`)."""
    # The build context too: passes that read manifests (deps-first) read them there.
    proc = subprocess.run([DFOPT_CLI, "rewrite", "--platform", PLATFORM, "--context", context, dockerfile_path],
                          capture_output=True, text=True, timeout=60)
    if proc.returncode not in (0, 1):
        raise CheckFailed(f"dfopt rewrite failed (exit {proc.returncode}): {proc.stderr.strip()}")
    rewritten = os.path.join(os.path.dirname(dockerfile_path), "Dockerfile.rewrite")
    with open(rewritten, "w") as f:
        f.write(proc.stdout)
    tag = f"dfopt-diff/{name}:rewrite"
    build(name, case, "builtin", rewritten, context, tag)
    image = json.loads(docker("image", "inspect", tag, check=True).stdout)[0]
    if image["Id"] != on_image["Id"]:
        out = []
        compare_values("", {k: v for k, v in on_image.items() if k not in IGNORED_INSPECT},
                       {k: v for k, v in image.items() if k not in IGNORED_INSPECT}, out)
        return [f"rewrite: `dfopt rewrite` built by the builtin frontend is another image ({short(image['Id'])} vs "
                f"{short(on_image['Id'])}): " + listing(d.replace("builtin", "dfopt").replace("ours", "rewrite")
                                                      for d in out)], ""
    return [], "dfopt rewrite builds the same image"


def build(name, case, mode, dockerfile_path, context, tag):
    """Builds the case; returns (log, seconds). mode: "builtin", "dfopt"
    (ours, rewrites off), "control" (the same without the cache) or "on"
    (ours, rewrites on)."""
    args = build_args(name, case, "builtin" if mode == "builtin" else "buildarg")
    if BUILDX:
        args = ["--progress=rawjson" if a == "--progress=plain" else a for a in args]
        if not any(a.startswith("--provenance") or a.startswith("--attest") for a in args):
            args += ["--provenance=false"]
    if mode == "control":
        args += ["--no-cache"]
    if mode in ("dfopt", "control"):
        # Last on the command line, so it wins over a DFOPT among the case's build args.
        args += ["--build-arg", "DFOPT=off"]
    gate = GATE.alone() if "--no-cache" in args else GATE.shared()
    with gate:
        start = time.monotonic()
        built = docker(*args, "-f", dockerfile_path, "-t", tag, context)
        seconds = time.monotonic() - start
    log = built.stdout + built.stderr
    with open(os.path.join(os.path.dirname(dockerfile_path), f"{mode}.log"), "w") as f:
        f.write(log)
    if built.returncode != 0:
        tail = "\n".join(log.splitlines()[-15:])
        if is_rawjson(log):
            failed = [v for v in vertices(log) if v.error]
            others = [line for line in log.splitlines() if line.strip() and not line.startswith("{")]
            tail = "\n".join([f"{v.name}: ERROR {v.error}" for v in failed] + others[-15:])
        raise CheckFailed(f"{mode} build failed:\n{tail}")
    return log, seconds


def run_case(name):
    """Returns (differences, summary of what was compared and how long it took)."""
    case = load_case(name)
    work = os.path.join(WORK, name)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    context, dockerfile = case_inputs(name, case, work)
    # One file for both builds: the same name and bytes, so both frontends see
    # the same Dockerfile (and source map) and no `# syntax=` line.
    dockerfile_path = os.path.join(work, "Dockerfile")
    with open(dockerfile_path, "w") as f:
        f.write(dockerfile)
    tags = {mode: f"dfopt-diff/{name}:{mode}" for mode in ("builtin", "dfopt", "on")}
    builtin_log, t_builtin = build(name, case, "builtin", dockerfile_path, context, tags["builtin"])
    ours_log, t_ours = build(name, case, "dfopt", dockerfile_path, context, tags["dfopt"])
    _, t_on = build(name, case, "on", dockerfile_path, context, tags["on"])
    inspect = {m: json.loads(docker("image", "inspect", t, check=True).stdout)[0] for m, t in tags.items()}
    if "--no-cache" in case.get("extra_args", []):
        # The case asks every build to run its steps: no cache to share.
        diffs, digest_note = [], "cache not compared (--no-cache)"
    else:
        diffs, digest_note = check_cache(builtin_log, ours_log, inspect["builtin"], inspect["dfopt"])
    diffs += check_config(inspect["builtin"], inspect["dfopt"], tags["builtin"], tags["dfopt"])
    start = time.monotonic()
    fs_diffs, entries = check_fs(tags["builtin"], tags["dfopt"])
    diffs += fs_diffs
    def control():
        tag = f"dfopt-diff/{name}:control"
        build(name, case, "control", dockerfile_path, context, tag)
        return tag
    on_diffs, on_note = check_equivalence(inspect["dfopt"], inspect["on"], tags["dfopt"], tags["on"],
                                          cache_dirs(dockerfile_path, context), control)
    diffs += on_diffs
    if "example" in case:
        rewrite_diffs, rewrite_note = check_rewrite(name, case, dockerfile_path, context, inspect["on"])
        diffs += rewrite_diffs
        on_note += f"; {rewrite_note}" if rewrite_note else ""
    t_fs = time.monotonic() - start
    n_steps = len(steps(ours_log))
    same_image = "same image id" if inspect["builtin"]["Id"] == inspect["dfopt"]["Id"] else "other image id"
    if BUILDX and same_image != "same image id" and "--no-cache" not in case.get("extra_args", []):
        # Every step CACHED, same config and history: the image id must be the
        # builtin's too (no provenance attached, see BUILDX).
        diffs.append(f"image id: builtin {short(inspect['builtin']['Id'])} vs ours {short(inspect['dfopt']['Id'])}")
    summary = (f"{n_steps} steps, {digest_note}, {entries} fs entries, {same_image}; {on_note}; "
               f"builtin {t_builtin:.1f}s, off {t_ours:.1f}s, on {t_on:.1f}s, fs {t_fs:.1f}s")
    return diffs, summary


def unsupported(case):
    """Why the case is not compared here (Docker 20.10's own frontend cannot build
    it, it builds nothing, or it is not for this leg or image store), or None."""
    if "expect_error" in case:
        return "an error case"
    if "expect_stdout" in case or case.get("no_image"):
        return "a question (--call=...): nothing is built"
    if not case_applies(case):
        return "not for this leg or image store"
    return case.get("builtin_unsupported")


def compare_one(name):
    """Compares one case; returns "same", "known" or "diff"."""
    case = load_case(name)
    try:
        diffs, summary = run_case(name)
    except CheckFailed as e:
        diffs, summary = [str(e)], ""
    except Exception as e:  # a bug here or a daemon problem: report, keep going
        diffs, summary = [f"differential error: {type(e).__name__}: {e}"], ""
    if not diffs:
        report(f"same {name} ({summary})")
        return "same"
    if "differential_known" in case:
        report(f"known {name} ({case['differential_known']}): " + "\n    ".join(diffs))
        return "known"
    report(f"DIFF {name}: " + "\n    ".join(diffs) + (f"\n    ({summary})" if summary else ""))
    return "diff"


def main(argv):
    names = argv or sorted(n for n in os.listdir(CASES) if os.path.isdir(os.path.join(CASES, n)))
    chosen = []
    for name in names:
        why = unsupported(load_case(name))
        if why:
            if argv:
                print(f"skip {name}: {why}", flush=True)
            continue
        chosen.append(name)
    outcomes = dict(zip(chosen, run_parallel(chosen, compare_one, JOBS)))
    failed = [n for n in chosen if outcomes[n] == "diff"]
    known = [n for n in chosen if outcomes[n] == "known"]
    passed = len(chosen) - len(failed) - len(known)
    if failed:
        print("failed: " + ", ".join(failed))
    print(f"{passed} passed, {len(failed)} failed" + (f", {len(known)} known differences ({', '.join(known)})" if known else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
