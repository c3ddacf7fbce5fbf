//! The second rule's commands: system package installs with literal
//! package names (`apt-get install`, `apk add`, `dnf`/`yum`/`microdnf
//! install`), their index refreshes and cleanups. None of them reads the
//! working directory.

use super::scan::{removes_only, Call};

/// Directories the cleanups of these installs remove.
const CLEANED: [&str; 6] = [
    "/var/lib/apt/lists/*",
    "/var/lib/apt/lists",
    "/var/cache/apt/archives/*.deb",
    "/var/cache/apk/*",
    "/var/cache/dnf",
    "/var/cache/yum",
];

/// Whether the call installs packages.
pub(super) fn installs(call: &Call) -> bool {
    let sub = call
        .args
        .iter()
        .find(|a| !a.starts_with('-'))
        .map(String::as_str);
    matches!(
        (call.name.as_str(), sub),
        ("apt-get" | "apt", Some("install"))
            | ("apk", Some("add"))
            | ("dnf" | "yum" | "microdnf", Some("install"))
    )
}

/// Whether the call is a package install, refresh or cleanup whose every
/// argument is an option or a literal package name (nothing relative to
/// the working directory, no local package files).
pub(super) fn reads_no_workdir(call: &Call) -> bool {
    if removes_only(call, &CLEANED) {
        return true;
    }
    let mut words = call.args.iter().filter(|a| !a.starts_with('-'));
    let sub = words.next().map(String::as_str);
    let known = match call.name.as_str() {
        "apt-get" | "apt" => matches!(
            sub,
            Some("update" | "install" | "clean" | "autoremove" | "upgrade" | "dist-upgrade")
        ),
        "apk" => matches!(sub, Some("add" | "update" | "upgrade")),
        "dnf" | "yum" | "microdnf" => {
            matches!(
                sub,
                Some("install" | "clean" | "makecache" | "upgrade" | "update")
            )
        }
        _ => false,
    };
    // `clean all`: the word after `clean` is not a package.
    known
        && call
            .args
            .iter()
            .all(|a| !a.starts_with('-') || is_plain_option(a))
        && words.all(|w| is_package(w) || (sub == Some("clean") && w == "all"))
}

/// An option that names no path of the working directory: `--root`,
/// `--file` and values like `--repository=./repo` or
/// `-oDir::Etc::SourceList=lists/x` refuse; absolute paths and URLs do not.
fn is_plain_option(option: &str) -> bool {
    if option.starts_with("--root") || option.contains("--file") {
        return false;
    }
    let value = option.split_once('=').map_or("", |(_, v)| v);
    !value.starts_with('.')
        && (!value.contains('/') || value.starts_with('/') || value.contains("://"))
}

/// A package name as written for these tools (`curl`, `libpq-dev=15.*`,
/// `python3~=3.11`, `gcc-c++`): no path, no variable.
fn is_package(word: &str) -> bool {
    word.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric())
        && !word.contains(['/', '$', '`'])
        && !word.ends_with(".deb")
        && !word.ends_with(".rpm")
        && !word.ends_with(".apk")
}
