#!/usr/bin/env python3
"""End-to-end cases against the real daemon: build each case with the dfopt
frontend and check the exported filesystem, the image config and errors.

A case is a directory under tests/e2e/cases/<name>/ holding
  Dockerfile     the Dockerfile, without a `# syntax=` line (the runner adds it);
                 or "example": "<name>" in case.json builds examples/<name> instead
  context/       optional build context (else an empty directory)
  case.json      optional: {"build_args": {..}, "target": "..", "modes": [..],
                 "expect_error": "substring", "run": {"args": [..], "stdout": ".."}}
  check.py       optional: def check(t): ... using the Target helpers below
  ("builtin_error": the substring Docker 20.10's own frontend reports for an
  error case: with it the case also runs in builtin mode, so expect_error and
  builtin_error side by side are the error-message parity table;
  "builtin_unsupported" in case.json: why Docker 20.10's own frontend cannot build it;
"dfopt_only": why the expectations are dfopt's own (its warnings, ...): such a case
is not run in builtin mode, but differential.py still compares it;
  "differential_known": why differential.py's builtin-vs-dfopt difference is intended;
  "remote_context": a URL built from instead of a local directory, e.g.
  "{http}/context.git" (the fixture server, tests/e2e/lib/servers.sh, which makes
  the remote from this case's Dockerfile and context/; those stay the local
  equivalent differential.py builds). The Dockerfile then comes from the remote,
  so only "buildarg" (and "builtin") modes apply)

Legs and stores (tests/e2e/lib/env.sh): the cases run on the leg DFOPT_E2E_LEG
("modern": Docker 28.5 + buildx, built with `docker buildx build`; "compat": Docker
20.10, `docker build`) with the image store DFOPT_E2E_STORE ("classic" or, on the
modern leg, "containerd"). In case.json, "legs": [..] limits a case to some legs
(default both), "stores": [..] to some stores (default ["classic"]), and an object
under a leg's name ("modern": {..}, "compat": {..}) overrides keys of case.json on
that leg (e.g. the error texts, which differ between daemon versions; `null`
removes a key).
"expect_log": ["substring", ..] must each appear in the build output (warnings,
progress names); "expect_frame": [N, ..]: the source frames buildx prints (for the
error; for the warnings with "debug": true, which runs `docker --debug`) mark exactly
Dockerfile lines N, .. with `>>>`, in that order ("builtin_frame": the same for the
daemon's own frontend, when it differs);
"expect_stdout": ["substring", ..] in its stdout alone. "no_image": true for builds
that make no image (`--call=...`): the exit code must be "exit" (default 0) and only
the output is checked.

Modes: "syntax" (a `# syntax=<frontend>` first line) and "buildarg"
(`--build-arg BUILDKIT_SYNTAX=<frontend>`); both by default. DFOPT_E2E_MODES=builtin
runs the cases with the daemon's own frontend instead, to validate the expectations.
Prints one line per case and mode and a closing "N passed, M failed".
Needs DOCKER and DOCKER_HOST (tests/e2e/lib/env.sh) and a daemon running.
"""

import importlib.util
import io
import json
import os
import re
import shutil
import stat
import subprocess
import sys
import tarfile
import threading
import traceback
from concurrent.futures import ThreadPoolExecutor

DOCKER = os.environ.get("DOCKER", "/usr/bin/docker")
FRONTEND = os.environ.get("DFOPT_FRONTEND_IMAGE", "ourorg/optimizer")
LEG = os.environ.get("DFOPT_E2E_LEG", "compat")
STORE = os.environ.get("DFOPT_E2E_STORE", "classic")
# `docker buildx build` on the modern leg, `docker build` on Docker 20.10.
BUILD = os.environ.get("DFOPT_E2E_BUILD", "build").split()
HERE = os.path.dirname(os.path.abspath(__file__))
CASES = os.path.join(HERE, "cases")
# DFOPT_E2E_SCRATCH lets two checkouts share one daemon without sharing scratch dirs
# (each also sets DFOPT_FRONTEND_IMAGE to a tag of its own).
WORK = os.path.join(
    os.environ.get("DFOPT_E2E_SCRATCH") or os.environ.get("DFOPT_E2E_DIR", "/var/tmp/dfopt-e2e"), "cases"
)


