//! `cache-mounts` for bundler/gem, composer and dotnet: which calls use the
//! cache, which turn it off or move it, and which prefetch.
//!
//! - **bundler/gem** (state: `$GEM_HOME/cache`, the downloaded `.gem`
//!   files, next to the installed gems). Only with a known `GEM_HOME` (the
//!   official ruby image sets it). Not fired when the gems go elsewhere
//!   (`BUNDLE_PATH`, `BUNDLE_DEPLOYMENT`, `bundle install --path|--deployment
//!   |--standalone`, `bundle config … path`, `gem install -i`), when a RUN
//!   copies the cache out (`bundle cache`/`bundle package`), and counted as
//!   offline for `--local`.
//! - **composer** (`COMPOSER_CACHE_DIR`, else `$COMPOSER_HOME/cache`; the
//!   official composer image sets `COMPOSER_HOME=/tmp`). Without either
//!   variable the place depends on the image, so no mount (reported). Not
//!   fired when every install-like call has `--no-cache`, when the RUN runs
//!   `composer clear-cache` (it would empty the mount, and the cache-dir a
//!   `composer.json` names is not visible here), or a call sets `cache-dir`.
//! - **dotnet** (state: NuGet's global packages folder, `NUGET_PACKAGES` or
//!   `~/.nuget/packages`): `dotnet restore` prefetches for the later
//!   `build`/`publish`. Not fired when a call passes `--packages`, or runs
//!   `dotnet nuget locals` (it clears folders the pass does not mount).
//! - **conda/mamba/micromamba** (state: the package cache `pkgs/` of the
//!   root prefix, from `CONDA_PKGS_DIRS`, `MAMBA_ROOT_PREFIX` or `CONDA_DIR`;
//!   `sharing=locked`, the tools lock it). `clean` with only cache flags
//!   (`-afy`, `--all`, `--tarballs`, `--packages`, `--index-cache`,
//!   `--force-pkgs-dirs`) is dropped when it is mounted: it emptied exactly
//!   that directory. `--offline` counts as offline; a call with `-p`/`--prefix`
//!   or `-r`/`--root-prefix` elsewhere still uses the same package cache.

use std::collections::{BTreeMap, BTreeSet};

use super::{dir_index, sub_and_args, tool_plan, Drop, ToolPlan};
use crate::cache_dirs::Tool;
use crate::facts::CmdFacts;
use crate::shell::{Script, SimpleCmd};

/// What one call of these tools means for the plan.
pub(super) struct Calls<'a> {
    pub plans: &'a mut BTreeMap<Tool, ToolPlan>,
    pub declined: &'a mut BTreeSet<Tool>,
    /// Per tool: install-like calls, and those that turn the cache off.
    pub cache_off_calls: &'a mut BTreeMap<Tool, (usize, usize)>,
}

/// A value of the environment set to something other than an explicit
/// false (unknown counts as set).
fn env_set(facts: &CmdFacts, var: &str) -> bool {
    match facts.env.value(var) {
        Ok(None) => false,
        Ok(Some(v)) => !matches!(v.to_ascii_lowercase().as_str(), "" | "0" | "false" | "no"),
        Err(()) => true,
    }
}

/// Handles a call of bundler, gem, composer or dotnet; false when the
/// command is none of them.
pub(super) fn detect_call(
    script: &Script,
    c: &SimpleCmd,
    ci: usize,
    name: &str,
    facts: &CmdFacts,
    calls: &mut Calls<'_>,
) -> bool {
    let (tool, known) = match name {
        "bundle" | "bundler" | "gem" => (Tool::Bundler, bundler(script, c, name, facts)),
        "composer" | "composer.phar" => (Tool::Composer, composer(script, c, calls)),
        "dotnet" => (Tool::Dotnet, dotnet(script, c)),
        "conda" | "mamba" | "micromamba" => {
            let u = conda(script, c);
            if let Use::Clean = u {
                let p = calls
                    .plans
                    .entry(Tool::Conda)
                    .or_insert_with(|| tool_plan(Tool::Conda));
                p.drops.push(Drop {
                    cmd: ci,
                    requires: vec![dir_index("conda-pkgs")],
                });
                return true;
            }
            (Tool::Conda, u)
        }
        _ => return false,
    };
    match known {
        Use::Clean => {}
        Use::Decline => {
            calls.declined.insert(tool);
        }
        Use::Uses { prefetch, offline } => {
            let p = calls.plans.entry(tool).or_insert_with(|| tool_plan(tool));
            p.prefetch |= prefetch;
            p.offline |= offline;
        }
        Use::None => {}
    }
    true
}

enum Use {
    /// The call does not touch the cache.
    None,
    /// The call uses the cache.
    Uses { prefetch: bool, offline: bool },
    /// The tool's cache must not be mounted in this RUN.
    Decline,
    /// A cleanup that empties exactly the cache directory.
    Clean,
}

fn words(script: &Script, c: &SimpleCmd) -> Vec<String> {
    // A dynamic word may be any option: `$` stands for it.
    script
        .args(c)
        .into_iter()
        .map(|a| a.unwrap_or_else(|| "$".into()))
        .collect()
}

