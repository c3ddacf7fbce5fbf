//! Bundler: `bundle install` reads `Gemfile`, `Gemfile.lock` and the
//! project's `.bundle/config`; `bundle config set …` and `gem install
//! bundler` may come before it.
//!
//! Not tested on this pass's host (no Ruby); from Bundler's documentation:
//! without frozen or deployment mode `bundle install` writes Gemfile.lock
//! (it re-resolves gems whose Gemfile entry changed, and adds the platform
//! it runs on); `bundle config set` writes the project's `.bundle/config`
//! when run in a project (or `$BUNDLE_APP_CONFIG/config`); the options
//! Bundler 2 "remembers" (`--without`, `--deployment`, `--frozen`, …) are
//! written there too; deployment mode installs into `vendor/bundle` of the
//! project, and gems cached in `vendor/cache` are installed from there.
//!
//! The Gemfile is Ruby, read closed-world (`gemfile.rs`).

use super::context::{join, Checked, Decline, Reader};
use super::gemfile::{self, check_gemfile};
use super::locations;
use super::python::without_bom;
use super::scan::{flag_name, removes_only, Call, Step, Tool};

/// Gem caches (removing them is part of the install): the official Ruby
/// images' `GEM_HOME` cache and the per-user ones.
const CACHES: [&str; 5] = [
    "/usr/local/bundle/cache",
    "~/.bundle/cache",
    "/root/.bundle/cache",
    "~/.gem",
    "/root/.gem",
];

/// `bundle install` options that name no path and write nothing.
const INSTALL_FLAGS: [&str; 10] = [
    "--jobs",
    "-j",
    "--retry",
    "--quiet",
    "--verbose",
    "--no-color",
    "--redownload",
    "--force",
    "--full-index",
    "--prefer-local",
];

/// Options of [`INSTALL_FLAGS`] whose value is the next word.
const INSTALL_VALUES: [&str; 3] = ["--jobs", "-j", "--retry"];

/// Options Bundler 2 remembers in the project's config (their values name
/// groups or nothing); `--deployment` and `--frozen` also freeze the lock.
const REMEMBERED_FLAGS: [&str; 5] = ["--without", "--with", "--deployment", "--frozen", "--clean"];

/// `bundle config set` keys whose values name no path.
const CONFIG_KEYS: [&str; 8] = [
    "without",
    "with",
    "deployment",
    "frozen",
    "jobs",
    "retry",
    "silence_root_warning",
    "force_ruby_platform",
];

/// The step a call makes, when it is Bundler's or `gem install bundler`.
pub(super) fn step(call: &Call) -> Option<Result<Step, &'static str>> {
    if removes_only(call, &CACHES) {
        return Some(Ok(Step::Aside(Tool::Bundler)));
    }
    let args: Vec<&str> = call.args.iter().map(String::as_str).collect();
    match (call.name.as_str(), args.as_slice()) {
        ("gem", ["install", rest @ ..]) => Some(gem_install_bundler(rest)),
        ("bundle", ["config", "set", rest @ ..]) | ("bundle", ["config", rest @ ..]) => {
            Some(config_set(rest))
        }
        ("bundle", ["install", flags @ ..])
        | ("bundle", flags @ [])
        | ("bundler", ["install", flags @ ..]) => Some(install(flags, call)),
        ("bundle" | "bundler" | "gem", _) => Some(Err("a Bundler command other than install")),
        _ => None,
    }
}

/// `gem install bundler[:version]` (with `-v`/`--version`, `-N`,
/// `--no-document`): installs the tool, reads nothing of the project.
fn gem_install_bundler(args: &[&str]) -> Result<Step, &'static str> {
    let mut bundler = false;
    let mut i = 0;
    while i < args.len() {
        let (name, value) = flag_name(args[i]);
        i += 1;
        match name {
            "-v" | "--version" => {
                if value.is_none() {
                    i += 1;
                }
            }
            "-N" | "--no-document" => {}
            _ if args[i - 1] == "bundler"
                || args[i - 1].strip_prefix("bundler:").is_some_and(|v| {
                    !v.is_empty() && v.chars().all(|c| c.is_ascii_alphanumeric() || c == '.')
                }) =>
            {
                bundler = true
            }
            _ => return Err("a gem install other than Bundler's"),
        }
    }
    if !bundler || i > args.len() {
        return Err("a gem install other than Bundler's");
    }
    Ok(Step::Aside(Tool::Bundler))
}

