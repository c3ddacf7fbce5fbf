//! npm (`npm ci`, `npm install` without packages), yarn (`yarn`, `yarn
//! install`) and pnpm (`pnpm install`, `pnpm fetch`): the manifests are
//! `package.json`, the tool's lockfile and its config files.
//!
//! Beyond the checks of `mod.rs`: a dependency specifier that npm reads as
//! a local file or directory refuses ([`local_spec`]); a freezing option
//! counts only for the tool that honours it ([`frozen_by_flags`]); yarn
//! and pnpm need a `packageManager` in `package.json`, or Corepack may
//! write one ([`pins_package_manager`]); a `.pnpmfile.cjs` with any code
//! refuses ([`is_empty_script`]).

use serde_json::Value;

use super::context::{join, Checked, Decline, Reader};
use super::locations;
use super::node_install_scripts;
use super::npmrc_keys;
use super::scan::{flag_name, removes_only, Call, Step, Tool};
use super::yarnrc_keys;
use super::yarnrc_yml_keys;

/// Install options that change nothing the pass relies on (no paths).
const FLAGS: [&str; 27] = [
    "--omit",
    "--include",
    "--only",
    "--production",
    "--prod",
    "-P",
    "--no-audit",
    "--no-fund",
    "--no-optional",
    "--ignore-scripts",
    "--legacy-peer-deps",
    "--loglevel",
    "--prefer-offline",
    "--offline",
    "--no-progress",
    "--quiet",
    "--silent",
    "--frozen-lockfile",
    "--pure-lockfile",
    "--immutable",
    "--non-interactive",
    "--network-timeout",
    "--check-files",
    "--strict-peer-dependencies",
    "--no-frozen-lockfile",
    "--ignore-engines",
    "--audit",
];

/// Options of [`FLAGS`] written with their value as the next word.
const VALUE_FLAGS: [&str; 2] = ["--network-timeout", "--loglevel"];

/// The caches of each tool (removing them is part of the install).
const NPM_CACHES: [&str; 2] = ["~/.npm", "/root/.npm"];
const YARN_CACHES: [&str; 3] = [
    "~/.cache/yarn",
    "/usr/local/share/.cache/yarn",
    "/root/.cache/yarn",
];
const PNPM_CACHES: [&str; 2] = ["~/.local/share/pnpm/store", "/root/.local/share/pnpm/store"];

/// Root-package scripts npm, yarn and pnpm run during an install: npm runs
/// `prepare` with its `pre`/`post` scripts and `dependencies` after it
/// changes `node_modules`; pnpm runs `pnpm:devPreinstall`.
const LIFECYCLE_SCRIPTS: [&str; 9] = [
    "preinstall",
    "install",
    "postinstall",
    "preprepare",
    "prepare",
    "postprepare",
    "prepublish",
    "dependencies",
    "pnpm:devPreinstall",
];

/// package.json fields that hold dependency specifiers.
const DEPENDENCY_FIELDS: [&str; 6] = [
    "dependencies",
    "devDependencies",
    "optionalDependencies",
    "peerDependencies",
    "overrides",
    "resolutions",
];

/// The step a call makes, when it is npm's, yarn's or pnpm's.
pub(super) fn step(call: &Call) -> Option<Result<Step, &'static str>> {
    let tool = match call.name.as_str() {
        "npm" => Tool::Npm,
        "yarn" => Tool::Yarn,
        "pnpm" => Tool::Pnpm,
        "rm" if removes_only(call, &NPM_CACHES) => return Some(Ok(Step::Aside(Tool::Npm))),
        "rm" if removes_only(call, &YARN_CACHES) => return Some(Ok(Step::Aside(Tool::Yarn))),
        "rm" if removes_only(call, &PNPM_CACHES) => return Some(Ok(Step::Aside(Tool::Pnpm))),
        _ => return None,
    };
    let args = &call.args;
    let sub = args.first().map(String::as_str);
    let rest = args.get(1..).unwrap_or(&[]);
    let cleanup = match tool {
        Tool::Npm => sub == Some("cache") && rest.first().is_some_and(|a| a == "clean"),
        Tool::Yarn => sub == Some("cache") && rest.first().is_some_and(|a| a == "clean"),
        _ => sub == Some("store") && rest.first().is_some_and(|a| a == "prune"),
    };
    if cleanup {
        return Some(Ok(Step::Aside(tool)));
    }
    let flags = match (tool, sub) {
        (Tool::Npm, Some("ci" | "install" | "i")) => rest,
        (Tool::Yarn, Some("install")) => rest,
        (Tool::Yarn, Some(first)) if first.starts_with('-') => &args[..],
        (Tool::Yarn, None) => &args[..],
        (Tool::Pnpm, Some("install" | "i" | "fetch")) => rest,
        _ => return Some(Err("a package-manager command other than an install")),
    };
    let rewrites_lock = match (tool, sub) {
        (Tool::Npm, Some("ci")) | (Tool::Pnpm, Some("fetch")) => false,
        _ => !frozen_by_flags(tool, flags),
    };
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
        if value.is_none() && VALUE_FLAGS.contains(&name) {
            i += 1;
        }
    }
    Some(Ok(Step::Install {
        tool,
        named: Vec::new(),
        text: call.display(),
        rewrites_lock,
        writes_config: false,
        runs_plugins: false,
    }))
}

