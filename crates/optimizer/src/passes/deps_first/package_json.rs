//! The root `package.json`, as npm, yarn and pnpm read it during an
//! install: its lifecycle scripts run then, `workspaces` make it a
//! workspace root, and a dependency specifier may name a file or directory
//! of the project. Any of these refuses: the manifest COPY brings only the
//! manifests.

use serde_json::Value;

use super::context::{Checked, Decline};

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

/// Refuses a root package with install lifecycle scripts, workspaces, or a
/// dependency on a local path (`file:`, `link:`, `workspace:`, `portal:`,
/// a relative or absolute path).
pub(super) fn check_package(text: &str) -> Checked<()> {
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
}
