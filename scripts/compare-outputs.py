#!/usr/bin/env python3
"""Compares every output of the `dfopt` CLI between two revisions.

A refactoring that must not change behaviour is checked by running both
builds of the CLI over the same inputs and requiring byte-identical results.

    scripts/compare-outputs.py [BASE_REV]      # default BASE_REV: main
    scripts/compare-outputs.py --run BIN DIR   # only write BIN's outputs to DIR
    scripts/compare-outputs.py --diff DIR DIR  # only compare two output dirs

The default mode builds `dfopt` from BASE_REV (a `git archive` of it, unpacked
under target/compare/ and built in target/compare/target, a target directory
of its own) and from the working tree, runs both over the
inputs of the working tree, writes the outputs under target/compare/out-*/,
and compares them. It prints the number of (input, command) pairs compared
and each one that differs; exit status 0: identical, 1: a difference,
2: the harness itself failed.

Inputs: every Dockerfile under crates/optimizer/tests/{corpus,fixtures},
crates/findings/tests/fixtures, crates/convert/tests/fixtures,
crates/convert/benches, examples/*/, tests/e2e/cases/*/ and ../shared/bench
(when that directory exists). Commands per input: `parse` (tree and
`--dump`), `check` (text, json), `explain` (text, json, json for
linux/amd64), `rewrite` (file, `--diff`), `llb` for both capability sets the
CLI targets (`--caps v0.8`, Docker 20.10's BuildKit, and `--caps head`, the
newest) as JSON, binary and (head) dump, for linux/amd64 and linux/arm64;
`llb` (both caps) and `explain --format json` for every named stage as
`--target`, with `DFOPT=off` and `DFOPT=all`, and with the build-args,
target and platform a findings fixture's `.opts` file or an e2e case's
case.json gives. Each pair records stdout, stderr and the exit status.

The CLI does not run BuildKit's build checks (the frontend's lint and outline
subrequests do), so the default mode also runs scripts/compare-outputs-lint.rs
in both trees (copied into crates/findings/tests/ for that run, then removed)
and compares the checks' whole result for every input and a few options.

Every cargo command runs under `nice -n 19`.
"""

import filecmp
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
import io

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.path.join(ROOT, "target", "compare")

# The environment every dfopt run gets: nothing from the caller's (a bare
# `--build-arg KEY` reads the environment), no colour.
RUN_ENV = {"PATH": "/usr/bin:/bin", "NO_COLOR": "1", "LC_ALL": "C"}


def inputs():
    """The Dockerfiles to run, as paths relative to ROOT, sorted."""
    found = []
    dirs = [
        "crates/optimizer/tests/corpus",
        "crates/optimizer/tests/fixtures",
        "crates/findings/tests/fixtures",
        "crates/convert/tests/fixtures",
        "crates/convert/benches",
        "examples",
        "tests/e2e/cases",
        "../shared/bench",
    ]
    for d in dirs:
        top = os.path.join(ROOT, d)
        if not os.path.isdir(top):
            continue
        for base, _, files in os.walk(top):
            for f in files:
                if f == "Dockerfile" or f.endswith(".Dockerfile"):
                    found.append(os.path.relpath(os.path.join(base, f), ROOT))
    return sorted(set(found))


def stage_names(text):
    """Stage names (`FROM … AS name`), in file order, without repeats."""
    names = []
    for m in re.finditer(r"(?im)^\s*from\s+(?:--\S+\s+)*\S+\s+as\s+(\S+)", text):
        if m.group(1) not in names:
            names.append(m.group(1))
    return names


def option_sets(path):
    """Build options a fixture or case comes with: (label, args) pairs."""
    sets = []
    opts = re.sub(r"\.Dockerfile$", ".opts", path)
    if opts != path and os.path.isfile(os.path.join(ROOT, opts)):
        args = []
        for line in open(os.path.join(ROOT, opts), encoding="utf-8"):
            key, _, value = line.rstrip("\n").partition("=")
            if key.startswith("build-arg:"):
                args += ["--build-arg", key[len("build-arg:"):] + "=" + value]
            elif key == "target":
                args += ["--target", value]
            elif key == "platform":
                args += ["--platform", value]
            elif key == "check":
                args += ["--build-arg", "BUILDKIT_DOCKERFILE_CHECK=" + value]
        if args:
            sets.append(("opts", args))
    case = os.path.join(os.path.dirname(path), "case.json")
    if os.path.basename(path) == "Dockerfile" and os.path.isfile(os.path.join(ROOT, case)):
        spec = json.load(open(os.path.join(ROOT, case), encoding="utf-8"))
        args = []
        for k, v in sorted(spec.get("build_args", {}).items()):
            args += ["--build-arg", f"{k}={v}"]
        if "target" in spec:
            args += ["--target", spec["target"]]
        extra = spec.get("extra_args", [])
        for i, a in enumerate(extra[:-1]):
            nxt = extra[i + 1].replace("{http}", "http://127.0.0.1:1")
            if a == "--build-arg":
                args += ["--build-arg", nxt]
            elif a == "--target":
                args += ["--target", nxt]
            elif a == "--platform" and "," not in nxt:
                args += ["--platform", nxt]
        if args:
            sets.append(("case", args))
    return sets


