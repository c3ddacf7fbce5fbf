//! `CleanupInSeparateRun`: a RUN that deletes a package manager's cache or
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
//! yarn (`yarn cache clean`), go (`go clean -cache|-modcache`); their directories
//! are those of the optimizer's table (plus `/var/cache/yum`, which it has not),
//! also written with `~`, `$HOME` or `${HOME}` for the ones under `/root`.

use dfopt_dockerfile::instructions::Command;
use dfopt_dockerfile::LineIndex;

use super::shell::SimpleCommand;
use super::tools;
use super::{simple_commands, Input};
use crate::check::Sink;
use crate::rule::Rule;

pub static RULE: Rule = Rule::new(
    "CleanupInSeparateRun",
    "Caches deleted in a later RUN than the one that filled them (the layer does not shrink)",
    "https://docs.docker.com/build/building/best-practices/#apt-get",
);

/// A cache: its directories, the commands that empty it, the commands that fill it.
struct Cache {
    name: &'static str,
    /// Names of its directories in the optimizer's table.
    dirs: &'static [&'static str],
    /// Directories the table does not list.
    extra: &'static [&'static str],
    cleans: fn(&SimpleCommand) -> bool,
    fills: fn(&SimpleCommand) -> bool,
}

fn sub(c: &SimpleCommand) -> Option<&str> {
    c.subcommand(&["-o", "-c"])
}

const CACHES: [Cache; 8] = [
    Cache {
        name: "the apt package lists",
        dirs: &["apt-lists"],
        extra: &[],
        cleans: |_| false,
        fills: tools::is_apt_update,
    },
    Cache {
        name: "the apt package cache",
        dirs: &["apt-cache"],
        extra: &[],
        cleans: |c| matches!(tools::apt_subcommand(c), Some("clean" | "autoclean")),
        fills: tools::is_apt_install,
    },
    Cache {
        name: "the apk cache",
        dirs: &["apk"],
        extra: &[],
        cleans: |c| c.program() == "apk" && sub(c) == Some("cache") && c.has("clean"),
        fills: |c| c.program() == "apk" && matches!(sub(c), Some("add" | "update" | "upgrade")),
    },
    Cache {
        name: "the yum/dnf cache",
        dirs: &["dnf", "libdnf5"],
        extra: &["/var/cache/yum"],
        cleans: |c| matches!(c.program(), "yum" | "dnf" | "microdnf") && sub(c) == Some("clean"),
        fills: |c| {
            matches!(c.program(), "yum" | "dnf" | "microdnf")
                && matches!(sub(c), Some("install" | "update" | "upgrade" | "makecache"))
        },
    },
    Cache {
        name: "the pip cache",
        dirs: &["pip"],
        extra: &[],
        cleans: |c| {
            (c.program().starts_with("pip") || c.program().starts_with("python"))
                && c.has("cache")
                && (c.has("purge") || c.has("remove"))
        },
        fills: |c| tools::pip_install_args(c).is_some(),
    },
    Cache {
        name: "the npm cache",
        dirs: &["npm"],
        extra: &[],
        cleans: |c| c.program() == "npm" && sub(c) == Some("cache") && c.has("clean"),
        fills: |c| c.program() == "npm" && matches!(sub(c), Some("install" | "i" | "ci" | "add")),
    },
    Cache {
        name: "the yarn cache",
        dirs: &["yarn"],
        extra: &[],
        cleans: |c| c.program() == "yarn" && sub(c) == Some("cache") && c.has("clean"),
        fills: |c| c.program() == "yarn" && matches!(sub(c), None | Some("install" | "add")),
    },
    Cache {
        name: "the go caches",
        dirs: &["go-build", "go-mod"],
        extra: &[],
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

impl Cache {
    /// Its directories as a script may write them.
    fn paths(&self) -> Vec<String> {
        let mut out: Vec<String> = self.extra.iter().map(|p| p.to_string()).collect();
        for dir in self.dirs.iter().filter_map(|name| tools::cache_dir(name)) {
            for path in dir.defaults {
                out.push(path.to_string());
                if let Some(rest) = path.strip_prefix("/root/") {
                    for home in ["~", "$HOME", "${HOME}"] {
                        out.push(format!("{home}/{rest}"));
                    }
                }
            }
        }
        out
    }
}

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
    let paths = cache.paths();
    for c in commands {
        if (cache.cleans)(c) {
            return Some(c.words.join(" "));
        }
        if tools::removed_paths(c)
            .iter()
            .any(|p| paths.iter().any(|cp| covers(p, cp)))
        {
            return Some(c.words.join(" "));
        }
    }
    None
}

pub fn check(input: &Input, sink: &mut Sink<'_>) {
    let index = LineIndex::new(input.source);
    for stage in input.stages() {
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
                sink.report_at_with_fix(
                    &command.comments,
                    vec![command.span, filler.span],
                    format!(
                        "`{cleanup}` deletes {} in a later RUN than the one that filled them (line {line}): the earlier layer keeps the files",
                        cache.name
                    ),
                    format!(
                        "do the cleanup at the end of the RUN on line {line} (`… && {cleanup}`), or keep the cache in a `--mount=type=cache`"
                    ),
                );
            }
        }
    }
}