/// `bundle config [set] [--local|--global] <key> <value…>` for the keys of
/// [`CONFIG_KEYS`], and `path vendor/bundle` (in the project, where the
/// context must hold no `vendor`).
fn config_set(args: &[&str]) -> Result<Step, &'static str> {
    let args: Vec<&str> = args
        .iter()
        .copied()
        .filter(|a| !matches!(*a, "--local" | "--global"))
        .collect();
    let Some((key, values)) = args.split_first() else {
        return Err("a Bundler config command that sets nothing");
    };
    let key = key
        .strip_prefix("BUNDLE_")
        .unwrap_or(key)
        .to_ascii_lowercase();
    let plain = |v: &&str| {
        !v.is_empty()
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | ' ' | ':'))
    };
    let known = (CONFIG_KEYS.contains(&key.as_str()) && values.iter().all(plain))
        || (key == "path" && values == ["vendor/bundle"]);
    if values.is_empty() || !known {
        return Err("a Bundler config the pass does not know");
    }
    let freezes = matches!(key.as_str(), "deployment" | "frozen");
    let freezes_lock = freezes && matches!(values, ["true" | "1"]);
    if freezes && !freezes_lock {
        // Local config outranks the environment the pass reads.
        return Err("a Bundler config that unfreezes the lock");
    }
    Ok(Step::Configure {
        tool: Tool::Bundler,
        freezes_lock,
    })
}

/// `bundle install` with options of [`INSTALL_FLAGS`] and
/// [`REMEMBERED_FLAGS`].
fn install(flags: &[&str], call: &Call) -> Result<Step, &'static str> {
    let mut frozen = false;
    let mut remembered = false;
    let mut i = 0;
    while i < flags.len() {
        let (name, value) = flag_name(flags[i]);
        i += 1;
        if REMEMBERED_FLAGS.contains(&name) {
            remembered = true;
            frozen |= matches!(name, "--deployment" | "--frozen");
            if matches!(name, "--without" | "--with") && value.is_none() {
                i += 1;
            }
            continue;
        }
        if !INSTALL_FLAGS.contains(&name) {
            return Err(if name.starts_with('-') {
                "an install option the pass does not know"
            } else {
                "an install of named gems"
            });
        }
        if value.is_none() && INSTALL_VALUES.contains(&name) {
            i += 1;
        }
    }
    if i > flags.len() {
        return Err("a flag without its value");
    }
    Ok(Step::Install {
        tool: Tool::Bundler,
        named: Vec::new(),
        text: call.display(),
        rewrites_lock: !frozen,
        writes_config: remembered,
        runs_plugins: false,
    })
}

/// Whether `BUNDLE_FROZEN` or `BUNDLE_DEPLOYMENT` in the environment
/// freezes the lock (`true`/`1`); any other value, an unknown one, or an
/// assignment on a command of the RUN, leaves it unfrozen, whatever a
/// config step said (the environment is read before global config).
pub(super) fn frozen_by_environment(env: &crate::facts::StaticEnv, calls: &[Call]) -> Option<bool> {
    const NAMES: [&str; 2] = ["BUNDLE_FROZEN", "BUNDLE_DEPLOYMENT"];
    if calls.iter().any(|call| {
        call.assigned
            .iter()
            .any(|name| NAMES.contains(&name.as_str()))
    }) {
        return Some(false);
    }
    let mut frozen = None;
    for name in NAMES {
        match env.value(name) {
            Ok(None) => {}
            Ok(Some("true" | "1")) => frozen = Some(frozen.unwrap_or(true)),
            _ => return Some(false),
        }
    }
    frozen
}

