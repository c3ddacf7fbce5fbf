//! npm (`npm ci`, `npm install` without packages), yarn (`yarn`, `yarn
//! install`) and pnpm (`pnpm install`, `pnpm fetch`): the manifests are
//! `package.json`, the tool's lockfile and its config files.

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
const DEPENDENCY_FIELDS: [&str; 7] = [
    "dependencies",
    "devDependencies",
    "optionalDependencies",
    "peerDependencies",
    "overrides",
    "resolutions",
    "pnpm",
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
    let frozen = flags.iter().any(|f| {
        matches!(
            f.as_str(),
            "--frozen-lockfile" | "--pure-lockfile" | "--immutable"
        )
    });
    let rewrites_lock = match (tool, sub) {
        (Tool::Npm, Some("ci")) | (Tool::Pnpm, Some("fetch")) => false,
        _ => !frozen,
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
        if *name == ".pnpmfile.cjs"
            && [
                "require(",
                "import",
                "fs.",
                "readFile",
                "process.cwd",
                "__dirname",
            ]
            .iter()
            .any(|code| text.contains(code))
        {
            return Err(Decline::Refused(
                ".pnpmfile.cjs loads a module or reads files",
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
    Ok(())
}

/// Whether any string inside `value` is a local-path specifier (yarn's
/// `exec:` runs a script of the project to make the package).
fn names_local_path(value: &Value) -> bool {
    match value {
        Value::String(spec) => {
            let spec = spec.trim();
            [
                "file:",
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
            .any(|p| spec.starts_with(p))
                || spec.contains("#./")
                || spec == "."
                || spec == ".."
        }
        Value::Array(items) => items.iter().any(names_local_path),
        Value::Object(map) => map.values().any(names_local_path),
        _ => false,
    }
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
}
