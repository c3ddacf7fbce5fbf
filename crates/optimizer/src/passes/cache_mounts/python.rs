//! Python's package managers: pip, uv, poetry (optimization-safety.md §1.4).
//!
//! - **pip** (`pip`, `pip3`, `python -m pip`): the cache directory (from
//!   `PIP_CACHE_DIR`, `XDG_CACHE_HOME`, `$HOME`). Every `--no-cache-dir`
//!   becomes `--cache-dir=<mount>`: a command-line option beats
//!   `PIP_NO_CACHE_DIR`, `PIP_CACHE_DIR` and `pip.conf`, so the cache is
//!   really used and can only land in the mount — never in the image, as
//!   before. Calls without the flag keep writing where they wrote (the mount
//!   when the location was computed right, else the same place as before).
//!   When `pip cache purge|remove` is dropped, every pip call of the RUN also
//!   gets `--cache-dir=<mount>`, so what the cleanup removed can only have
//!   gone to the mount. Not fired when a call passes its own `--cache-dir`,
//!   when `PIP_NO_CACHE_DIR` turns the cache off and no call is redirected,
//!   or when `pip config set` moves the cache.
//! - **uv**: like pip: `--no-cache` becomes `--cache-dir=<mount>`, `uv cache
//!   clean` is dropped and then every uv call gets `--cache-dir=<mount>` (a
//!   `-n` short flag, its own `--cache-dir`, a dynamic argument, or
//!   `UV_NO_CACHE` makes the pass decline). uv copies instead of hard-linking across the mount (it warns;
//!   the result is the same).
//! - **poetry**: only `<cache>/cache` and `<cache>/artifacts`, never the cache
//!   root, whose `virtualenvs/` holds installed environments; `poetry cache
//!   clear` is dropped (when the location is known). Not fired when every
//!   install-like call passes `--no-cache`.

use super::mount_plans::{dir_index, Drop};
use super::tool_family::{versioned, Call, Command, Family, Found, ToolSpec};
use crate::cache_dirs::Tool;

pub(super) const FAMILY: Family = Family::of(
    &[
        ToolSpec {
            off_var: Some("PIP_NO_CACHE_DIR"),
            config_keys: &["cache-dir", "cache_dir"],
            config_marks: &["global.cache-dir", "global.no-cache-dir"],
            cleanup_sure: true,
            ..ToolSpec::plain(
                Tool::Pip,
                &[
                    Command::versioned("pip", true),
                    // `python -m pip`: read here, without the shared checks.
                    Command::versioned("python", false),
                ],
            )
        },
        ToolSpec {
            off_var: Some("UV_NO_CACHE"),
            cleanup_sure: true,
            ..ToolSpec::plain(Tool::Uv, &[Command::checked("uv")])
        },
        ToolSpec::plain(Tool::Poetry, &[Command::checked("poetry")]),
    ],
    &["pip", "uv ", "poetry"],
    detect,
);

