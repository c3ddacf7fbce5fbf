//! `MissingCacheMount`: pip, poetry, npm, yarn, pnpm and go downloads without a
//! BuildKit cache mount.
//!
//! **Why.** When a RUN is rebuilt (its inputs changed), the tool starts from an
//! empty cache and downloads (and for go, compiles) everything again. A cache
//! mount keeps the tool's cache between builds on the same builder without it
//! ever entering the image.
//!
//! **Example.**
//! ```dockerfile
//! RUN pip install -r requirements.txt                                    # finding
//! RUN --mount=type=cache,target=/root/.cache/pip pip install -r requirements.txt   # fine
//! ```
//!
//! The suggested targets are the default locations (root user, official images)
//! of the optimizer's table of cache directories. A RUN counts as covered for a
//! tool when one of its cache mounts targets one of the tool's directories, a
//! directory of the same name (`/home/app/.cache/pip`), a parent of one
//! (`/root/.cache`, any `.cache`), or a path naming the tool (`/tmp/npm-cache`). Directories the
//! table marks as install state (the Go module cache, the pnpm store) are kept in
//! the image by later steps that read them, so the fix says to mount them on every
//! RUN that uses the tool. apt is `AptNoCleanup`'s.
//!
//! **Not a finding** for an install told to stay offline (`pnpm install
//! --offline`: it downloads nothing), nor for a prefetch step (`pnpm fetch`,
//! `go mod download`) whose downloads a later RUN of the stage (or of a stage
//! built on it) reads from the image without a cache mount of its own: that
//! layout (pnpm's documented `pnpm fetch` one) keys the downloads on the lockfile
//! alone already, and mounting a cache on the prefetch only would leave the later
//! step without them:
//! ```dockerfile
//! COPY pnpm-lock.yaml ./
//! RUN pnpm fetch --prod                        # fine
//! COPY . .
//! RUN pnpm install -r --offline --prod         # fine
//! ```

use dfopt_dockerfile::instructions::{Command, Stage};
use dfopt_optimizer::cache_dirs::CacheDir;

use super::shell::SimpleCommand;
use super::tools::{self, Installer};
use super::{as_run, cache_mount_targets, simple_commands, Input};
use crate::check::Sink;
use crate::rule::Rule;

pub static RULE: Rule = Rule::new(
    "MissingCacheMount",
    "Package downloads (pip, poetry, npm, yarn, pnpm, go) without a `--mount=type=cache`",
    "https://docs.docker.com/build/cache/optimize/#use-cache-mounts",
);

/// The installers this rule reports (those whose caches are pure downloads or
/// build caches the tool refills on its own).
const REPORTED: [Installer; 6] = [
    Installer::Pip,
    Installer::Poetry,
    Installer::Npm,
    Installer::Yarn,
    Installer::Pnpm,
    Installer::Go,
];

/// The last component of a path.
fn base_name(path: &str) -> &str {
    path.rsplit('/').next().unwrap_or(path)
}

/// Whether a cache mount on `target` keeps `dir`'s files.
fn covers(target: &str, dir: &CacheDir, tool_name: &str) -> bool {
    let t = target.trim_end_matches('/');
    if t.is_empty() {
        return false;
    }
    t.ends_with("/.cache")
        || (tool_name != "go" && base_name(t).contains(tool_name))
        || dir.defaults.iter().any(|d| {
            t == *d
                || base_name(t) == base_name(d)
                || (d.starts_with(&format!("{t}/")) && t.matches('/').count() >= 2)
        })
}

/// Whether the RUN's cache mounts keep one of the tool's directories (only of
/// those the table marks as install state, with `state_only`).
fn covered(targets: &[String], tool: Installer, state_only: bool) -> bool {
    let Some(tool_name) = tool.cache_tool().map(|t| t.as_str()) else {
        return false;
    };
    tool.cache_dirs()
        .iter()
        .filter(|d| d.state || !state_only)
        .any(|d| targets.iter().any(|t| covers(t, d, tool_name)))
}

/// An install that is told not to use the network (`pnpm install --offline`,
/// `yarn install --offline`, `npm ci --offline`): it reads what an earlier step
/// fetched and downloads nothing.
fn is_offline(c: &SimpleCommand) -> bool {
    c.has("--offline")
}

/// Whether a later RUN (of the stage, or of a stage built on it) runs `tool`
/// without a cache mount of the tool's install state (the module cache, the
/// store): it reads what a prefetch step left in the image.
fn read_later_from_image(later: &[&Command], tool: Installer) -> bool {
    later.iter().any(|command| {
        let Some(run) = as_run(command) else {
            return false;
        };
        let uses = simple_commands(command).iter().any(|c| {
            tools::install_call(c).is_some_and(|call| call.tool == tool)
                || tool.cache_tool().is_some_and(|t| c.program() == t.as_str())
        });
        uses && !covered(&cache_mount_targets(run), tool, true)
    })
}

/// The stages of the file built on `stage` (its children, theirs, …), checked or not.
fn built_on<'a>(input: &Input<'a>, stage: &Stage) -> Vec<&'a Stage> {
    input
        .ir
        .stages
        .iter()
        .filter(|s| {
            let mut seen = vec![s.index];
            let mut current = input.parent(s);
            while let Some(parent) = current {
                if parent.index == stage.index {
                    return true;
                }
                if seen.contains(&parent.index) {
                    return false;
                }
                seen.push(parent.index);
                current = input.parent(parent);
            }
            false
        })
        .collect()
}

pub fn check(input: &Input, sink: &mut Sink<'_>) {
    for stage in input.stages() {
        let children = built_on(input, stage);
        for (at, command) in stage.commands.iter().enumerate() {
            let later: Vec<&Command> = stage.commands[at + 1..]
                .iter()
                .chain(children.iter().flat_map(|s| s.commands.iter()))
                .collect();
            check_run(command, &later, sink);
        }
    }
}

fn check_run(command: &Command, later: &[&Command], sink: &mut Sink<'_>) {
    let Some(run) = as_run(command) else { return };
    let targets = cache_mount_targets(run);
    let mut seen: Vec<Installer> = Vec::new();
    for c in simple_commands(command) {
        let Some(call) = tools::install_call(&c) else {
            continue;
        };
        if !REPORTED.contains(&call.tool) || seen.contains(&call.tool) {
            continue;
        }
        seen.push(call.tool);
        let dirs = call.tool.cache_dirs();
        let Some(tool_name) = call.tool.cache_tool().map(|t| t.as_str()) else {
            continue;
        };
        if dirs.is_empty() || covered(&targets, call.tool, false) || is_offline(&c) {
            continue;
        }
        // A prefetch whose downloads a later step reads from the image does the
        // right thing already: its layer is keyed on the manifests alone, and a
        // cache mount on it alone would empty the image of what the later step needs.
        if tools::prefetch(&c) == Some(call.tool) && read_later_from_image(later, call.tool) {
            continue;
        }
        let mounts: Vec<String> = dirs
            .iter()
            .filter_map(|d| d.defaults.first())
            .map(|t| format!("--mount=type=cache,target={t}"))
            .collect();
        let state = dirs.iter().any(|d| d.state);
        let mut fix = format!(
            "add `RUN {} …` (paths for root; `dfopt rewrite` adds the right ones)",
            mounts.join(" ")
        );
        if state {
            fix.push_str(&format!(
                "; mount it on every RUN that uses {tool_name}, as later steps read it"
            ));
        }
        sink.report_at_with_fix(
            &command.comments,
            vec![command.span],
            format!(
                "`{}` has no cache mount: a rebuild downloads everything again",
                call.what
            ),
            fix,
        );
    }
}
