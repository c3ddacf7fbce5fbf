//! Composer: `composer install --no-scripts --no-autoloader` reads
//! `composer.json`, `composer.lock` and the project's `auth.json`.
//!
//! Not tested on this pass's host (no PHP); from Composer's documentation:
//! with a lock, `install` installs what it locks (a lock out of date with
//! composer.json gets a warning, not a rewrite); without one it resolves
//! and writes composer.lock; packages go to `vendor` of the project
//! (`config.vendor-dir`, `COMPOSER_VENDOR_DIR`); `--no-scripts` skips the
//! project's scripts and `--no-autoloader` the autoloader dump (which
//! scans the project's classes), but plugins still run unless
//! `--no-plugins`: a plugin package (type `composer-plugin`) in the lock,
//! or no lock to tell, refuses without it.

use serde_json::Value;

use super::context::{join, Checked, Decline, Reader};
use super::scan::{flag_name, Call, Step, Tool};

/// `composer install` options that need no file of the project.
/// `--optimize-autoloader`/`--classmap-authoritative` are left out: they
/// tune the autoloader dump `--no-autoloader` skips, and ask for one.
const FLAGS: [&str; 14] = [
    "--no-scripts",
    "--no-autoloader",
    "--no-plugins",
    "--no-dev",
    "--no-interaction",
    "-n",
    "--prefer-dist",
    "--no-progress",
    "--ignore-platform-reqs",
    "--ignore-platform-req",
    "--quiet",
    "-q",
    "--no-ansi",
    "--ansi",
];

/// Options of [`FLAGS`] whose value is the next word.
const VALUE_FLAGS: [&str; 1] = ["--ignore-platform-req"];

/// URL prefixes of remote repositories and package sources.
const REMOTE: [&str; 5] = ["https://", "http://", "git@", "ssh://", "git://"];

/// Repository types that fetch from a URL.
const REMOTE_REPOSITORY_TYPES: [&str; 6] =
    ["composer", "vcs", "git", "github", "gitlab", "bitbucket"];

/// The step a call makes, when it is Composer's.
pub(super) fn step(call: &Call) -> Option<Result<Step, &'static str>> {
    if call.name != "composer" && call.name != "composer.phar" {
        return None;
    }
    let (sub, flags) = call.args.split_first()?;
    match sub.as_str() {
        "install" | "i" => {}
        "clear-cache" | "clearcache" | "cc" if flags.is_empty() => {
            return Some(Ok(Step::Aside(Tool::Composer)))
        }
        _ => return Some(Err("a composer command other than install")),
    }
    let mut no_plugins = false;
    let mut i = 0;
    while i < flags.len() {
        let (name, value) = flag_name(&flags[i]);
        i += 1;
        if !FLAGS.contains(&name) {
            return Some(Err(if name.starts_with('-') {
                "an install option the pass does not know"
            } else {
                "an install of named packages"
            }));
        }
        no_plugins |= name == "--no-plugins";
        if value.is_none() && VALUE_FLAGS.contains(&name) {
            i += 1;
        }
    }
    let has = |flag: &str| flags.iter().any(|f| f == flag);
    if !has("--no-scripts") || !has("--no-autoloader") {
        return Some(Err(
            "composer install without --no-scripts and --no-autoloader reads the project's source",
        ));
    }
    Some(Ok(Step::Install {
        tool: Tool::Composer,
        named: Vec::new(),
        text: call.display(),
        // A lock is installed as it is; without one the lock written is
        // not in the context.
        rewrites_lock: false,
        writes_config: false,
        runs_plugins: !no_plugins,
    }))
}

/// `composer.json` (required, checked), then `composer.lock` and
/// `auth.json` when present. `plugins_may_run`: the install has no
/// `--no-plugins`.
pub(super) fn manifests(
    plugins_may_run: bool,
    dir: &str,
    reader: &mut Reader,
) -> Checked<Vec<String>> {
    let path = |name: &str| join(dir, name).unwrap_or_else(|| name.to_string());
    let project = reader.text(&path("composer.json"));
    let lock = reader.text(&path("composer.lock"));
    let auth = reader.file(&path("auth.json"));
    let project = project?.ok_or(Decline::Refused("composer.json is not in the context"))?;
    let (lock, auth) = (lock?, auth?);
    check_project(project)?;
    let mut out = vec![path("composer.json")];
    match lock {
        Some(lock) => {
            check_lock(lock, plugins_may_run)?;
            out.push(path("composer.lock"));
        }
        None if plugins_may_run => {
            return Err(Decline::Refused(
                "without a lock or --no-plugins, Composer plugins may run and read the project",
            ))
        }
        None => {}
    }
    if auth.is_some() {
        out.push(path("auth.json"));
    }
    Ok(out)
}