# Builds run this many at a time (cases and modes are independent: each has its
# own work dir and tag). Two keep a 2-core daemon busy while the other waits on
# the frontend container, exports and `docker run`; DFOPT_E2E_JOBS=1 runs one by one.
JOBS = max(1, int(os.environ.get("DFOPT_E2E_JOBS", "2")))


class CheckFailed(Exception):
    pass


def run_parallel(items, work, jobs=JOBS):
    """Calls work(item) for every item, `jobs` at a time; returns the results in
    the order of `items` (whatever order they finish in)."""
    if jobs == 1:
        return [work(item) for item in items]
    with ThreadPoolExecutor(max_workers=jobs) as pool:
        return list(pool.map(work, items))


# One line per finished case at a time.
PRINT_LOCK = threading.Lock()


class BuildGate:
    """Lets builds run side by side, except the ones that must run alone.

    BuildKit runs a step that two builds ask for at the same moment once, for
    both. A `--no-cache` build runs its steps whatever the cache holds, so a
    build beside it that expects a cache hit on the same step would see the
    step run instead. Such builds go through `alone()`, every other one
    through `shared()`."""

    def __init__(self):
        self._cond = threading.Condition()
        self._running = 0
        self._alone = False
        self._waiting_alone = 0

    def shared(self):
        return _Held(self, alone=False)

    def alone(self):
        return _Held(self, alone=True)

    def _enter(self, alone):
        with self._cond:
            if alone:
                self._waiting_alone += 1
                self._cond.wait_for(lambda: not self._alone and self._running == 0)
                self._waiting_alone -= 1
                self._alone = True
            else:
                self._cond.wait_for(lambda: not self._alone and self._waiting_alone == 0)
                self._running += 1

    def _leave(self, alone):
        with self._cond:
            if alone:
                self._alone = False
            else:
                self._running -= 1
            self._cond.notify_all()


class _Held:
    def __init__(self, gate, alone):
        self.gate, self.is_alone = gate, alone

    def __enter__(self):
        self.gate._enter(self.is_alone)

    def __exit__(self, *exc):
        self.gate._leave(self.is_alone)


def report(line):
    with PRINT_LOCK:
        print(line, flush=True)