/// Whether the install's options freeze the lockfile, for the tool that
/// honours them. npm takes any option it does not know as a config key, so
/// `npm install --frozen-lockfile` still rewrites `package-lock.json`: for
/// npm only `npm ci` (decided by the caller) is frozen. yarn 1 honours
/// `--frozen-lockfile` and `--pure-lockfile`; yarn 2+ reads
/// `--frozen-lockfile` as `--immutable` (older ones refuse it) and refuses
/// `--pure-lockfile`. `--immutable` alone does not count: yarn 1 does not
/// know it, and the pass does not know which yarn runs. pnpm honours
/// `--frozen-lockfile`; the last of it and `--no-frozen-lockfile` wins. A
/// freezing option with a value other than `true`, or for yarn any
/// `--no-frozen-lockfile`, unfreezes.
fn frozen_by_flags(tool: Tool, flags: &[String]) -> bool {
    let freezing: &[&str] = match tool {
        Tool::Yarn => &["--frozen-lockfile", "--pure-lockfile"],
        Tool::Pnpm => &["--frozen-lockfile"],
        _ => return false,
    };
    let mut frozen = false;
    for flag in flags {
        let (name, value) = flag_name(flag);
        if name == "--no-frozen-lockfile" {
            if tool == Tool::Yarn {
                return false;
            }
            frozen = false;
        } else if freezing.contains(&name) {
            if !matches!(value, None | Some("true")) {
                return false;
            }
            frozen = true;
        }
    }
    frozen
}