def commands(path):
    """(name, argv) of every command run on `path`."""
    text = open(os.path.join(ROOT, path), encoding="utf-8", errors="replace").read()
    cmds = [
        ("parse", ["parse", path]),
        ("parse-dump", ["parse", "--dump", path]),
        ("check", ["check", path]),
        ("check-json", ["check", "--format", "json", path]),
        ("explain", ["explain", path]),
        ("explain-json", ["explain", "--format", "json", path]),
        ("explain-json-amd64", ["explain", "--format", "json", "--platform", "linux/amd64", path]),
        ("rewrite", ["rewrite", path]),
        ("rewrite-diff", ["rewrite", "--diff", path]),
        ("llb-head-dump", ["llb", "--caps", "head", "--format", "dump", path]),
    ]
    for caps in ("v0.8", "head"):
        cmds += [
            (f"llb-{caps}-json", ["llb", "--caps", caps, "--format", "json", path]),
            (f"llb-{caps}-bin", ["llb", "--caps", caps, "--format", "binary", path]),
            (f"llb-{caps}-json-amd64", ["llb", "--caps", caps, "--format", "json", "--platform", "linux/amd64", path]),
            (f"llb-{caps}-json-arm64", ["llb", "--caps", caps, "--format", "json", "--platform", "linux/arm64", path]),
        ]
    variants = [(f"target-{n}", ["--target", n]) for n in stage_names(text)]
    variants += [("dfopt-off", ["--build-arg", "DFOPT=off"]), ("dfopt-all", ["--build-arg", "DFOPT=all"])]
    variants += option_sets(path)
    for label, extra in variants:
        safe = re.sub(r"[^A-Za-z0-9_.-]", "_", label)
        cmds.append((f"explain-json-{safe}", ["explain", "--format", "json", *extra, path]))
        for caps in ("v0.8", "head"):
            cmds.append((f"llb-{caps}-json-{safe}", ["llb", "--caps", caps, "--format", "json", *extra, path]))
    return cmds


def run_all(binary, out):
    """Runs `binary` over every (input, command) pair; returns the count."""
    if os.path.exists(out):
        shutil.rmtree(out)
    count = 0
    for path in inputs():
        d = os.path.join(out, path.replace("../", "up/").replace("/", "__"))
        os.makedirs(d)
        for name, argv in commands(path):
            p = subprocess.run([binary, *argv], cwd=ROOT, env=RUN_ENV, capture_output=True, stdin=subprocess.DEVNULL)
            with open(os.path.join(d, name), "wb") as f:
                f.write(b"exit %d\n--- stdout\n" % p.returncode + p.stdout + b"\n--- stderr\n" + p.stderr)
            count += 1
    return count


def diff_dirs(a, b):
    """Names of the pair files that differ or exist on one side only."""
    diffs = []
    for base, _, files in os.walk(a):
        for f in files:
            pa = os.path.join(base, f)
            pb = os.path.join(b, os.path.relpath(pa, a))
            if not os.path.isfile(pb) or not filecmp.cmp(pa, pb, shallow=False):
                diffs.append(os.path.relpath(pa, a))
    for base, _, files in os.walk(b):
        for f in files:
            pb = os.path.join(base, f)
            if not os.path.exists(os.path.join(a, os.path.relpath(pb, b))):
                diffs.append(os.path.relpath(pb, b))
    return sorted(set(diffs))


