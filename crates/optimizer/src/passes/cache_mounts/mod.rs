//! `cache-mounts`: give package managers and build tools a BuildKit cache mount.
//!
//! ## What it does
//!
//! For each shell-form RUN that calls a known tool, adds
//! `--mount=type=cache,id=…,target=<dir>` for the tool's download/build cache
//! (the directories are listed once, in [`crate::cache_dirs`]), makes the tool
//! really use it, and drops cleanups that would only empty the mounted cache:
//!
//! ```dockerfile
//! RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*
//! ```
//! becomes
//! ```dockerfile
//! RUN --mount=type=cache,id=dfopt-apt-cache-linux/amd64-debian:12,target=/var/cache/apt,sharing=locked \
//!     --mount=type=cache,id=dfopt-apt-lists-linux/amd64-debian:12,target=/var/lib/apt/lists,sharing=locked \
//!     apt-get -o Dir::Cache::archives=/var/cache/apt/archives-dfopt/ -o APT::Keep-Downloaded-Packages=true update && …
//! ```
//!
//! ## Why
//!
//! A rebuilt RUN downloads everything again. A cache mount survives between
//! builds on the same builder and never enters the image, so the image is the
//! same except inside the cache directories (optimization-safety.md, target
//! equivalence (a)).
//!
//! ## Families
//!
//! Each family of tools is one file with its rules in its doc, behind one
//! detector signature (`tool_family`); the pass runs them from [`FAMILIES`]:
//!
//! - `apt`: apt, apt-get;
//! - `python`: pip (and `python -m pip`), uv, poetry;
//! - `node`: npm, yarn v1, pnpm;
//! - `go`: go, xx-go; `rust`: cargo, xx-cargo;
//! - `jvm`: maven, gradle;
//! - `apk_dnf`: apk, dnf/dnf5;
//! - `ruby`: bundler, gem; `php`: composer; `dotnet`: NuGet packages;
//!   `conda`: conda, mamba, micromamba.
//!
//! What every family shares: finding the calls and the checks every tool
//! passes (`tool_calls`), where directories are and which a RUN may get
//! (`mount_targets`), deletions (`cache_deletions`), state directories of a
//! stage family (`state_dirs`), prefetch steps (`prefetch`), dropped
//! cleanups (`emptied_caches`), mount ids (`mount_flag`) and the rewrite
//! itself (`mount_rewrite`).
//!
//! ## Safety conditions — the pass does not fire when
//!
//! - the RUN is in exec form, has a heredoc, has `# dfopt:keep` above it, the
//!   stage's shell is not POSIX, or the image is Windows;
//! - the command cannot be read with certainty (see the `shell` module), or
//!   a command substitution runs a command not known to only read;
//! - the platform or the base image is not known (the cache id must name
//!   both; reported);
//! - the user is a name (`USER app`): mounts need numeric ids, and the home
//!   directory is unknown — reported; root-only tools under a non-root user;
//!   for a numeric non-root user, tools whose calls are not redirected to the
//!   mount on their command line (BuildKit would leave root-owned parents in
//!   the user's home);
//! - a directory's location depends on an unknown value (reported);
//! - the RUN already mounts the directory, a parent or a child of it;
//! - any `--mount` of the RUN depends on variables;
//! - the RUN deletes the directory itself, a parent of it, or a path the pass
//!   cannot resolve (`rm -rf ~/.cache` with `~/.cache/pip` mounted would fail
//!   with "device busy"), or deletes inside it without `-f` (reported);
//! - a system package manager (apt, apk, dnf) runs with `--network=none`: it
//!   can only use packages already in the image's cache directory, which a
//!   mount would hide;
//! - a state directory cannot be mounted on every RUN of the stage family
//!   that uses it (`state_dirs`), or a prefetch fills it for a later step
//!   that would read it without the mount (`prefetch`);
//! - a cleanup of the tool's own that has to stay would empty the mount on
//!   every build (`emptied_caches`);
//! - a rule needs the RUN to have deleted a directory (apt's lists, apk's
//!   cache) and the deletion may not have run: it is under `if`, `case`, a
//!   loop or a condition (`cache_deletions`);
//! - the family's conditions (its file) are not met.
//!
//! Without the base image config (see [`crate::Options::images`]), the pass
//! assumes root and the official image's environment (`GOPATH=/go` for
//! `golang`, `CARGO_HOME=/usr/local/cargo` for `rust`) and says so; a wrong
//! guess only leaves the mount unused.
//!
//! ## Applicability
//!
//! Stable, on by default. The image differs only inside the declared cache
//! directories (and by the empty mount points BuildKit leaves, also there).

use dfopt_dockerfile::instructions::CommandKind;

use crate::work::Cx;

mod apk_dnf;
mod apt;
mod cache_deletions;
mod conda;
mod dotnet;
mod emptied_caches;
mod go;
mod jvm;
mod mount_flag;
mod mount_plans;
mod mount_rewrite;
mod mount_targets;
mod node;
mod php;
mod prefetch;
mod python;
mod ruby;
mod rust;
mod state_dirs;
mod tool_calls;
mod tool_family;

use mount_plans::RunPlan;
use state_dirs::Sighting;
use tool_family::Family;

pub(crate) const ID: &str = "cache-mounts";

/// Every family of tools the pass knows.
static FAMILIES: [Family; 11] = [
    apt::FAMILY,
    python::FAMILY,
    node::FAMILY,
    go::FAMILY,
    rust::FAMILY,
    jvm::FAMILY,
    apk_dnf::FAMILY,
    ruby::FAMILY,
    php::FAMILY,
    dotnet::FAMILY,
    conda::FAMILY,
];

/// A finding to report on RUN `(stage, index)`: title and reason.
type Report = (usize, usize, String, String);

pub(crate) fn run(cx: &mut Cx) {
    let facts = cx.facts();
    let mut plans: Vec<RunPlan> = Vec::new();
    let mut sightings: Vec<Sighting> = Vec::new();
    let mut reports: Vec<Report> = Vec::new();
    for (s, sf) in facts.iter().enumerate() {
        for i in 0..cx.work.ir.stages[s].commands.len() {
            if !matches!(cx.work.ir.stages[s].commands[i].kind, CommandKind::Run(_)) {
                continue;
            }
            let (planned, needs) = mount_targets::plan_run(cx, sf, s, i, &mut reports);
            for dir in state_dirs::state_needs(cx, s, i, needs) {
                sightings.push(Sighting {
                    stage: s,
                    index: i,
                    dir,
                    planned: planned.is_some(),
                });
            }
            if let Some(p) = planned {
                plans.push(p);
            }
        }
    }
    for p in plans.iter_mut() {
        emptied_caches::drop_emptied_caches(p, &facts[p.stage], &mut reports);
    }
    plans.retain(|p| !p.targets.is_empty());
    let as_state = state_dirs::prefetched_caches(&plans, &mut sightings);
    state_dirs::state_groups(cx, &facts, &mut plans, &sightings, &as_state, &mut reports);
    for plan in plans {
        mount_rewrite::apply(cx, &facts, plan, &mut reports);
    }
    for (s, i, title, reason) in reports {
        let ranges = cx.ranges(s, i);
        cx.report(ID, ranges, title, reason);
    }
}
