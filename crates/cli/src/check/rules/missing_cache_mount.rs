//! `missing-cache-mount`: pip, npm, yarn, pnpm and go downloads without a
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
//! A RUN counts as covered for a tool when one of its cache mounts targets the
//! tool's cache (`…/pip`, `…/.npm`, `…yarn…`, `…pnpm…`, `…/go-build`,
//! `…/pkg/mod`, or `~/.cache` as a whole). apt is the `apt-no-cleanup` rule's.

use super::super::tools::{self, Tool};
use super::super::{as_run, cache_mount_targets, simple_commands, Context, Finding};

pub const ID: &str = "missing-cache-mount";
pub const SUMMARY: &str = "pip/npm/yarn/pnpm/go downloads without a `--mount=type=cache`";

/// The suggested mount targets (root user, official images) and what a target must contain.
fn cache_of(tool: Tool) -> Option<(&'static [&'static str], &'static [&'static str])> {
    Some(match tool {
        Tool::Pip => (&["/root/.cache/pip"], &["pip"]),
        Tool::Npm => (&["/root/.npm"], &["npm"]),
        Tool::Yarn => (&["/usr/local/share/.cache/yarn"], &["yarn"]),
        Tool::Pnpm => (&["/root/.local/share/pnpm/store"], &["pnpm"]),
        Tool::Go => (
            &["/root/.cache/go-build", "/go/pkg/mod"],
            &["go-build", "pkg/mod"],
        ),
        _ => return None,
    })
}

pub fn check(cx: &Context) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (_, command) in cx.commands() {
        let Some(run) = as_run(command) else { continue };
        let targets = cache_mount_targets(run);
        let mut seen: Vec<Tool> = Vec::new();
        for c in simple_commands(command) {
            let Some(call) = tools::install_call(&c) else {
                continue;
            };
            let Some((suggested, markers)) = cache_of(call.tool) else {
                continue;
            };
            if seen.contains(&call.tool) {
                continue;
            }
            seen.push(call.tool);
            let covered = targets.iter().any(|t| {
                let t = t.trim_end_matches('/');
                markers.iter().any(|m| t.contains(m)) || t.ends_with("/.cache")
            });
            if covered {
                continue;
            }
            let mounts: Vec<String> = suggested
                .iter()
                .map(|t| format!("--mount=type=cache,target={t}"))
                .collect();
            findings.push(Finding {
                rule: ID,
                spans: vec![command.span],
                message: format!(
                    "`{}` has no cache mount: a rebuild downloads everything again",
                    call.what
                ),
                fix: format!(
                    "add `RUN {} …` (paths for root; `dfopt rewrite` adds the right ones)",
                    mounts.join(" ")
                ),
            });
        }
    }
    findings
}
