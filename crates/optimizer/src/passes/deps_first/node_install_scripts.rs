//! Install scripts of the dependencies. npm, yarn and pnpm run the
//! `preinstall`/`install`/`postinstall` scripts of the packages they
//! install, and some of those read the project around them: Prisma's client
//! generates itself from `prisma/schema.prisma`, Puppeteer reads its
//! `.puppeteerrc` to decide what to download, MSW writes its worker into the
//! directory `package.json` names. With only the manifests copied those
//! files are not there, and `node_modules` would differ.
//!
//! So a Node install fires only when no dependency script can run or every
//! one that can is known to read nothing of the project: scripts are off
//! (`--ignore-scripts`; for npm and pnpm also `ignore-scripts=true` in
//! `.npmrc`), or npm's lockfile (version 2 or 3, which marks
//! each package that has an install script with `hasInstallScript`) lists
//! only packages of [`SELF_CONTAINED`]. yarn's and pnpm's lockfiles do not
//! say which packages have scripts: without scripts off, they refuse.

use serde_json::Value;

use super::context::{Checked, Decline};
use super::scan::Tool;

/// Packages whose install scripts fetch or build a binary for the platform
/// and read only the environment and npm's configuration, never the
/// project's files. Sorted.
const SELF_CONTAINED: [&str; 28] = [
    "@parcel/watcher",
    "@swc/core",
    "@tensorflow/tfjs-node",
    "argon2",
    "bcrypt",
    "better-sqlite3",
    "bufferutil",
    "canvas",
    "core-js",
    "core-js-pure",
    "cpu-features",
    "deasync",
    "dtrace-provider",
    "es5-ext",
    "esbuild",
    "fsevents",
    "keytar",
    "leveldown",
    "lmdb",
    "msgpackr-extract",
    "nice-napi",
    "node-pty",
    "nodemon",
    "protobufjs",
    "re2",
    "sharp",
    "sqlite3",
    "utf-8-validate",
];

/// Refuses unless the install runs no dependency script that may read the
/// project. `ignore_scripts`: the command line turns scripts off; `present`:
/// the lockfiles and config files read, by name.
pub(super) fn check_dependency_scripts(
    tool: Tool,
    ignore_scripts: bool,
    present: &[(&str, &str)],
) -> Checked<()> {
    let file = |name: &str| present.iter().find(|(n, _)| *n == name).map(|(_, t)| *t);
    // yarn's config files are not read here: which one applies depends on
    // the yarn version, which the pass does not know.
    let npmrc_off = file(".npmrc").is_some_and(|t| config_turns_off(t, "ignore-scripts", "true"));
    let off = ignore_scripts || (tool != Tool::Yarn && npmrc_off);
    if off {
        return Ok(());
    }
    if tool != Tool::Npm {
        return Err(Decline::Refused(
            "dependency install scripts may read the project, and the lockfile does not say which packages have one",
        ));
    }
    let lock = file("npm-shrinkwrap.json").or_else(|| file("package-lock.json"));
    let Some(lock) = lock else {
        return Err(Decline::Refused(
            "dependency install scripts may read the project, and there is no lockfile to say which packages have one",
        ));
    };
    let with_scripts = packages_with_install_scripts(lock).ok_or(Decline::Refused(
        "dependency install scripts may read the project, and the lockfile (before version 2) does not say which packages have one",
    ))?;
    if with_scripts
        .iter()
        .all(|name| SELF_CONTAINED.binary_search(&name.as_str()).is_ok())
    {
        Ok(())
    } else {
        Err(Decline::Refused(
            "a dependency has an install script that may read the project",
        ))
    }
}

/// The names of the packages npm's lockfile marks with `hasInstallScript`
/// (the root package excepted: its scripts are checked in `package.json`);
/// `None` when the lockfile is not version 2 or 3.
fn packages_with_install_scripts(lock: &str) -> Option<Vec<String>> {
    let lock: Value = serde_json::from_str(lock).ok()?;
    let version = lock.get("lockfileVersion")?.as_u64()?;
    if !(2..=3).contains(&version) {
        return None;
    }
    let packages = lock.get("packages")?.as_object()?;
    let mut names = Vec::new();
    for (path, package) in packages {
        if path.is_empty() {
            continue;
        }
        if package.get("hasInstallScript").and_then(Value::as_bool) == Some(true) {
            let installed_as = path
                .rsplit_once("node_modules/")
                .map_or(path.as_str(), |(_, n)| n);
            // An alias (`"sharp": "npm:@corp/fork@1"`) is installed under
            // the name it replaces: the lock's `name` says what it is. A
            // package from git or another non-registry source is whatever
            // that source holds, whatever its name: it is not known.
            let name = package
                .get("name")
                .and_then(Value::as_str)
                .unwrap_or(installed_as);
            let from_registry = package
                .get("resolved")
                .and_then(Value::as_str)
                .is_some_and(|url| url.starts_with("https://") && url.contains("/-/"));
            if from_registry {
                names.push(name.to_string());
            } else {
                names.push(format!("{name} (not from a registry)"));
            }
        }
    }
    Some(names)
}