class Target:
    """What a build produced: the exported filesystem and the image inspect JSON."""

    def __init__(self, root, image, log, tag):
        self.root = root
        self.image = image
        self.config = image.get("Config") or {}
        self.log = log
        self.tag = tag
        self._tar = None

    def tar(self):
        """The image filesystem as `docker export` gives it: the local exporter
        writes files as the client user, so ownership is read from here."""
        if self._tar is None:
            cid = docker("create", self.tag, "/nonexistent", check=True).stdout.strip()
            try:
                data = subprocess.run([DOCKER, "export", cid], capture_output=True, timeout=600, check=True).stdout
            finally:
                docker("rm", "-v", cid)
            with tarfile.open(fileobj=io.BytesIO(data)) as archive:
                self._tar = {m.name.rstrip("/"): m for m in archive.getmembers()}
        return self._tar

    def extract(self, root):
        """Fills `root` from `docker export` (regular files, dirs and symlinks)."""
        cid = docker("create", self.tag, "/nonexistent", check=True).stdout.strip()
        try:
            data = subprocess.run([DOCKER, "export", cid], capture_output=True, timeout=600, check=True).stdout
        finally:
            docker("rm", "-v", cid)
        with tarfile.open(fileobj=io.BytesIO(data)) as archive:
            members = [m for m in archive.getmembers() if m.isfile() or m.isdir() or m.issym()]
            # Extraction filters exist from Python 3.11.4 (and Debian's 3.11.2 lacks
            # them); the archive is the image this run just built.
            safe = {"filter": "tar"} if hasattr(tarfile, "tar_filter") else {}
            archive.extractall(root, members=members, **safe)

    def member(self, path):
        member = self.tar().get(path.strip("/"))
        if member is None:
            self.fail(f"{path} is not in the exported image")
        return member

    def run(self, *args):
        """Runs a command in the built image; returns its stdout."""
        ran = docker("run", "--rm", self.tag, *args)
        if ran.returncode != 0:
            self.fail(f"docker run {args}: exit {ran.returncode}: {ran.stderr[-500:]}")
        return ran.stdout

    def path(self, path):
        return os.path.join(self.root, path.lstrip("/"))

    def fail(self, message):
        raise CheckFailed(message)

    def read(self, path):
        try:
            with open(self.path(path), "rb") as f:
                return f.read().decode()
        except OSError as e:
            self.fail(f"cannot read {path}: {e}")

    def file(self, path, content):
        actual = self.read(path)
        if actual != content:
            self.fail(f"{path}: expected {content!r}, got {actual!r}")

    def exists(self, path):
        if not os.path.lexists(self.path(path)):
            self.fail(f"{path} does not exist")

    def absent(self, path):
        if os.path.lexists(self.path(path)):
            self.fail(f"{path} exists but should not")

    def mode(self, path, mode):
        actual = stat.S_IMODE(os.lstat(self.path(path)).st_mode)
        if actual != mode:
            self.fail(f"{path}: mode {oct(actual)}, expected {oct(mode)}")

    def owner(self, path, uid, gid):
        member = self.member(path)
        if (member.uid, member.gid) != (uid, gid):
            self.fail(f"{path}: owner {member.uid}:{member.gid}, expected {uid}:{gid}")

    def is_dir(self, path):
        if not os.path.isdir(self.path(path)):
            self.fail(f"{path} is not a directory")

    def symlink(self, path, target):
        actual = os.readlink(self.path(path))
        if actual != target:
            self.fail(f"{path}: links to {actual!r}, expected {target!r}")

    def env(self, key):
        for item in self.config.get("Env") or []:
            k, _, v = item.partition("=")
            if k == key:
                return v
        return None

    def history(self):
        """`docker history` entries of the image, newest first (dicts with
        CreatedBy, Comment, Size, ...)."""
        out = docker("history", "--no-trunc", "--format", "{{json .}}", self.tag, check=True).stdout
        return [json.loads(line) for line in out.splitlines() if line.strip()]

    def equal(self, what, actual, expected):
        if actual != expected:
            self.fail(f"{what}: expected {expected!r}, got {actual!r}")

    def contains(self, what, text, needle):
        if needle not in text:
            self.fail(f"{what}: {needle!r} not found in {text!r}")


class Output:
    """What a build without an image produced (`--call=...`, `-o type=oci,...`): its
    work dir (`{work}` in extra_args) and its output; check.py gets this instead of a
    Target for "no_image" cases."""

    def __init__(self, work, log):
        self.work = work
        self.log = log

    def fail(self, message):
        raise CheckFailed(message)

    def oci_blob(self, archive, digest):
        """A blob of an OCI layout tarball, parsed as JSON."""
        name = "blobs/" + digest.replace(":", "/")
        with tarfile.open(archive) as tar:
            return json.load(tar.extractfile(name))

    def oci_index(self, archive):
        """The index.json of an OCI layout tarball."""
        with tarfile.open(archive) as tar:
            return json.load(tar.extractfile("index.json"))