/// The manifests of the install in context directory `dir`: `package.json`
/// (required, checked), then the lockfiles and config files present.
///
/// An install that may rewrite its lockfile fires only when the context has
/// no lockfile: the file it then writes is not one the full COPY overwrites.
pub(super) fn manifests(
    tool: Tool,
    rewrites_lock: bool,
    ignore_scripts: bool,
    dir: &str,
    reader: &mut Reader,
) -> Checked<Vec<String>> {
    let path = |name: &str| join(dir, name).unwrap_or_else(|| name.to_string());
    let optional: &[&str] = match tool {
        Tool::Npm => &["package-lock.json", "npm-shrinkwrap.json", ".npmrc"],
        // yarn 1 also reads npm's `.npmrc` (registries, auth, certificates).
        Tool::Yarn => &[
            "yarn.lock",
            ".yarnrc",
            ".yarnrc.yml",
            ".yarnclean",
            ".npmrc",
        ],
        _ => &["pnpm-lock.yaml", ".npmrc", ".pnpmfile.cjs"],
    };
    let package = reader.text(&path("package.json"));
    let present = reader.texts_present(dir, optional);
    let workspace = if tool == Tool::Pnpm {
        reader
            .file(&path("pnpm-workspace.yaml"))
            .map(|f| f.is_some())
    } else {
        Ok(false)
    };
    let package = package?.ok_or(Decline::Refused("package.json is not in the context"))?;
    let present = present?;
    if workspace? {
        return Err(Decline::Refused("a pnpm workspace"));
    }
    check_package(package)?;
    let lockfiles = [
        "package-lock.json",
        "npm-shrinkwrap.json",
        "yarn.lock",
        "pnpm-lock.yaml",
    ];
    if rewrites_lock && present.iter().any(|(name, _)| lockfiles.contains(name)) {
        return Err(Decline::Refused(
            "the install may rewrite the lockfile the full COPY overwrites",
        ));
    }
    // A lockfile installs as it is: a package it resolves to a file or a
    // directory of the project (`file:`, `link:`, `portal:`, `exec:`, npm's
    // `"link": true`)
    // needs files the manifest COPY does not bring, whatever package.json
    // says.
    if present.iter().any(|(name, text)| {
        lockfiles.contains(name)
            && (text.contains("file:")
                || text.contains("link:")
                || text.contains("portal:")
                || text.contains("exec:")
                || text.contains("\"link\": true")
                || text.contains("\"link\":true"))
    }) {
        return Err(Decline::Refused(
            "the lockfile resolves a package to a file or directory of the project",
        ));
    }
    if present
        .iter()
        .any(|(name, text)| locations::config_moves_output(name, text))
    {
        return Err(Decline::Refused(
            "a config file moves where the install writes",
        ));
    }
    for (name, text) in &present {
        if *name == ".pnpmfile.cjs" && !is_empty_script(text) {
            return Err(Decline::Refused(
                ".pnpmfile.cjs runs code during the install (it may load modules or read files of the project)",
            ));
        }
        if *name == ".yarnrc.yml"
            && text.lines().any(|l| {
                l.trim_start().starts_with("yarnPath:") || l.trim_start().starts_with("plugins:")
            })
        {
            return Err(Decline::Refused(".yarnrc.yml names a yarnPath or plugins"));
        }
        if *name == ".yarnrc"
            && text
                .lines()
                .any(|l| l.trim_start().starts_with("yarn-path"))
        {
            return Err(Decline::Refused(".yarnrc names a yarn-path"));
        }
    }
    if present
        .iter()
        .any(|(name, text)| locations::config_names_local_path(name, text))
    {
        return Err(Decline::Refused("a config file names a local path"));
    }
    for (name, text) in &present {
        let why = match *name {
            ".npmrc" if npmrc_keys::unknown_key(text).is_some() => {
                ".npmrc has a setting the pass does not know (it may name a program or a file)"
            }
            ".yarnrc" if yarnrc_keys::unknown_key(text).is_some() => {
                ".yarnrc has a setting the pass does not know (it may name a program or a file)"
            }
            ".yarnrc.yml" if yarnrc_yml_keys::unknown_key(text).is_some() => {
                ".yarnrc.yml has a setting the pass does not know (it may name a program or a file)"
            }
            _ => continue,
        };
        return Err(Decline::Refused(why));
    }
    node_install_scripts::check_dependency_scripts(tool, ignore_scripts, &present)?;
    if tool != Tool::Npm && !pins_package_manager(package) {
        return Err(Decline::Refused(
            "package.json has no `packageManager`: Corepack, which runs yarn and pnpm, may write one into it (auto-pin), which the full COPY overwrites",
        ));
    }
    let mut out = vec![path("package.json")];
    out.extend(present.iter().map(|(name, _)| path(name)));
    Ok(out)
}

/// Refuses a root package with install lifecycle scripts, workspaces, or a
/// dependency on a local path (`file:`, `link:`, `workspace:`, `portal:`,
/// a relative or absolute path).
fn check_package(text: &str) -> Checked<()> {
    let refuse = |why| Err(Decline::Refused(why));
    let Ok(Value::Object(package)) = serde_json::from_str::<Value>(text) else {
        return refuse("package.json is not a JSON object");
    };
    if let Some(scripts) = package.get("scripts").and_then(Value::as_object) {
        if LIFECYCLE_SCRIPTS.iter().any(|s| scripts.contains_key(*s)) {
            return refuse("package.json has an install lifecycle script");
        }
    }
    if package.contains_key("workspaces") {
        return refuse("package.json declares workspaces");
    }
    let pnpm_patches = package
        .get("pnpm")
        .and_then(Value::as_object)
        .is_some_and(|pnpm| pnpm.contains_key("patchedDependencies"));
    if pnpm_patches {
        return refuse("package.json patches dependencies with files of the context");
    }
    for field in DEPENDENCY_FIELDS {
        if package.get(field).is_some_and(names_local_path) {
            return refuse("package.json depends on a local path");
        }
    }
    // pnpm's other settings hold package names (`@scope/name`), not
    // specifiers: only its overrides are read as specifiers.
    let pnpm = package.get("pnpm").and_then(Value::as_object);
    if pnpm.is_some_and(|pnpm| {
        pnpm.get("overrides").is_some_and(names_local_path) || pnpm.values().any(names_local_prefix)
    }) {
        return refuse("package.json depends on a local path");
    }
    Ok(())
}

/// Whether any string inside `value` starts like a local path or has
/// `file:` (for values that are not specifiers).
fn names_local_prefix(value: &Value) -> bool {
    match value {
        Value::String(text) => {
            let text = text.trim().to_ascii_lowercase();
            text.contains("file:")
                || [
                    "link:",
                    "workspace:",
                    "portal:",
                    "patch:",
                    "exec:",
                    "./",
                    "../",
                    "/",
                    "~/",
                ]
                .iter()
                .any(|p| text.starts_with(p))
                || text == "."
                || text == ".."
        }
        Value::Array(items) => items.iter().any(names_local_prefix),
        Value::Object(map) => map.values().any(names_local_prefix),
        _ => false,
    }
}

