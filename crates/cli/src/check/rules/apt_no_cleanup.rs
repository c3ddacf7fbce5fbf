//! `apt-no-cleanup`: `apt-get update` and `apt-get install` in a RUN that
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
//! layer) adds no lists of its own: `apt-update-separate` is about that one.
//!
//! ```dockerfile
//! RUN apt-get update && apt-get install -y curl                # finding
//! RUN apt-get update && apt-get install -y curl \
//!  && rm -rf /var/lib/apt/lists/*                              # fine
//! RUN --mount=type=cache,target=/var/lib/apt/lists,sharing=locked \
//!     --mount=type=cache,target=/var/cache/apt,sharing=locked \
//!     apt-get update && apt-get install -y curl               # fine
//! ```

use super::super::tools;
use super::super::{as_run, cache_mount_targets, simple_commands, Context, Finding};

pub const ID: &str = "apt-no-cleanup";
pub const SUMMARY: &str =
    "apt-get update + install without `rm -rf /var/lib/apt/lists/*` or an apt cache mount";

/// Whether a removed path deletes the apt lists (`/var/lib/apt/lists/*`, or a parent).
pub fn removes_apt_lists(path: &str) -> bool {
    let p = path.trim_end_matches('*').trim_end_matches('/');
    matches!(p, "/var/lib/apt/lists" | "/var/lib/apt" | "/var/lib")
        || p.starts_with("/var/lib/apt/lists")
}

pub fn check(cx: &Context) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (_, command) in cx.commands() {
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
            t.trim_end_matches('/').starts_with("/var/lib/apt")
                || t.trim_end_matches('/').starts_with("/var/cache/apt")
        });
        if cleaned || cached {
            continue;
        }
        findings.push(Finding {
            rule: ID,
            spans: vec![command.span],
            message: format!(
                "`{} install` after `update` leaves the downloaded package lists in this layer",
                install.program()
            ),
            fix: "end the RUN with `&& rm -rf /var/lib/apt/lists/*`, or mount /var/cache/apt and /var/lib/apt/lists \
                  as caches (`--mount=type=cache,target=/var/lib/apt/lists,sharing=locked`; `dfopt rewrite` adds them)"
                .to_string(),
        });
    }
    findings
}
