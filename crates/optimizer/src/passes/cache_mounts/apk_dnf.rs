//! Alpine's apk and Fedora's dnf (root only, `sharing=locked`;
//! optimization-safety.md §1.4).
//!
//! - **apk**: `/var/cache/apk`, only when every `apk add|upgrade|fix`
//!   fetches a fresh index in the RUN (`--no-cache`, `-U`, or an earlier
//!   `apk update`) and the original left no cache behind (`--no-cache`
//!   everywhere, or the RUN surely deletes `/var/cache/apk/*` or surely runs
//!   `apk cache clean`, after the last call that writes the index there:
//!   `apk update`, or `-U` without `--no-cache`). "Surely" is
//!   `Script::always_runs` (the `shell` module): a cleanup under `if`,
//!   `case`, a loop or a condition may not run. apk caches packages only when told where: each call gets
//!   `--cache-dir /var/cache/apk` and `--no-cache` becomes `--update-cache`
//!   (same freshness). `apk cache clean|purge` and deletions inside are
//!   dropped. Not fired when a call passes its own `--cache-dir`.
//! - **dnf/dnf5** (`dnf`, `dnf5`, `dnf-3`): `/var/cache/dnf` and
//!   `/var/cache/libdnf5`; install-like calls get `--setopt=keepcache=1
//!   --refresh` (keep packages; fetch metadata as fresh as an empty cache
//!   would); `dnf clean …` is dropped. `yum` and `microdnf` are not handled
//!   (yum 3 has no `--refresh`).
//! - Neither with `--network=none`. `xx-apk` (tonistiigi/xx) rewrites its
//!   arguments and maintains its own sources: it gets nothing.

use super::cache_deletions::surely_deletes_inside;
use super::mount_plans::{dir_index, Drop, RunPlan};
use super::tool_family::{Call, Command, Family, Found, ToolSpec};
use crate::cache_dirs::Tool;

pub(super) const FAMILY: Family = Family {
    tools: &[
        ToolSpec {
            cleanup_sure: true,
            ..ToolSpec::plain(Tool::Apk, &[Command::unchecked("apk")])
        },
        ToolSpec {
            cleanup_sure: true,
            ..ToolSpec::plain(
                Tool::Dnf,
                &[
                    Command::unchecked("dnf"),
                    Command::unchecked("dnf5"),
                    Command::unchecked("dnf-3"),
                ],
            )
        },
    ],
    hints: &["apk ", "dnf"],
    system: true,
    detect,
    settle: Some(settle),
};

/// An `apk` call: its subcommand when it uses the index, whether it
/// refreshes the index itself, and whether it has `--no-cache`.
type ApkCall = (Option<String>, bool, bool);