/// Whether `.npmrc` sets `key` to `value` (`key=value`), on a line of its
/// own.
fn config_turns_off(text: &str, key: &str, value: &str) -> bool {
    text.lines().any(|line| {
        let Some((k, v)) = line.split_once('=') else {
            return false;
        };
        k.trim() == key && v.trim().trim_matches(['"', '\'']) == value
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const LOCK_WITH: &str = r#"{"lockfileVersion":3,"packages":{"":{"name":"app"},
        "node_modules/esbuild":{"version":"0.23.0","hasInstallScript":true},
        "node_modules/@prisma/client":{"version":"5.20.0","hasInstallScript":true}}}"#;
    const LOCK_KNOWN: &str = r#"{"lockfileVersion":3,"packages":{"":{"name":"app"},
        "node_modules/esbuild":{"version":"0.23.0","hasInstallScript":true,
            "resolved":"https://registry.npmjs.org/esbuild/-/esbuild-0.23.0.tgz"},
        "node_modules/a/node_modules/sharp":{"version":"0.33.0","hasInstallScript":true,
            "resolved":"https://registry.npmjs.org/sharp/-/sharp-0.33.0.tgz"},
        "node_modules/express":{"version":"4.21.2"}}}"#;
    /// sharp's name on a fork from git, and an alias of another package.
    const LOCK_DISGUISED: [&str; 2] = [
        r#"{"lockfileVersion":3,"packages":{"":{"name":"app"},
        "node_modules/sharp":{"version":"0.33.0","hasInstallScript":true,
            "resolved":"git+ssh://git@github.com/corp/sharp.git#0123abc"}}}"#,
        r#"{"lockfileVersion":3,"packages":{"":{"name":"app"},
        "node_modules/sharp":{"name":"@corp/native","version":"1.0.0","hasInstallScript":true,
            "resolved":"https://registry.npmjs.org/@corp/native/-/native-1.0.0.tgz"}}}"#,
    ];

    #[test]
    fn the_list_is_sorted() {
        assert!(SELF_CONTAINED.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn npm_lockfile_decides() {
        let lock = |text| [("package-lock.json", text)];
        assert!(check_dependency_scripts(Tool::Npm, false, &lock(LOCK_KNOWN)).is_ok());
        assert!(check_dependency_scripts(Tool::Npm, false, &lock(LOCK_WITH)).is_err());
        for disguised in LOCK_DISGUISED {
            assert!(check_dependency_scripts(Tool::Npm, false, &lock(disguised)).is_err());
        }
        assert!(check_dependency_scripts(Tool::Npm, true, &lock(LOCK_WITH)).is_ok());
        let v1 = r#"{"lockfileVersion":1,"dependencies":{}}"#;
        assert!(check_dependency_scripts(Tool::Npm, false, &lock(v1)).is_err());
        assert!(check_dependency_scripts(Tool::Npm, false, &[]).is_err());
        let off = [
            ("package-lock.json", LOCK_WITH),
            (".npmrc", "ignore-scripts=true\n"),
        ];
        assert!(check_dependency_scripts(Tool::Npm, false, &off).is_ok());
    }

    #[test]
    fn yarn_and_pnpm_need_scripts_off() {
        assert!(check_dependency_scripts(Tool::Yarn, false, &[("yarn.lock", "")]).is_err());
        assert!(check_dependency_scripts(Tool::Yarn, true, &[("yarn.lock", "")]).is_ok());
        let berry = [("yarn.lock", ""), (".yarnrc.yml", "enableScripts: false\n")];
        assert!(check_dependency_scripts(Tool::Yarn, false, &berry).is_err());
        assert!(check_dependency_scripts(Tool::Pnpm, false, &[]).is_err());
        let npmrc = [(".npmrc", "ignore-scripts = true\n")];
        assert!(check_dependency_scripts(Tool::Pnpm, false, &npmrc).is_ok());
    }
}