/// Refuses local repositories (`path`, `artifact`, a local URL, `options`)
/// and config keys other than [`CONFIG_KEYS`].
fn check_project(text: &str) -> Checked<()> {
    let refuse = |why| Err(Decline::Refused(why));
    let Ok(Value::Object(project)) = serde_json::from_str::<Value>(text) else {
        return refuse("composer.json is not a JSON object");
    };
    let repositories: Vec<&Value> = match project.get("repositories") {
        None => Vec::new(),
        Some(Value::Array(items)) => items.iter().collect(),
        Some(Value::Object(map)) => map.values().collect(),
        Some(_) => return refuse("composer.json has repositories the pass cannot read"),
    };
    for repository in repositories {
        match repository {
            // `{"packagist.org": false}` disables a repository.
            Value::Bool(false) => {}
            Value::Object(repo) => {
                let kind = repo.get("type").and_then(Value::as_str).unwrap_or("");
                let url = repo.get("url").and_then(Value::as_str).unwrap_or("");
                // `options` may name local certificate files (`ssl`).
                if repo.contains_key("options")
                    || !REMOTE_REPOSITORY_TYPES.contains(&kind)
                    || !REMOTE.iter().any(|p| url.starts_with(p))
                {
                    return refuse("composer.json has a local or inline repository");
                }
            }
            _ => return refuse("composer.json has repositories the pass cannot read"),
        }
    }
    if let Some(config) = project.get("config").and_then(Value::as_object) {
        if config.keys().any(|k| !CONFIG_KEYS.contains(&k.as_str())) {
            return refuse(
                "composer.json has a config key that may name a file or move where Composer writes",
            );
        }
    }
    Ok(())
}

/// `composer.json` config keys that name no file and move nothing (sorted):
/// any other one refuses — `vendor-dir` and the other `…-dir` keys move
/// where Composer writes, `cafile`/`capath` name a certificate file
/// relative to the project, `home`, `archive-dir` and the like a place.
const CONFIG_KEYS: [&str; 30] = [
    "allow-missing-requirements",
    "allow-plugins",
    "apcu-autoloader",
    "audit",
    "autoloader-suffix",
    "bearer",
    "bitbucket-oauth",
    "bump-after-update",
    "cache-files-maxsize",
    "cache-files-ttl",
    "classmap-authoritative",
    "disable-tls",
    "discard-changes",
    "github-domains",
    "github-oauth",
    "github-protocols",
    "gitlab-domains",
    "gitlab-oauth",
    "gitlab-token",
    "http-basic",
    "lock",
    "notify-on-install",
    "optimize-autoloader",
    "platform",
    "platform-check",
    "preferred-install",
    "prepend-autoloader",
    "process-timeout",
    "secure-http",
    "sort-packages",
];

/// Refuses a locked package from a local path or URL, and a plugin
/// package when plugins may run.
fn check_lock(text: &str, plugins_may_run: bool) -> Checked<()> {
    let refuse = |why| Err(Decline::Refused(why));
    let Ok(Value::Object(lock)) = serde_json::from_str::<Value>(text) else {
        return refuse("composer.lock is not a JSON object");
    };
    for field in ["packages", "packages-dev"] {
        let Some(packages) = lock.get(field).and_then(Value::as_array) else {
            continue;
        };
        for package in packages {
            if plugins_may_run
                && package.get("type").and_then(Value::as_str) == Some("composer-plugin")
            {
                return refuse("composer.lock has a plugin and the install runs plugins");
            }
            for source in ["dist", "source"] {
                let Some(origin) = package.get(source) else {
                    continue;
                };
                let url = origin.get("url").and_then(Value::as_str).unwrap_or("");
                let local = origin.get("type").and_then(Value::as_str) == Some("path")
                    || !REMOTE.iter().any(|p| url.starts_with(p));
                if local {
                    return refuse("composer.lock has a package from a local path");
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn project_and_lock_checks() {
        assert!(
            check_project(r#"{"require":{"php":">=8.2"},"config":{"sort-packages":true}}"#).is_ok()
        );
        assert!(check_project(r#"{"repositories":[{"type":"path","url":"../pkg"}]}"#).is_err());
        assert!(check_project(r#"{"config":{"vendor-dir":"lib"}}"#).is_err());
        assert!(check_project(r#"{"config":{"cafile":"certs/ca.pem"}}"#).is_err());
        assert!(check_project(r#"{"config":{"home":"composer-home"}}"#).is_err());
        let lock = r#"{"packages":[{"name":"a/b","type":"library","dist":{"type":"zip","url":"https://x/a.zip"}}]}"#;
        assert!(check_lock(lock, true).is_ok());
        let plugin = r#"{"packages":[{"name":"a/p","type":"composer-plugin"}]}"#;
        assert!(check_lock(plugin, true).is_err() && check_lock(plugin, false).is_ok());
        let local = r#"{"packages":[{"name":"a/l","dist":{"type":"path","url":"packages/l"}}]}"#;
        assert!(check_lock(local, false).is_err());
    }
}
