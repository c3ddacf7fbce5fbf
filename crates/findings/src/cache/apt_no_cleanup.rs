//! `AptNoCleanup`: `apt-get update` and `apt-get install` in a RUN that
//! neither deletes the package lists nor keeps them in a cache mount.
//!
//! **Why.** `apt-get update` writes the package lists (tens of MB) to
//! `/var/lib/apt/lists`. Left there, they are part of the layer for good: a
//! later `rm` cannot shrink it, and the stale lists are useless in the image.
//! Either delete them in the same RUN, or keep `/var/cache/apt` and
//! `/var/lib/apt/lists` in cache mounts, so they never enter the image and
//! are reused by the next build.
//!
//! **Example.**
//! A RUN that installs without updating (the lists came from an earlier
//! layer) adds no lists of its own: `AptUpdateSeparate` is about that one.
//!
//! ```dockerfile
//! RUN apt-get update && apt-get install -y curl                # finding
//! RUN apt-get update && apt-get install -y curl \
//!  && rm -rf /var/lib/apt/lists/*                              # fine
//! RUN --mount=type=cache,target=/var/lib/apt/lists,sharing=locked \
//!     --mount=type=cache,target=/var/cache/apt,sharing=locked \
//!     apt-get update && apt-get install -y curl               # fine
//! ```

use super::tools::{self, Installer};
use super::{as_run, cache_mount_targets, simple_commands, Input};
use crate::check::Sink;
use crate::rule::Rule;

pub static RULE: Rule = Rule::new(
    "AptNoCleanup",
    "apt-get update + install without `rm -rf /var/lib/apt/lists/*` or an apt cache mount",
    "https://docs.docker.com/build/building/best-practices/#apt-get",
);

/// Whether a removed path deletes the apt lists (`/var/lib/apt/lists/*`, or a parent).
pub fn removes_apt_lists(path: &str) -> bool {
    let p = path.trim_end_matches('*').trim_end_matches('/');
    let lists = tools::cache_dir("apt-lists").map_or("/var/lib/apt/lists", |d| d.defaults[0]);
    p == lists
        || p.starts_with(lists)
        || (!p.is_empty() && lists.starts_with(&format!("{p}/")) && p.matches('/').count() >= 2)
}

pub fn check(input: &Input, sink: &mut Sink<'_>) {
    // The apt directories of the optimizer's table (`/var/cache/apt`, `/var/lib/apt/lists`).
    let apt_dirs: Vec<&str> = Installer::Apt
        .cache_dirs()
        .iter()
        .flat_map(|d| d.defaults.iter().copied())
        .collect();
    for command in input.commands() {
        let Some(run) = as_run(command) else { continue };
        let commands = simple_commands(command);
        let Some(install) = commands.iter().find(|c| tools::is_apt_install(c)) else {
            continue;
        };
        if !commands.iter().any(tools::is_apt_update) {
            continue;
        }
        let cleaned = commands
            .iter()
            .flat_map(tools::removed_paths)
            .any(removes_apt_lists);
        let cached = cache_mount_targets(run).iter().any(|t| {
            let t = t.trim_end_matches('/');
            apt_dirs
                .iter()
                .any(|d| t.starts_with(d) || d.starts_with(&format!("{t}/")))
        });
        if cleaned || cached {
            continue;
        }
        sink.report_at_with_fix(
            &command.comments,
            vec![command.span],
            format!(
                "`{} install` after `update` leaves the downloaded package lists in this layer",
                install.program()
            ),
            format!(
                "end the RUN with `&& rm -rf /var/lib/apt/lists/*`, or mount {} as caches \
                 (`--mount=type=cache,target=/var/lib/apt/lists,sharing=locked`; `dfopt rewrite` adds them)",
                apt_dirs.join(" and ")
            ),
        );
    }
}
