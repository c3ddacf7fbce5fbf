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
use super::package_json::check_package;
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
            && (["file:", "link:", "portal:", "exec:"]
                .iter()
                .any(|protocol| has_protocol(text, protocol))
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

/// Whether `text` has `protocol` (`file:`) as the start of a value, not as
/// the end of a longer word: pnpm's locks all say
/// `excludeLinksFromLockfile: false`, and a package may be named `x-file`.
fn has_protocol(text: &str, protocol: &str) -> bool {
    text.match_indices(protocol).any(|(at, _)| {
        text[..at]
            .chars()
            .next_back()
            .is_none_or(|c| !(c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.')))
    })
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
    fn protocols_start_values() {
        assert!(!has_protocol("excludeLinksFromLockfile: false\n", "file:"));
        assert!(!has_protocol("  config-file: 1.0.0\n", "file:"));
        assert!(has_protocol("      version: file:../lib\n", "file:"));
        assert!(has_protocol("\"resolved\": \"file:vendor/x.tgz\"", "file:"));
        assert!(has_protocol("  specifier: link:../shared\n", "link:"));
        assert!(has_protocol("git+file:///app/x.git", "file:"));
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
