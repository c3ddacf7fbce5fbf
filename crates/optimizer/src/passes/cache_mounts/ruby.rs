//! Ruby's bundler and gem (state; optimization-safety.md §1.4).
//!
//! - `$GEM_HOME/cache`, the downloaded `.gem` files of `gem install` and
//!   `bundle install`, next to the installed gems (`gems/`). Only with a
//!   known `GEM_HOME` (the official ruby image sets `/usr/local/bundle`).
//! - Not fired when the gems go elsewhere (`BUNDLE_PATH`,
//!   `BUNDLE_DEPLOYMENT`, `bundle install --path|--deployment|--standalone
//!   |--system`, `bundle config … path`, `gem install -i|--install-dir
//!   |--user-install`), when a RUN copies the cache out (`bundle cache`,
//!   `bundle package`), or a call has a dynamic argument.
//! - `--local` counts as offline.

use super::tool_family::{env_set, Call, Command, Family, Found, ToolSpec, Use};
use crate::cache_dirs::Tool;

pub(super) const FAMILY: Family = Family::of(
    &[ToolSpec::plain(
        Tool::Bundler,
        &[
            Command::checked("bundle"),
            Command::checked("bundler"),
            Command::checked("gem"),
        ],
    )],
    &["bundle", "gem "],
    detect,
);

fn detect(calls: &[Call<'_>], found: &mut Found) {
    found.take_each(calls, bundler);
}

fn bundler(call: &Call<'_>) -> Use {
    let falses = ["", "0", "false", "no"];
    if env_set(call.facts, "BUNDLE_PATH", &falses)
        || env_set(call.facts, "BUNDLE_DEPLOYMENT", &falses)
    {
        return Use::Decline;
    }
    let w = call.words();
    if w.iter().any(|a| a == "$") {
        return Use::Decline;
    }
    let (sub, _) = call.sub_and_args(&["--gemfile", "-i", "--install-dir", "-v", "--version"]);
    let sub = sub.unwrap_or_default();
    let has = |opts: &[&str]| {
        w.iter().any(|a| {
            opts.iter()
                .any(|o| a == o || a.starts_with(&format!("{o}=")))
        })
    };
    let offline = has(&["--local", "-l"]);
    if call.name == "gem" {
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
