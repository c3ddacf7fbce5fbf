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
            .all(|a| !a.starts_with('-') || (is_known_option(a) && is_plain_option(a)))
        && words.all(|w| is_package(w) || (sub == Some("clean") && w == "all"))
}

/// Options of apt, apk and dnf that take no value (or a name as the next
/// word, which must then read as a package name), and the options written
/// with `=value` whose value [`is_plain_option`] checks. Any other option
/// refuses: one taking a file as the next word (`-c apt.conf`,
/// `--repositories-file repos`, `--config dnf.conf`) would read it relative
/// to the working directory.
fn is_known_option(option: &str) -> bool {
    const PLAIN: [&str; 41] = [
        "--yes",
        "--assume-yes",
        "--assumeyes",
        "--no-install-recommends",
        "--no-install-suggests",
        "--fix-missing",
        "--fix-broken",
        "--allow-downgrades",
        "--allow-change-held-packages",
        "--allow-unauthenticated",
        "--reinstall",
        "--only-upgrade",
        "--no-upgrade",
        "--purge",
        "--auto-remove",
        "--autoremove",
        "--quiet",
        "--verbose",
        "--download-only",
        "--no-download",
        "--force-yes",
        "--ignore-missing",
        "--no-cache",
        "--update",
        "--upgrade",
        "--latest",
        "--no-progress",
        "--allow-untrusted",
        "--no-scripts",
        "--nodocs",
        "--refresh",
        "--best",
        "--nobest",
        "--allowerasing",
        "--nogpgcheck",
        "--noplugins",
        "--skip-broken",
        "--skip-unavailable",
        "--cacheonly",
        "--show-progress",
        "--no-show-upgraded",
    ];
    const WITH_VALUE: [&str; 11] = [
        "--setopt=",
        "--enablerepo=",
        "--disablerepo=",
        "--enableplugin=",
        "--disableplugin=",
        "--releasever=",
        "--exclude=",
        "--repository=",
        "--virtual=",
        "--target-release=",
        "-o",
    ];
    if PLAIN.contains(&option) {
        return true;
    }
    if WITH_VALUE.iter().any(|p| option.starts_with(p)) {
        // `-o` only with its value attached (`-oAPT::Install-Recommends=0`).
        return option.contains('=');
    }
    // Clusters of short switches (`-y`, `-qq`, `-yq`, `-U`); `-t` takes a
    // release or a virtual package name, read as a package word.
    option.len() > 1
        && !option.starts_with("--")
        && option[1..].chars().all(|c| "yqfmuUvVdsCt".contains(c))
}

/// An option that names no path of the working directory: `--root`,
/// `--file` and values like `--repository=./repo` or
/// `-oDir::Etc::SourceList=lists/x` refuse; absolute paths and URLs do not.
fn is_plain_option(option: &str) -> bool {
    if option.starts_with("--root") || option.contains("--file") {
        return false;
    }
    let value = option.split_once('=').map_or("", |(_, v)| v);
    // apk reads a repository without a scheme as a local directory,
    // relative to the working directory (`--repository=packages`).
    if option.starts_with("--repository=") {
        return value.contains("://") || value.starts_with('/');
    }
    if let Some(setting) = option.strip_prefix("--setopt=") {
        return is_plain_setopt(setting);
    }
    if let Some(setting) = option.strip_prefix("-o") {
        return is_plain_apt_setting(setting);
    }
    !value.starts_with('.')
        && (!value.contains('/') || value.starts_with('/') || value.contains("://"))
}