def build(src, label, target_dir):
    """Builds the CLI from the source tree `src` into `target_dir`; returns a copy
    of the binary. The base gets a target directory of its own: cargo hashes a
    workspace member by its path relative to the workspace, so two checkouts
    sharing one would overwrite each other's artifacts and fingerprints."""
    cmd = ["nice", "-n", "19", "cargo", "build", "--locked", "-p", "dfopt-cli", "--bin", "dfopt",
           "--message-format", "json-render-diagnostics"]
    env = dict(os.environ, CARGO_TARGET_DIR=target_dir)
    p = subprocess.run(cmd, cwd=src, env=env, stdout=subprocess.PIPE, check=True)
    exe = None
    for line in p.stdout.splitlines():
        msg = json.loads(line)
        if msg.get("reason") == "compiler-artifact" and msg.get("executable"):
            exe = msg["executable"]
    if exe is None:
        sys.exit("compare-outputs: cargo reported no dfopt executable")
    os.makedirs(WORK, exist_ok=True)
    dest = os.path.join(WORK, "dfopt-" + label)
    shutil.copy2(exe, dest)
    return dest


def export(rev):
    """Unpacks `git archive REV` under target/compare/; returns its directory."""
    sha = subprocess.run(["git", "rev-parse", "--short", rev], cwd=ROOT, capture_output=True, text=True,
                         check=True).stdout.strip()
    dest = os.path.join(WORK, "src-" + sha)
    if not os.path.isdir(dest):
        tar = subprocess.run(["git", "archive", sha], cwd=ROOT, capture_output=True, check=True).stdout
        tarfile.open(fileobj=io.BytesIO(tar)).extractall(dest)
    return dest


LINT_TEST = "zz_compare_outputs_lint"


def run_lint(src, target_dir, out):
    """Runs compare-outputs-lint.rs inside the tree `src` (copied into its
    findings tests for the run, removed after); returns the number of pairs."""
    if os.path.exists(out):
        shutil.rmtree(out)
    os.makedirs(out)
    listing = out + ".inputs"
    with open(listing, "w", encoding="utf-8") as f:
        f.write("".join(p + "\n" for p in inputs()))
    test = os.path.join(src, "crates", "findings", "tests", LINT_TEST + ".rs")
    shutil.copy(os.path.join(ROOT, "scripts", "compare-outputs-lint.rs"), test)
    try:
        env = dict(os.environ, CARGO_TARGET_DIR=target_dir, LINT_INPUTS=listing, LINT_OUT=out, LINT_ROOT=ROOT)
        p = subprocess.run(["nice", "-n", "19", "cargo", "test", "--locked", "-p", "dfopt-findings", "--test",
                            LINT_TEST, "--", "--nocapture"], cwd=src, env=env, stdout=subprocess.PIPE,
                           text=True, check=True)
    finally:
        os.remove(test)
    m = re.search(r"lint dump: (\d+) pairs", p.stdout)
    return int(m.group(1)) if m else 0


def report(a, b, count):
    diffs = diff_dirs(a, b)
    print(f"compared {count} (input, command) pairs: {len(diffs)} differ")
    for d in diffs:
        print("  differs:", d)
    if diffs:
        print(f"(see: diff {a}/PAIR {b}/PAIR)")
    return 1 if diffs else 0


def main(argv):
    if argv[:1] == ["--run"] and len(argv) == 3:
        print(f"wrote {run_all(os.path.abspath(argv[1]), argv[2])} (input, command) pairs to {argv[2]}")
        return 0
    if argv[:1] == ["--diff"] and len(argv) == 3:
        count = sum(len(fs) for _, _, fs in os.walk(argv[1]))
        return report(argv[1], argv[2], count)
    if len(argv) > 1 or (argv and argv[0].startswith("-")):
        print(__doc__, file=sys.stderr)
        return 2
    rev = argv[0] if argv else "main"
    base_src = export(rev)
    base_bin = build(base_src, "base", os.path.join(WORK, "target"))
    head_bin = build(ROOT, "worktree", os.path.join(ROOT, "target"))
    base_out, head_out = os.path.join(WORK, "out-base"), os.path.join(WORK, "out-head")
    count = run_all(base_bin, base_out)
    if run_all(head_bin, head_out) != count:
        print("compare-outputs: the two runs ran different numbers of pairs", file=sys.stderr)
        return 2
    print(f"base {rev} ({base_bin}) vs working tree ({head_bin})")
    status = report(base_out, head_out, count)
    lint_base, lint_head = os.path.join(WORK, "lint-base"), os.path.join(WORK, "lint-head")
    lint_count = run_lint(base_src, os.path.join(WORK, "target"), lint_base)
    if run_lint(ROOT, os.path.join(ROOT, "target"), lint_head) != lint_count:
        print("compare-outputs: the two lint runs dumped different numbers of pairs", file=sys.stderr)
        return 2
    print("build checks (dfopt-findings' walk):")
    return max(status, report(lint_base, lint_head, lint_count))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