/// `Gemfile` (required, checked), then `Gemfile.lock`, `.bundle/config`
/// and `.ruby-version` when present.
pub(super) fn manifests(
    rewrites_lock: bool,
    writes_config: bool,
    dir: &str,
    reader: &mut Reader,
) -> Checked<Vec<String>> {
    let path = |name: &str| join(dir, name).unwrap_or_else(|| name.to_string());
    let gemfile = reader.text(&path("Gemfile"));
    let lock = reader.text(&path("Gemfile.lock"));
    let config = reader.text(&path(".bundle/config"));
    let app_config = reader.dir(&path(".bundle"));
    let gems_rb = reader.file(&path("gems.rb"));
    // An rbenv shim picks the interpreter from it: copied, never harmful.
    let version = reader.file(&path(".ruby-version"));
    let gemfile = gemfile?.ok_or(Decline::Refused("Gemfile is not in the context"))?;
    let gemfile = without_bom(gemfile);
    let (lock, config, version) = (lock?, config?, version?);
    let (lock, config) = (lock.map(without_bom), config.map(without_bom));
    if gems_rb?.is_some() {
        return Err(Decline::Refused(
            "the project has a gems.rb, which Bundler prefers",
        ));
    }
    check_gemfile(gemfile)?;
    let mut out = vec![path("Gemfile")];
    if let Some(lock) = lock {
        // Path gems and a `gemspec` are locked in a PATH section.
        if lock.lines().any(|l| l.trim_end() == "PATH") {
            return Err(Decline::Refused(
                "Gemfile.lock locks a gem from a local path",
            ));
        }
        // A GEM or GIT section's `remote:` may be a local repository or a
        // `file:` source, read from the image when Bundler installs.
        let local_remote = lock.lines().any(|l| {
            l.trim_start()
                .strip_prefix("remote:")
                .is_some_and(|remote| gemfile::names_local_place(remote.trim()))
        });
        if local_remote {
            return Err(Decline::Refused(
                "Gemfile.lock installs from a local repository or a file: source",
            ));
        }
        if rewrites_lock {
            return Err(Decline::Refused(
                "the install may rewrite the lockfile the full COPY overwrites",
            ));
        }
        out.push(path("Gemfile.lock"));
    }
    if let Some(config) = config {
        // Bundler also loads plugins from `.bundle/plugin`, which the
        // manifest COPY would not bring.
        let entries = app_config?.unwrap_or_default();
        if entries.iter().any(|e| e.trim_end_matches('/') != "config") {
            return Err(Decline::Refused(
                ".bundle holds more than its config (plugins, a cache)",
            ));
        }
        if writes_config {
            return Err(Decline::Refused(
                "the RUN writes Bundler's config, which the full COPY overwrites with the context's",
            ));
        }
        if config_moves_or_freezes(config) {
            return Err(Decline::Refused(
                ".bundle/config sets where Bundler installs or which Gemfile it reads, or names a file of the project",
            ));
        }
        out.push(path(".bundle/config"));
    }
    if version.is_some() {
        out.push(path(".ruby-version"));
    }
    Ok(out)
}

/// Whether the project's `.bundle/config` sets a path, the Gemfile, or the
/// frozen state (which the pass reads from the RUN and its environment),
/// or names a file of the project: a local git checkout
/// (`BUNDLE_LOCAL__<gem>`), build options of a native extension
/// (`BUNDLE_BUILD__<gem>`), a mirror, certificate files, plugins, any value
/// that is a path.
fn config_moves_or_freezes(text: &str) -> bool {
    text.lines().any(|line| {
        let key = line
            .split(':')
            .next()
            .unwrap_or("")
            .trim()
            .trim_matches('"');
        let value = line.split_once(':').map_or("", |(_, v)| v);
        key.starts_with("BUNDLE_")
            && (key.contains("PATH")
                || locations::value_names_path(value)
                || key.starts_with("BUNDLE_LOCAL__")
                || key.starts_with("BUNDLE_BUILD__")
                || key.starts_with("BUNDLE_MIRROR__")
                || key.starts_with("BUNDLE_SSL_")
                || key.contains("PLUGIN")
                || key.contains("GEMFILE")
                || key.contains("APP_CONFIG")
                || key.contains("BIN")
                || key.contains("FROZEN")
                || key.contains("DEPLOYMENT")
                || key.contains("USER_"))
    })
}