fn detect(calls: &[Call<'_>], found: &mut Found) {
    for call in calls {
        match call.tool {
            Tool::Pip => pip(call, found),
            Tool::Uv => uv(call, found),
            _ => poetry(call, found),
        }
    }
}

fn pip(call: &Call<'_>, found: &mut Found) {
    let args = call.tokens();
    let pip_args: &[(usize, Option<String>)] = if versioned(&call.name, "pip") {
        &args
    } else {
        // python [-u|-B|-I|-E|-s|-O] -m pip …
        let mut k = 0;
        while k < args.len()
            && args[k].1.as_deref().is_some_and(|a| {
                matches!(a, "-u" | "-B" | "-I" | "-E" | "-s" | "-O" | "-OO" | "-q")
            })
        {
            k += 1;
        }
        if args.get(k).and_then(|a| a.1.as_deref()) == Some("-m")
            && args.get(k + 1).and_then(|a| a.1.as_deref()) == Some("pip")
        {
            &args[k + 2..]
        } else {
            return;
        }
    };
    let sub_at = pip_args
        .iter()
        .find(|(_, a)| a.as_deref().is_some_and(|a| !a.starts_with('-')));
    let sub = sub_at.and_then(|(_, a)| a.clone());
    let pip = dir_index("pip");
    if pip_args.iter().any(|(_, a)| {
        a.as_deref()
            .is_some_and(|a| a == "--cache-dir" || a.starts_with("--cache-dir="))
    }) {
        found.decline(Tool::Pip);
        return;
    }
    let mut uses_cache_anyway = false;
    let p = found.plan(Tool::Pip);
    match sub.as_deref() {
        Some("cache") => {
            let action = pip_args
                .iter()
                .filter_map(|(_, a)| a.as_deref())
                .find(|a| *a != "cache" && !a.starts_with('-'));
            if matches!(action, Some("purge" | "remove")) {
                p.drops.push(Drop {
                    cmd: call.index,
                    requires: vec![pip],
                });
            }
        }
        Some("install" | "download" | "wheel") => {
            if let Some((sub_tok, _)) = sub_at {
                if !pip_args
                    .iter()
                    .any(|(_, a)| a.as_deref() == Some("--no-cache-dir"))
                {
                    p.redirects
                        .push(call.insert_after(*sub_tok, " --cache-dir=@pip@", vec![pip]));
                }
            }
            for (tok, a) in pip_args {
                if a.as_deref() == Some("--no-cache-dir") {
                    uses_cache_anyway = true;
                    p.edits
                        .push(call.replace(*tok, "--cache-dir=@pip@", vec![pip]));
                    if !p.why.iter().any(|w| w.contains("--no-cache-dir")) {
                        p.why.push("`--no-cache-dir` became `--cache-dir=<mount>`: the command-line option beats PIP_CACHE_DIR, PIP_NO_CACHE_DIR and pip.conf, so the cache is used and can only land in the mount, never in the image.".into());
                    }
                }
            }
        }
        _ => {}
    }
    if uses_cache_anyway {
        found.uses_cache_anyway(Tool::Pip);
    }
}

fn uv(call: &Call<'_>, found: &mut Found) {
    let args = call.tokens();
    if args.iter().any(|(_, a)| {
        a.as_deref()
            .is_none_or(|a| a == "-n" || a.starts_with("--cache-dir"))
    }) {
        found.decline(Tool::Uv);
        return;
    }
    let words: Vec<&str> = args
        .iter()
        .filter_map(|(_, a)| a.as_deref())
        .filter(|a| !a.starts_with('-'))
        .collect();
    let uv = dir_index("uv");
    if found.is_disabled(Tool::Uv) {
        // `UV_NO_CACHE` wins over `--cache-dir`: uv would use a temporary cache.
        found.decline(Tool::Uv);
        return;
    }
    let p = found.plan(Tool::Uv);
    if words.first() == Some(&"cache") {
        if words.get(1) == Some(&"clean") {
            p.drops.push(Drop {
                cmd: call.index,
                requires: vec![uv],
            });
        }
        return;
    }
    if !args.iter().any(|(_, a)| a.as_deref() == Some("--no-cache")) {
        p.redirects
            .push(call.insert_after_name(" --cache-dir=@uv@", vec![uv]));
    }
    for (tok, a) in &args {
        if a.as_deref() == Some("--no-cache") {
            p.edits
                .push(call.replace(*tok, "--cache-dir=@uv@", vec![uv]));
            if p.why.is_empty() {
                p.why.push(
                    "`--no-cache` became `--cache-dir=<mount>`, so uv caches into the mount only."
                        .into(),
                );
            }
        }
    }
}

fn poetry(call: &Call<'_>, found: &mut Found) {
    let (sub, args) = call.sub_and_args(&["-C", "--directory", "-P", "--project"]);
    found.plan(Tool::Poetry);
    if matches!(
        sub.as_deref(),
        Some("install" | "add" | "update" | "lock" | "sync")
    ) {
        let off = args.iter().any(|(_, a)| a.as_deref() == Some("--no-cache"));
        found.count_install(Tool::Poetry, off);
    }
    if sub.as_deref() == Some("cache") && args.iter().any(|(_, a)| a.as_deref() == Some("clear")) {
        found.plan(Tool::Poetry).drops.push(Drop {
            cmd: call.index,
            requires: vec![dir_index("poetry-cache"), dir_index("poetry-artifacts")],
        });
    }
}