fn detect(calls: &[Call<'_>], found: &mut Found) {
    let mut apk_calls: Vec<ApkCall> = Vec::new();
    for call in calls {
        match call.tool {
            Tool::Apk => apk(call, found, &mut apk_calls),
            _ => dnf(call, found),
        }
    }
    apk_settle_calls(found, &apk_calls);
}

fn apk(call: &Call<'_>, found: &mut Found, apk_calls: &mut Vec<ApkCall>) {
    let (sub, args) = call.sub_and_args(&[
        "-X",
        "--repository",
        "-p",
        "--root",
        "--cache-dir",
        "--arch",
        "--keys-dir",
    ]);
    if args
        .iter()
        .any(|(_, a)| a.as_deref().is_none_or(|a| a.starts_with("--cache-dir")))
    {
        found.decline(Tool::Apk);
        return;
    }
    let apk = dir_index("apk");
    let p = found.plan(Tool::Apk);
    let sub = sub.unwrap_or_default();
    let no_cache = args.iter().any(|(_, a)| a.as_deref() == Some("--no-cache"));
    let update = args
        .iter()
        .any(|(_, a)| matches!(a.as_deref(), Some("-U" | "--update-cache")));
    // `apk update`, or `-U` without `--no-cache`, writes the index into the cache.
    if sub == "update" || (update && !no_cache) {
        p.last_writer = Some(call.index);
    }
    match sub.as_str() {
        "cache"
            if args
                .iter()
                .any(|(_, a)| matches!(a.as_deref(), Some("clean" | "purge"))) =>
        {
            p.drops.push(Drop {
                cmd: call.index,
                requires: vec![apk],
            });
        }
        "add" | "upgrade" | "fix" | "update" => {
            apk_calls.push((Some(sub.clone()), no_cache || update, no_cache));
            p.edits
                .push(call.insert_after_name(" --cache-dir /var/cache/apk", vec![apk]));
            for (tok, a) in &args {
                if a.as_deref() == Some("--no-cache") && sub != "update" {
                    p.edits
                        .push(call.replace(*tok, "--update-cache", vec![apk]));
                }
            }
        }
        _ => apk_calls.push((None, false, no_cache)),
    }
}

/// apk: every index-using call refreshes, and the original left no cache.
fn apk_settle_calls(found: &mut Found, apk_calls: &[ApkCall]) {
    let Some(p) = found.planned(Tool::Apk) else {
        return;
    };
    let mut updated = false;
    let mut fresh = true;
    let mut any_use = false;
    let mut all_no_cache = true;
    for (sub, refreshes, no_cache) in apk_calls {
        match sub.as_deref() {
            Some("update") => {
                updated = true;
                all_no_cache = false;
            }
            Some(_) => {
                any_use = true;
                fresh &= *refreshes || updated;
                all_no_cache &= *no_cache;
            }
            None => {}
        }
    }
    if !any_use || !fresh {
        p.wants.clear();
    } else {
        p.why.push(if all_no_cache {
            "apk caches packages only when given a cache directory: each call gets `--cache-dir /var/cache/apk`, and `--no-cache` became `--update-cache` (the index is still fetched fresh).".into()
        } else {
            "apk caches packages only when given a cache directory: each call gets `--cache-dir /var/cache/apk`.".into()
        });
        p.needs_cleanup = !all_no_cache;
    }
}

/// apk only when the original left no cache: `--no-cache` everywhere, or
/// the RUN surely cleans the cache (a deletion inside it, `apk cache
/// clean`) after the last call that writes the index there.
fn settle(plan: &mut RunPlan) {
    let apk = dir_index("apk");
    let last_writer = plan
        .tools
        .iter()
        .find(|t| t.tool == Tool::Apk)
        .and_then(|t| t.last_writer);
    let after = |ci: usize| last_writer.is_none_or(|w| ci > w);
    let cleaned = plan
        .targets
        .get(&apk)
        .is_some_and(|t| surely_deletes_inside(&plan.deletions, t, last_writer))
        || plan.tools.iter().any(|t| {
            t.tool == Tool::Apk
                && t.drops
                    .iter()
                    .any(|d| after(d.cmd) && plan.script.always_runs(d.cmd))
        });
    for t in &mut plan.tools {
        if t.tool == Tool::Apk && t.needs_cleanup && !cleaned {
            t.wants.clear();
        }
    }
}

fn dnf(call: &Call<'_>, found: &mut Found) {
    let (sub, _) = call.sub_and_args(&[
        "--setopt",
        "-c",
        "--config",
        "--releasever",
        "--installroot",
        "-d",
        "-e",
        "--repo",
        "--enablerepo",
        "--disablerepo",
    ]);
    let dnf = dir_index("dnf");
    let dnf5 = dir_index("libdnf5");
    let p = found.plan(Tool::Dnf);
    let sub = sub.unwrap_or_default();
    if sub == "clean" {
        p.drops.push(Drop {
            cmd: call.index,
            requires: vec![dnf, dnf5],
        });
    } else if matches!(
        sub.as_str(),
        "install"
            | "upgrade"
            | "update"
            | "reinstall"
            | "downgrade"
            | "groupinstall"
            | "group"
            | "distro-sync"
            | "builddep"
            | "makecache"
            | "module"
            | "swap"
    ) {
        p.edits
            .push(call.insert_after_name(" --setopt=keepcache=1 --refresh", vec![dnf, dnf5]));
    }
}