def docker(*args, check=False, timeout=900):
    proc = subprocess.run([DOCKER, *args], capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise CheckFailed(f"docker {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    return proc


def load_check(case_dir):
    path = os.path.join(case_dir, "check.py")
    if not os.path.exists(path):
        return None
    spec = importlib.util.spec_from_file_location("check_" + os.path.basename(case_dir), path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.check


def build_args(name, case, mode):
    args = [*BUILD, "--progress=plain"]
    for key, value in sorted(case.get("build_args", {}).items()):
        args += ["--build-arg", f"{key}={value}"]
    if mode == "buildarg":
        args += ["--build-arg", f"BUILDKIT_SYNTAX={FRONTEND}"]
    if case.get("target"):
        args += ["--target", case["target"]]
    for item in case.get("extra_args", []):
        # `{case}` is the case's directory (e.g. for `--secret id=x,src={case}/secret.txt`).
        item = item.replace("{case}", os.path.join(CASES, name))
        # `{http}` is the loopback fixture server (tests/e2e/lib/servers.sh).
        item = item.replace("{http}", http_url())
        # `{work}` is the case's work dir of this mode (outputs such as OCI tarballs).
        item = item.replace("{work}", os.path.join(WORK, name, mode))
        args.append(item)
    return args


def http_url():
    """The loopback fixture server (tests/e2e/lib/servers.sh)."""
    return f"http://127.0.0.1:{os.environ.get('DFOPT_E2E_HTTP_PORT', '38181')}"


def load_case(name):
    """The case's case.json as a dict ({} when it has none), with the keys of this
    leg's override object ("modern": {..} / "compat": {..}) applied."""
    path = os.path.join(CASES, name, "case.json")
    if not os.path.exists(path):
        return {}
    with open(path) as f:
        case = json.load(f)
    for key, value in case.get(LEG, {}).items():
        if value is None:  # `null` removes the key on this leg
            case.pop(key, None)
        else:
            case[key] = value
    return case


def case_applies(case):
    """Whether the case runs on this leg and image store."""
    return LEG in case.get("legs", ["modern", "compat"]) and STORE in case.get("stores", ["classic"])


def case_inputs(name, case, work):
    """(context dir, Dockerfile text without a syntax line) of a case; an empty
    context is made below `work` (which must exist) when the case has none."""
    case_dir = os.path.join(CASES, name)
    context = os.path.join(case_dir, "context")
    dockerfile_source = os.path.join(case_dir, "Dockerfile")
    if "example" in case:
        # The case builds examples/<name> as is: its Dockerfile, its directory as context.
        context = os.path.join(HERE, "..", "..", "examples", case["example"])
        dockerfile_source = os.path.join(context, "Dockerfile")
    elif not os.path.isdir(context):
        context = os.path.join(work, "empty-context")
        os.makedirs(context, exist_ok=True)
    with open(dockerfile_source) as f:
        return context, f.read()


def framed_lines(log):
    """The Dockerfile lines the source frames of a buildx error output mark with `>>>`,
    in order (a frame: `Dockerfile:N`, a dashed line, `  N | ...` lines, a dashed
    line; the frames stand together just before the final `ERROR:` line)."""
    marked, inside = [], False
    for line in log.splitlines():
        if re.match(r"^-{20}$", line):
            inside = not inside
            continue
        found = re.match(r"^\s*(\d+) \| >>> ", line)
        if inside and found:
            marked.append(int(found.group(1)))
    return marked


def check_frames(case, mode, log, offset):
    """The source frames of the output (an error's, or the warnings' with --debug)
    mark exactly the lines "expect_frame" ("builtin_frame" in builtin mode) names."""
    frame = case.get("builtin_frame", case.get("expect_frame")) if mode == "builtin" else case.get("expect_frame")
    if frame is None:
        return
    wanted = [line + offset for line in frame]
    framed = framed_lines(log)
    if framed != wanted:
        raise CheckFailed(f"source frames mark lines {framed}, expected {wanted}")


def run_case(name, mode):
    case_dir = os.path.join(CASES, name)
    case = load_case(name)
    work = os.path.join(WORK, name, mode)
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    context, dockerfile = case_inputs(name, case, work)
    if mode == "syntax":
        dockerfile = f"# syntax={FRONTEND}\n" + dockerfile
    dockerfile_path = os.path.join(work, "Dockerfile")
    with open(dockerfile_path, "w") as f:
        f.write(dockerfile)
    tag = f"dfopt-e2e/{name}:{mode}"
    args = build_args(name, case, mode) + ["-f", dockerfile_path]
    if "remote_context" in case:
        # The remote holds the Dockerfile: no -f, the URL is the context.
        args = build_args(name, case, mode)
        context = case["remote_context"].replace("{http}", http_url())
    tag_args = [] if case.get("no_image") else ["-t", tag]
    # `docker --debug` expands buildx's warning summary with source frames.
    debug = ["--debug"] if case.get("debug") else []
    built = docker(*debug, *args, *tag_args, context)
    log = built.stdout + built.stderr
    with open(os.path.join(work, "build.log"), "w") as f:
        f.write(log)
    offset = 1 if mode == "syntax" else 0
    for wanted in case.get("expect_log", []):
        # `{N}` is Dockerfile line N of the case; the syntax line shifts it by one.
        expected = re.sub(r"\{(\d+)\}", lambda m: str(int(m.group(1)) + offset), wanted)
        if expected not in log:
            tail = "\n".join(log.splitlines()[-12:])
            raise CheckFailed(f"expected {expected!r} in the build output; it ends:\n{tail}")
    for wanted in case.get("expect_stdout", []):
        if wanted not in built.stdout:
            raise CheckFailed(f"expected {wanted!r} in stdout:\n{built.stdout[-2000:]}")
    if case.get("no_image"):
        if built.returncode != case.get("exit", 0):
            raise CheckFailed(f"exit {built.returncode}, expected {case.get('exit', 0)}:\n{log[-2000:]}")
        check_frames(case, mode, log, offset)
        check = load_check(case_dir)
        if check:
            check(Output(work, log))
        return
    if "expect_error" in case:
        wanted = case["builtin_error"] if mode == "builtin" else case["expect_error"]
        expected = re.sub(r"\{(\d+)\}", lambda m: str(int(m.group(1)) + offset), wanted)
        if built.returncode == 0:
            raise CheckFailed("build succeeded but an error was expected")
        if expected not in log:
            tail = "\n".join(log.splitlines()[-8:])
            raise CheckFailed(f"expected error {expected!r}; build output ends:\n{tail}")
        check_frames(case, mode, log, offset)
        return
    if built.returncode != 0:
        tail = "\n".join(log.splitlines()[-15:])
        raise CheckFailed(f"build failed:\n{tail}")
    check_frames(case, mode, log, offset)
    root = os.path.join(work, "rootfs")
    if case.get("local_export", True):
        # The local exporter (`-o type=local`), as users use it. Docker 20.10's client
        # can stall on large trees (seen on the Python examples), so examples set
        # "local_export": false and the filesystem comes from `docker export`.
        try:
            exported = docker(*args, "-o", f"type=local,dest={root}", context, timeout=180)
        except subprocess.TimeoutExpired:
            raise CheckFailed("`docker build -o type=local` did not finish in 180 s")
        if exported.returncode != 0:
            raise CheckFailed(f"export failed:\n{exported.stderr[-2000:]}")
    inspect = json.loads(docker("image", "inspect", tag, check=True).stdout)[0]
    target = Target(root, inspect, log, tag)
    if not case.get("local_export", True):
        target.extract(root)
    check = load_check(case_dir)
    if check:
        check(target)
    if "run" in case:
        ran = docker("run", "--rm", tag, *case["run"].get("args", []))
        if ran.returncode != case["run"].get("exit", 0):
            raise CheckFailed(f"docker run exited {ran.returncode}: {ran.stderr[-1000:]}")
        if "stdout" in case["run"]:
            target.equal("docker run stdout", ran.stdout, case["run"]["stdout"])


def run_one(item):
    """Runs one (case, mode); returns the failure label or None."""
    name, mode = item
    try:
        run_case(name, mode)
        report(f"ok   {name} [{mode}]")
        return None
    except CheckFailed as e:
        report(f"FAIL {name} [{mode}]: {e}")
    except Exception:  # a bug in a check or the runner: report, keep going
        report(f"FAIL {name} [{mode}]: runner error\n{traceback.format_exc()}")
    return f"{name} [{mode}]"


def main(argv):
    names = argv or sorted(n for n in os.listdir(CASES) if os.path.isdir(os.path.join(CASES, n)))
    forced = os.environ.get("DFOPT_E2E_MODES")
    items = []
    for name in names:
        case = load_case(name)
        if not case_applies(case):
            continue
        modes = case.get("modes", ["syntax", "buildarg"])
        if forced:
            # "builtin" builds with the daemon's own frontend: it validates the
            # expectations themselves (our error texts are not its format).
            skip_builtin = (
                ("expect_error" in case and "builtin_error" not in case)
                or "builtin_unsupported" in case
                or "dfopt_only" in case
            )
            modes = [m for m in forced.split(",") if not (m == "builtin" and skip_builtin)]
        items += [(name, mode) for mode in modes]
    # Every case in one mode, then in the next: the two modes of a case build the
    # same steps, so side by side they would mostly share them.
    order = {mode: i for i, mode in enumerate(dict.fromkeys(mode for _, mode in items))}
    items.sort(key=lambda item: order[item[1]])
    failed = [label for label in run_parallel(items, run_one) if label]
    if failed:
        print("failed: " + ", ".join(failed))
    print(f"{len(items) - len(failed)} passed, {len(failed)} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
