//! `cleanup-in-separate-run`: a RUN that deletes a package manager's cache or
//! lists that an earlier RUN of the stage filled.
//!
//! **Why.** Layers only add: deleting files in a later layer hides them but
//! does not make the earlier layer any smaller, so the image is as big as
//! before (plus a layer). The cleanup has to happen in the RUN that created
//! the files, or the files should live in a cache mount.
//!
//! **Example.**
//! ```dockerfile
//! RUN apt-get update && apt-get install -y curl
//! RUN rm -rf /var/lib/apt/lists/*          # finding: the lists stay in the layer above
//! ```
//! becomes
//! ```dockerfile
//! RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*
//! ```
//!
//! Caches recognised: apt lists and archives (`rm`, `apt-get clean`), apk,
//! yum/dnf (`yum clean all`), pip (`pip cache purge`), npm (`npm cache clean`),
//! yarn (`yarn cache clean`), go (`go clean -cache|-modcache`).

use dfopt_dockerfile::instructions::Command;
use dfopt_dockerfile::LineIndex;

use super::super::shell::SimpleCommand;
use super::super::tools;
use super::super::{simple_commands, Context, Finding};

pub const ID: &str = "cleanup-in-separate-run";
pub const SUMMARY: &str =
    "Caches deleted in a later RUN than the one that filled them (the layer does not shrink)";

/// A cache: its directories, the commands that empty it, the commands that fill it.
struct Cache {
    name: &'static str,
    paths: &'static [&'static str],
    cleans: fn(&SimpleCommand) -> bool,
    fills: fn(&SimpleCommand) -> bool,
}

fn sub(c: &SimpleCommand) -> Option<&str> {
    c.subcommand(&["-o", "-c"])
}

const CACHES: [Cache; 8] = [
    Cache {
        name: "the apt package lists",
        paths: &["/var/lib/apt/lists"],
        cleans: |_| false,
        fills: tools::is_apt_update,
    },
    Cache {
        name: "the apt package cache",
        paths: &["/var/cache/apt"],
        cleans: |c| matches!(tools::apt_subcommand(c), Some("clean" | "autoclean")),
        fills: tools::is_apt_install,
    },
    Cache {
        name: "the apk cache",
        paths: &["/var/cache/apk"],
        cleans: |c| c.program() == "apk" && sub(c) == Some("cache") && c.has("clean"),
        fills: |c| c.program() == "apk" && matches!(sub(c), Some("add" | "update" | "upgrade")),
    },
    Cache {
        name: "the yum/dnf cache",
        paths: &["/var/cache/yum", "/var/cache/dnf"],
        cleans: |c| matches!(c.program(), "yum" | "dnf" | "microdnf") && sub(c) == Some("clean"),
        fills: |c| {
            matches!(c.program(), "yum" | "dnf" | "microdnf")
                && matches!(sub(c), Some("install" | "update" | "upgrade" | "makecache"))
        },
    },
    Cache {
        name: "the pip cache",
        paths: &[
            "/root/.cache/pip",
            "~/.cache/pip",
            "$HOME/.cache/pip",
            "${HOME}/.cache/pip",
        ],
        cleans: |c| {
            (c.program().starts_with("pip") || c.program().starts_with("python"))
                && c.has("cache")
                && (c.has("purge") || c.has("remove"))
        },
        fills: |c| tools::pip_install_args(c).is_some(),
    },
    Cache {
        name: "the npm cache",
        paths: &["/root/.npm", "~/.npm", "$HOME/.npm", "${HOME}/.npm"],
        cleans: |c| c.program() == "npm" && sub(c) == Some("cache") && c.has("clean"),
        fills: |c| c.program() == "npm" && matches!(sub(c), Some("install" | "i" | "ci" | "add")),
    },
    Cache {
        name: "the yarn cache",
        paths: &["/usr/local/share/.cache/yarn"],
        cleans: |c| c.program() == "yarn" && sub(c) == Some("cache") && c.has("clean"),
        fills: |c| c.program() == "yarn" && matches!(sub(c), None | Some("install" | "add")),
    },
    Cache {
        name: "the go caches",
        paths: &["/root/.cache/go-build", "/go/pkg/mod"],
        cleans: |c| {
            c.program() == "go"
                && sub(c) == Some("clean")
                && (c.has("-cache") || c.has("-modcache"))
        },
        fills: |c| {
            c.program() == "go"
                && matches!(sub(c), Some("build" | "install" | "get" | "test" | "mod"))
        },
    },
];

/// Whether `rm <removed>` deletes `cache_path` or something inside it.
fn covers(removed: &str, cache_path: &str) -> bool {
    let r = removed.trim_end_matches('*').trim_end_matches('/');
    if r.is_empty() {
        return false;
    }
    r == cache_path
        || r.starts_with(&format!("{cache_path}/"))
        || (cache_path.starts_with(&format!("{r}/")) && r.matches('/').count() >= 2)
}

/// The cleanup in `commands` of `cache`, as written (for the message).
fn cleanup_of(commands: &[SimpleCommand], cache: &Cache) -> Option<String> {
    for c in commands {
        if (cache.cleans)(c) {
            return Some(c.words.join(" "));
        }
        if tools::removed_paths(c)
            .iter()
            .any(|p| cache.paths.iter().any(|cp| covers(p, cp)))
        {
            return Some(c.words.join(" "));
        }
    }
    None
}

pub fn check(cx: &Context) -> Vec<Finding> {
    let index = LineIndex::new(cx.source);
    let mut findings = Vec::new();
    for stage in &cx.ir.stages {
        let runs: Vec<(&Command, Vec<SimpleCommand>)> = stage
            .commands
            .iter()
            .map(|c| (c, simple_commands(c)))
            .filter(|(_, s)| !s.is_empty())
            .collect();
        for (i, (command, commands)) in runs.iter().enumerate() {
            for cache in &CACHES {
                let Some(cleanup) = cleanup_of(commands, cache) else {
                    continue;
                };
                if commands.iter().any(|c| (cache.fills)(c)) {
                    continue;
                }
                let filler = runs[..i].iter().rev().find(|(_, earlier)| {
                    earlier.iter().any(|c| (cache.fills)(c)) && cleanup_of(earlier, cache).is_none()
                });
                let Some((filler, _)) = filler else { continue };
                let line = index.lines(filler.span).0;
                findings.push(Finding {
                    rule: ID,
                    spans: vec![command.span, filler.span],
                    message: format!(
                        "`{cleanup}` deletes {} in a later RUN than the one that filled them (line {line}): the earlier layer keeps the files",
                        cache.name
                    ),
                    fix: format!(
                        "do the cleanup at the end of the RUN on line {line} (`… && {cleanup}`), or keep the cache in a `--mount=type=cache`"
                    ),
                });
            }
        }
    }
    findings
}
