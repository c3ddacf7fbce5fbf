//! The project's `.yarnrc` (yarn 1), read closed-world. Each line is a
//! setting (`registry "https://…"`) or a command-line option yarn adds to
//! its commands (`--install.frozen-lockfile true`, `--*.modules-folder
//! vendor`); several name a file or a directory the install then reads or
//! writes (`yarn-path` runs another yarn, `cache-folder`, `global-folder`,
//! `prefix`, `yarn-offline-mirror`, `--modules-folder`, `--mutex
//! file:…`, `--har` writes a file into the project) or change the project's
//! manifests (`--flat` writes `resolutions` into `package.json`). A key
//! known to be harmless passes; any other key or option refuses. Values
//! that are paths are checked separately
//! (`locations::config_names_local_path`: a `cafile` must not be a file of
//! the project).

use super::npmrc_keys;

/// Keys, and options without their `--` and command prefix, harmless
/// whatever their value: registries, network and credentials, lockfile
/// policy, scripts off, output, and settings of commands other than the
/// install (`save-…`, `version-…`).
const HARMLESS: [&str; 34] = [
    "always-auth",
    "ca",
    "cafile",
    "child-concurrency",
    "disable-self-update-check",
    "email",
    "emoji",
    "frozen-lockfile",
    "https-proxy",
    "ignore-engines",
    "ignore-optional",
    "ignore-platform",
    "ignore-scripts",
    "lastUpdateCheck",
    "network-concurrency",
    "network-timeout",
    "no-progress",
    "non-interactive",
    "offline",
    "prefer-offline",
    "production",
    "proxy",
    "pure-lockfile",
    "registry",
    "save-exact",
    "save-prefix",
    "silent",
    "strict-ssl",
    "username",
    "version-git-message",
    "version-git-tag",
    "version-sign-git-tag",
    "version-tag-prefix",
    "yarn-offline-mirror-pruning",
];

/// The first key of a `.yarnrc` the pass does not know, if any.
pub(super) fn unknown_key(text: &str) -> Option<String> {
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let key = if let Some(quoted) = line.strip_prefix('"') {
            quoted.split_once('"').map_or(quoted, |(k, _)| k)
        } else {
            line.split_whitespace().next().unwrap_or(line)
        };
        let key = key.strip_suffix(':').unwrap_or(key);
        let known = if let Some(option) = key.strip_prefix("--") {
            // `--<command>.<option>` and `--*.<option>` apply to one
            // command or to all of them: read as the option itself.
            let option = option.split_once('.').map_or(option, |(_, o)| o);
            HARMLESS.binary_search(&option).is_ok()
        } else {
            // Registry credentials and scope registries, as in `.npmrc`.
            npmrc_keys::scoped_key_known(key)
                .unwrap_or_else(|| HARMLESS.binary_search(&key).is_ok())
        };
        if !known {
            return Some(key.to_string());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_list_is_sorted() {
        assert!(HARMLESS.windows(2).all(|w| w[0] < w[1]));
    }

    #[test]
    fn known_keys_pass_and_others_refuse() {
        let harmless = "# yarn lockfile v1\nregistry \"https://registry.yarnpkg.com\"\n\
                        \"@corp:registry\" \"https://npm.corp.example.com/\"\n\
                        \"//npm.corp.example.com/:_authToken\" \"${NPM_TOKEN}\"\n\
                        network-timeout 600000\n--install.frozen-lockfile true\n\
                        --*.ignore-engines true\nlastUpdateCheck 1700000000000\n";
        assert_eq!(unknown_key(harmless), None);
        assert_eq!(
            unknown_key("yarn-path \".yarn/releases/yarn-1.22.22.cjs\"\n").as_deref(),
            Some("yarn-path")
        );
        assert_eq!(
            unknown_key("--*.modules-folder vendor\n").as_deref(),
            Some("--*.modules-folder")
        );
        assert_eq!(
            unknown_key("--install.har true\n").as_deref(),
            Some("--install.har")
        );
        assert_eq!(
            unknown_key("\"--install\":\n  flat true\n").as_deref(),
            Some("--install")
        );
    }
}
