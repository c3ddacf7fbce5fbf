//! apt and apt-get (root only, `sharing=locked`; optimization-safety.md §1.4).
//!
//! - `/var/cache/apt` for any install-like call; `/var/lib/apt/lists` only
//!   when the first apt call of the RUN is `update` and surely runs, *and* the
//!   RUN surely deletes the lists after the last command that writes them
//!   (`update`, `add-apt-repository`, even a conditional one), so neither
//!   this RUN nor any later step or child image relied on lists from the
//!   image (in `update; install a; rm lists; update; install b` the lists of
//!   the second `update` stay in the image, so they are not mounted). "Surely
//!   runs" is `Script::always_runs` (the `shell` module): a deletion under
//!   `if`, `case`, a loop or a condition (`[ -n "$SLIM" ] && rm …` before the
//!   end of the RUN) may not run, and the image keeps the lists.
//! - The Debian/Ubuntu `docker-clean` file runs `rm -f
//!   /var/cache/apt/archives/*.deb` after every dpkg call; instead of deleting
//!   or masking it (that would change `/etc` of the image or need a file to
//!   bind), every `apt-get`/`apt` call of the RUN gets `-o
//!   Dir::Cache::archives=/var/cache/apt/archives-dfopt/`: downloads go to a
//!   directory inside the mount that the hook's hard-coded globs do not match
//!   (apt creates it and its `partial/`), and `-o
//!   APT::Keep-Downloaded-Packages=true` stops the `apt` front end from
//!   deleting them itself. Command-line `-o` is applied after all config
//!   files, so it holds whatever `apt.conf.d` says. Calls the pass cannot see
//!   (inside scripts) just do not fill the cache.
//! - `apt-get clean` and deletions inside the mounted directories are dropped.
//! - Not fired for `--download-only` (the downloads are kept on purpose:
//!   state, not cache) nor `--no-download` (it installs from what is in the
//!   image's cache), nor with `--network=none`.
//! - `xx-apt-get` (tonistiigi/xx) rewrites its arguments (package names get
//!   the target architecture) and maintains its own sources: it gets nothing.

use super::cache_deletions::surely_deletes_inside;
use super::mount_plans::{dir_index, Drop, RunPlan};
use super::tool_family::{Call, Command, Family, Found, ToolSpec};
use crate::cache_dirs::Tool;
use crate::shell::{Script, SimpleCmd};

pub(super) const FAMILY: Family = Family {
    tools: &[ToolSpec {
        cleanup_sure: true,
        ..ToolSpec::plain(
            Tool::Apt,
            &[
                Command::unchecked("apt-get"),
                Command::unchecked("apt"),
                Command::unchecked("apt-cache"),
                Command::unchecked("aptitude"),
            ],
        )
    }],
    hints: &["apt-get", "apt "],
    system: true,
    detect,
    settle: Some(settle),
};

const APT_OPTIONS: &str =
    " -o Dir::Cache::archives=/var/cache/apt/archives-dfopt/ -o APT::Keep-Downloaded-Packages=true";

fn detect(calls: &[Call<'_>], found: &mut Found) {
    // The first apt call (`apt-get update`) and whether it surely runs.
    let mut first: Option<(String, bool)> = None;
    let mut uses = false;
    for call in calls {
        let (sub, apt_args) = call.sub_and_args(&[
            "-o",
            "-c",
            "-t",
            "-a",
            "--option",
            "--config-file",
            "--target-release",
            "--host-architecture",
        ]);
        let sub = sub.unwrap_or_default();
        // Downloads kept on purpose (for a later offline install) are
        // state, not cache; an install that must not download reads
        // them from the image's cache directory, which a mount would hide.
        if apt_args.iter().any(|(_, a)| {
            matches!(
                a.as_deref(),
                Some("-d" | "--download-only" | "--no-download")
            )
        }) {
            found.decline(Tool::Apt);
            continue;
        }
        first.get_or_insert_with(|| {
            (
                format!("{} {sub}", call.name),
                call.script.always_runs(call.index),
            )
        });
        if call.name == "apt-cache" || call.name == "aptitude" {
            continue;
        }
        let p = found.plan(Tool::Apt);
        if sub == "update" {
            p.last_writer = Some(call.index);
        }
        let cache = dir_index("apt-cache");
        if sub == "clean" {
            p.drops.push(Drop {
                cmd: call.index,
                requires: vec![cache],
            });
            continue;
        }
        if matches!(
            sub.as_str(),
            "install"
                | "upgrade"
                | "dist-upgrade"
                | "full-upgrade"
                | "build-dep"
                | "reinstall"
                | "satisfy"
        ) {
            uses = true;
        }
        p.edits
            .push(call.insert_after_name(APT_OPTIONS, vec![cache]));
    }
    // Mount only for install-like calls; the lists only after an update, when the RUN deletes them.
    let Some(p) = found.planned(Tool::Apt) else {
        return;
    };
    if !uses {
        p.wants.clear();
        return;
    }
    p.why.push(
        "Every apt-get/apt call gets `-o Dir::Cache::archives=/var/cache/apt/archives-dfopt/`, so the docker-clean hook of \
         Debian/Ubuntu images (it deletes /var/cache/apt/archives/*.deb after each dpkg run) cannot empty the cache and /etc \
         stays as it is; `-o APT::Keep-Downloaded-Packages=true` stops `apt` from deleting downloads itself."
            .into(),
    );
    let first_is_update =
        first.is_some_and(|(s, scoped)| (s == "apt-get update" || s == "apt update") && scoped);
    if !first_is_update {
        p.wants.retain(|&d| d != dir_index("apt-lists"));
    }
}

/// The lists stay out of the image only if the last command that writes
/// them (the last `update`, even a conditional one) is followed by their
/// deletion, and that deletion surely ran: in a merged RUN `update; install
/// a; rm lists` then `update; install b`, the second part's lists are in the
/// image, and a child image may `apt-get install` from them; in `…; if [
/// "$CLEAN" = 1 ]; then rm -rf lists/*; fi` they are there unless `CLEAN=1`.
fn settle(plan: &mut RunPlan) {
    let lists = dir_index("apt-lists");
    let apt_writer = plan
        .tools
        .iter()
        .find(|t| t.tool == Tool::Apt)
        .and_then(|t| t.last_writer);
    let other_writer = plan
        .script
        .cmds
        .iter()
        .enumerate()
        .rev()
        .find(|(_, c)| script_writes_lists(&plan.script, c))
        .map(|(ci, _)| ci);
    let last_writer = apt_writer.max(other_writer);
    let lists_deleted = plan
        .targets
        .get(&lists)
        .is_some_and(|t| surely_deletes_inside(&plan.deletions, t, last_writer));
    for t in plan.tools.iter_mut().filter(|t| t.tool == Tool::Apt) {
        if !lists_deleted {
            t.wants.retain(|&d| d != lists);
        }
        t.why.push(if t.wants.contains(&lists) {
            "The package lists are mounted too: the RUN downloads them first (`update`) and deletes them at the end, so nothing later relied on them."
        } else {
            "The package lists are not mounted: the RUN does not both download them first and delete them at the end."
        }.into());
    }
}

/// Commands other than apt's `update` that refresh the apt lists.
fn script_writes_lists(script: &Script, c: &SimpleCmd) -> bool {
    match script.base_name(c).as_deref() {
        Some("add-apt-repository") => !script
            .args(c)
            .iter()
            .any(|a| matches!(a.as_deref(), Some("-n" | "--no-update"))),
        Some("apt-add-repository") => true,
        _ => false,
    }
}