/// An apt `-oKey=value` whose key is a switch, a number or dpkg's options,
/// never a file: apt reads a bare file name (`Acquire::https::CaInfo=ca.pem`)
/// relative to the working directory (checked). A closed list, compared
/// without case as apt does.
fn is_plain_apt_setting(setting: &str) -> bool {
    const KEYS: [&str; 18] = [
        "acquire::check-valid-until",
        "acquire::forceipv4",
        "acquire::forceipv6",
        "acquire::gzipindexes",
        "acquire::http::no-cache",
        "acquire::http::pipeline-depth",
        "acquire::http::timeout",
        "acquire::https::timeout",
        "acquire::languages",
        "acquire::retries",
        "apt::get::assume-yes",
        "apt::get::upgrade",
        "apt::install-recommends",
        "apt::install-suggests",
        "apt::keep-downloaded-packages",
        "apt::sandbox::user",
        "dpkg::lock::timeout",
        "dpkg::options::",
    ];
    let Some((key, value)) = setting.split_once('=') else {
        return false;
    };
    let key = key.to_ascii_lowercase();
    let plain_value = value
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.' | '"'));
    KEYS.contains(&key.as_str()) && plain_value
}

/// A dnf/yum `--setopt=key=value` whose key is a switch or a number, never
/// a path (`reposdir=repos` would be read relative to the working
/// directory): a closed list, of global keys and of keys of one repository
/// (`epel.enabled=1`).
fn is_plain_setopt(setting: &str) -> bool {
    const KEYS: [&str; 16] = [
        "best",
        "clean_requirements_on_remove",
        "deltarpm",
        "enabled",
        "fastestmirror",
        "gpgcheck",
        "install_weak_deps",
        "ip_resolve",
        "keepcache",
        "max_parallel_downloads",
        "minrate",
        "module_hotfixes",
        "retries",
        "skip_if_unavailable",
        "sslverify",
        "timeout",
    ];
    let Some((key, value)) = setting.split_once('=') else {
        return false;
    };
    let key = key.rsplit_once('.').map_or(key, |(_, k)| k);
    (KEYS.contains(&key) || (key == "tsflags" && value == "nodocs"))
        && value.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
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

#[cfg(test)]
mod tests {
    use super::*;

    fn call(line: &str) -> Call {
        let mut words = line.split_whitespace().map(str::to_string);
        let name = words.next().unwrap_or_default();
        let args: Vec<String> = words.collect();
        Call {
            program: name.clone(),
            name,
            raw: args.clone(),
            args,
            assigned: Vec::new(),
        }
    }

    #[test]
    fn apt_settings_are_a_closed_list() {
        assert!(reads_no_workdir(&call(
            "apt-get install -y -oAPT::Install-Recommends=0 -oDpkg::Options::=--force-confold curl"
        )));
        assert!(!reads_no_workdir(&call(
            "apt-get update -oAcquire::https::CaInfo=corp-ca.pem"
        )));
        assert!(!reads_no_workdir(&call(
            "apt-get update -oDir::Etc::SourceList=lists/x"
        )));
    }

    #[test]
    fn repositories_and_settings_naming_paths_refuse() {
        assert!(!reads_no_workdir(&call(
            "apk add --allow-untrusted --repository=packages mytool"
        )));
        assert!(reads_no_workdir(&call(
            "apk add --repository=https://dl-cdn.alpinelinux.org/alpine/edge/testing mytool"
        )));
        assert!(!reads_no_workdir(&call(
            "dnf install -y --setopt=reposdir=repos mytool"
        )));
        assert!(reads_no_workdir(&call(
            "dnf install -y --setopt=install_weak_deps=False --setopt=tsflags=nodocs gcc"
        )));
        assert!(reads_no_workdir(&call(
            "dnf install -y --setopt=epel.enabled=1 gcc"
        )));
    }

    #[test]
    fn options_naming_files_refuse() {
        assert!(reads_no_workdir(&call(
            "apt-get install -y --no-install-recommends curl"
        )));
        assert!(reads_no_workdir(&call("apk add --no-cache -U curl")));
        assert!(reads_no_workdir(&call("apt-get -qq install -y curl")));
        assert!(!reads_no_workdir(&call(
            "apk add --repositories-file repos curl"
        )));
        assert!(!reads_no_workdir(&call(
            "apt-get install -c apt.conf -y curl"
        )));
        assert!(!reads_no_workdir(&call(
            "dnf install --config dnf.conf -y curl"
        )));
        assert!(!reads_no_workdir(&call(
            "apt-get install -o Dir::Etc::SourceList=x curl"
        )));
    }
}