fn bundler(script: &Script, c: &SimpleCmd, name: &str, facts: &CmdFacts) -> Use {
    if env_set(facts, "BUNDLE_PATH") || env_set(facts, "BUNDLE_DEPLOYMENT") {
        return Use::Decline;
    }
    let w = words(script, c);
    if w.iter().any(|a| a == "$") {
        return Use::Decline;
    }
    let (sub, _) = sub_and_args(
        script,
        c,
        &["--gemfile", "-i", "--install-dir", "-v", "--version"],
    );
    let sub = sub.unwrap_or_default();
    let has = |opts: &[&str]| {
        w.iter().any(|a| {
            opts.iter()
                .any(|o| a == o || a.starts_with(&format!("{o}=")))
        })
    };
    let offline = has(&["--local", "-l"]);
    if name == "gem" {
        return match sub.as_str() {
            "install" | "update" => {
                if has(&["-i", "--install-dir", "--user-install", "--no-install-dir"]) {
                    Use::Decline
                } else {
                    Use::Uses {
                        prefetch: false,
                        offline,
                    }
                }
            }
            _ => Use::None,
        };
    }
    match sub.as_str() {
        "install" | "update" | "add" | "lock" | "" => {
            if has(&["--path", "--deployment", "--standalone", "--system"]) {
                Use::Decline
            } else {
                Use::Uses {
                    prefetch: false,
                    offline,
                }
            }
        }
        "config"
            if w.iter()
                .any(|a| a.contains("path") || a.contains("deployment")) =>
        {
            Use::Decline
        }
        "cache" | "package" | "pack" => Use::Decline,
        _ => Use::None,
    }
}

fn composer(script: &Script, c: &SimpleCmd, calls: &mut Calls<'_>) -> Use {
    let w = words(script, c);
    if w.iter().any(|a| a == "$" || a.contains("cache-dir")) {
        return Use::Decline;
    }
    let (sub, _) = sub_and_args(script, c, &["-d", "--working-dir"]);
    let sub = sub.unwrap_or_default();
    match sub.as_str() {
        "clear-cache" | "clearcache" | "cc" => Use::Decline,
        "install" | "i" | "update" | "u" | "upgrade" | "require" | "r" | "create-project"
        | "global" | "reinstall" | "remove" | "rm" => {
            let entry = calls.cache_off_calls.entry(Tool::Composer).or_default();
            entry.0 += 1;
            if w.iter().any(|a| a == "--no-cache") {
                entry.1 += 1;
            }
            Use::Uses {
                prefetch: false,
                offline: false,
            }
        }
        _ => Use::None,
    }
}

fn dotnet(script: &Script, c: &SimpleCmd) -> Use {
    let w = words(script, c);
    if w.iter()
        .any(|a| a == "$" || a == "--packages" || a.starts_with("--packages="))
    {
        return Use::Decline;
    }
    let (sub, _) = sub_and_args(
        script,
        c,
        &[
            "-c",
            "--configuration",
            "-r",
            "--runtime",
            "-o",
            "--output",
            "-f",
            "--framework",
            "-s",
            "--source",
            "-v",
            "--verbosity",
            "-p",
            "--project",
        ],
    );
    let sub = sub.unwrap_or_default();
    match sub.as_str() {
        "nuget" if w.iter().any(|a| a == "locals") => Use::Decline,
        "restore" => Use::Uses {
            prefetch: true,
            offline: false,
        },
        "build" | "publish" | "test" | "pack" | "run" | "add" | "tool" | "msbuild" | "workload"
        | "nuget" | "new" | "sln" | "store" => Use::Uses {
            prefetch: false,
            offline: false,
        },
        _ => Use::None,
    }
}

fn conda(script: &Script, c: &SimpleCmd) -> Use {
    let w = words(script, c);
    if w.iter()
        .any(|a| a == "$" || a.contains("pkgs_dirs") || a.contains("pkgs-dirs"))
    {
        return Use::Decline;
    }
    let (sub, _) = sub_and_args(
        script,
        c,
        &[
            "-n",
            "--name",
            "-p",
            "--prefix",
            "-c",
            "--channel",
            "-f",
            "--file",
            "-r",
            "--root-prefix",
        ],
    );
    let sub = sub.unwrap_or_default();
    let offline = w.iter().any(|a| a == "--offline");
    match sub.as_str() {
        "clean" => {
            let only_cache = w.iter().filter(|a| *a != "clean").all(|a| {
                matches!(
                    a.as_str(),
                    "--all"
                        | "--tarballs"
                        | "--packages"
                        | "--index-cache"
                        | "--force-pkgs-dirs"
                        | "--yes"
                        | "--quiet"
                ) || (a.starts_with('-')
                    && !a.starts_with("--")
                    && a.len() > 1
                    && a[1..].chars().all(|ch| "aptifyq".contains(ch)))
            });
            if only_cache {
                Use::Clean
            } else {
                Use::Decline
            }
        }
        "install" | "create" | "update" | "upgrade" | "env" | "self-update" => Use::Uses {
            prefetch: false,
            offline,
        },
        _ => Use::None,
    }
}