/// Whether any string inside `value` is a local-path specifier (yarn's
/// `exec:` runs a script of the project to make the package).
fn names_local_path(value: &Value) -> bool {
    match value {
        Value::String(spec) => local_spec(spec.trim()),
        Value::Array(items) => items.iter().any(names_local_path),
        Value::Object(map) => map.values().any(names_local_path),
        _ => false,
    }
}

/// Whether a dependency specifier may name a file or directory of the
/// project. npm-package-arg reads as a local file or directory a specifier
/// that starts with `.`, `/`, `~/` or a drive letter (`C:`), one that ends
/// in `.tgz`, `.tar.gz` or `.tar` (`mylib-1.0.0.tgz`), and one with a
/// slash that is neither a URL nor a hosted-git shorthand
/// (`vendor/libs/fmt`); `file:` may also sit inside a specifier
/// (`git+file:///app/vendor/lib.git`). So a specifier passes only when it
/// has no `file:` nor backslash and, with a slash, is a URL (`://`), an npm
/// alias (`npm:`) or exactly `owner/repo[#ref]` (also after `github:`,
/// `gitlab:`, `bitbucket:`, `gist:`), a git dependency.
fn local_spec(spec: &str) -> bool {
    let lower = spec.to_ascii_lowercase();
    let bytes = spec.as_bytes();
    if lower.contains("file:")
        || spec.contains('\\')
        || spec.contains("#./")
        || [
            "link:",
            "workspace:",
            "portal:",
            "patch:",
            "exec:",
            ".",
            "/",
            "~/",
        ]
        .iter()
        .any(|p| lower.starts_with(p))
        || (bytes.len() >= 2 && bytes[0].is_ascii_alphabetic() && bytes[1] == b':')
    {
        return true;
    }
    let url = spec.contains("://");
    if !url
        && [".tgz", ".tar.gz", ".tar"]
            .iter()
            .any(|x| lower.ends_with(x))
    {
        return true;
    }
    if url || !spec.contains('/') || lower.starts_with("npm:") {
        return false;
    }
    let shorthand = ["github:", "gitlab:", "bitbucket:", "gist:"]
        .iter()
        .find_map(|p| lower.starts_with(p).then(|| &spec[p.len()..]))
        .unwrap_or(spec);
    let base = shorthand.split('#').next().unwrap_or(shorthand);
    let name = |part: &str| {
        !part.is_empty()
            && !part.starts_with('.')
            && part
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
    };
    !matches!(base.split_once('/'), Some((owner, repo)) if name(owner) && name(repo))
}

/// Whether package.json names the package manager and its version
/// (`packageManager`). Without it, Corepack (the `yarn` and `pnpm` shims)
/// may write one into package.json when it runs the install: by default in
/// Corepack 0.26 to 0.32 (Node 22.11 ships 0.29), and in any version with
/// `COREPACK_ENABLE_AUTO_PIN=1`; the full COPY would then put back the
/// context's package.json. With the field, Corepack uses it and writes
/// nothing. (`COREPACK_ENABLE_AUTO_PIN=0` would also do, but the pass does
/// not read the environment here, so it refuses.) The pass does not know
/// whether Corepack provides the tool, so this holds for yarn and pnpm
/// whatever the image.
fn pins_package_manager(text: &str) -> bool {
    serde_json::from_str::<Value>(text)
        .ok()
        .and_then(|package| package.get("packageManager").cloned())
        .is_some_and(|pm| pm.as_str().is_some_and(|pm| !pm.trim().is_empty()))
}

/// Whether a `.pnpmfile.cjs` runs nothing: only blank lines and `//`
/// comments. pnpm loads it as a module, and a denylist of the ways
/// JavaScript loads modules or reads files (`require (`,
/// `module.constructor._load`, `process.binding`, `import(`) is never
/// complete, so any code refuses.
fn is_empty_script(text: &str) -> bool {
    text.lines().all(|line| {
        let line = line.trim();
        line.is_empty() || line.starts_with("//")
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn package_checks() {
        assert!(
            check_package(r#"{"dependencies":{"express":"^4"},"scripts":{"build":"tsc"}}"#).is_ok()
        );
        assert!(check_package(r#"{"scripts":{"postinstall":"patch-package"}}"#).is_err());
        assert!(check_package(r#"{"scripts":{"dependencies":"node sync.js"}}"#).is_err());
        assert!(check_package(r#"{"scripts":{"pnpm:devPreinstall":"node x.js"}}"#).is_err());
        assert!(check_package(r#"{"dependencies":{"lib":"file:../lib"}}"#).is_err());
        assert!(check_package(r#"{"dependencies":{"gen":"exec:gen.js"}}"#).is_err());
        assert!(check_package(r#"{"workspaces":["packages/*"]}"#).is_err());
        assert!(check_package("not json").is_err());
        assert!(
            check_package(r#"{"pnpm":{"patchedDependencies":{"a@1.0.0":"patches/a.patch"}}}"#)
                .is_err()
        );
        assert!(
            check_package(r#"{"resolutions":{"a":"patch:a@npm:1.0.0#./patches/a.patch"}}"#)
                .is_err()
        );
    }

    #[test]
    fn local_specifiers() {
        for spec in [
            "mylib-1.0.0.tgz",
            "libs/mylib.TAR.GZ",
            "vendor/libs/fmt",
            "./fmt",
            ".fmt",
            "~/fmt",
            "/opt/fmt",
            "C:\\fmt",
            "git+file:///app/vendor/mylib.git#v1.2.0",
            "FILE:../lib",
            "git@github.com:owner/repo.git",
            "github:owner/repo/extra",
            "@scope/name",
        ] {
            assert!(local_spec(spec), "{spec}");
        }
        for spec in [
            "^4.19.2",
            "~1.2.3",
            "latest",
            ">=1 <2",
            "npm:@scope/name@^1",
            "owner/repo",
            "owner/repo#v1.0.0",
            "owner/repo#feature/x",
            "github:owner/repo#semver:^1",
            "git+https://github.com/owner/repo.git#v1",
            "https://example.com/lib-1.0.0.tgz",
        ] {
            assert!(!local_spec(spec), "{spec}");
        }
        assert!(check_package(r#"{"dependencies":{"mylib":"mylib-1.0.0.tgz"}}"#).is_err());
        assert!(check_package(r#"{"dependencies":{"fmt":"vendor/libs/fmt"}}"#).is_err());
        assert!(check_package(r#"{"overrides":{"a":{"b":"git+file:///x.git"}}}"#).is_err());
        assert!(check_package(r#"{"pnpm":{"overrides":{"a":"vendor/libs/a"}}}"#).is_err());
        assert!(check_package(r#"{"pnpm":{"onlyBuiltDependencies":["@swc/core"]}}"#).is_ok());
        assert!(check_package(r#"{"dependencies":{"lib":"owner/repo#v1"}}"#).is_ok());
    }

    #[test]
    fn freezing_flags_count_for_their_tool() {
        let flags = |f: &[&str]| f.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert!(!frozen_by_flags(Tool::Npm, &flags(&["--frozen-lockfile"])));
        assert!(frozen_by_flags(Tool::Yarn, &flags(&["--frozen-lockfile"])));
        assert!(frozen_by_flags(Tool::Yarn, &flags(&["--pure-lockfile"])));
        assert!(!frozen_by_flags(Tool::Yarn, &flags(&["--immutable"])));
        assert!(!frozen_by_flags(
            Tool::Yarn,
            &flags(&["--no-frozen-lockfile", "--frozen-lockfile"])
        ));
        assert!(frozen_by_flags(Tool::Pnpm, &flags(&["--frozen-lockfile"])));
        assert!(!frozen_by_flags(Tool::Pnpm, &flags(&["--pure-lockfile"])));
        assert!(!frozen_by_flags(
            Tool::Pnpm,
            &flags(&["--frozen-lockfile", "--no-frozen-lockfile"])
        ));
        assert!(frozen_by_flags(
            Tool::Pnpm,
            &flags(&["--no-frozen-lockfile", "--frozen-lockfile"])
        ));
        assert!(!frozen_by_flags(
            Tool::Pnpm,
            &flags(&["--frozen-lockfile=false"])
        ));
    }

    #[test]
    fn corepack_pin_and_pnpmfile() {
        assert!(!pins_package_manager(r#"{"name":"web"}"#));
        assert!(!pins_package_manager(r#"{"packageManager":""}"#));
        assert!(pins_package_manager(r#"{"packageManager":"pnpm@9.12.0"}"#));
        assert!(is_empty_script("// hooks\n\n"));
        for code in [
            "const p = require ('./hooks/pin.cjs')",
            "module.constructor._load('./x')",
            "process.binding('fs')",
            "module.exports = {}",
        ] {
            assert!(!is_empty_script(code), "{code}");
        }
    }
}
