//! The project's `.npmrc`, read closed-world. npm, pnpm and yarn 1 take
//! dozens of settings from it, and several name a program or a file the
//! install then runs or reads (`script-shell`, `node-options`, `git`,
//! `globalconfig`, `certfile` of a registry, `pnpmfile`, …). A key known to
//! be harmless passes; any other key refuses, so a setting this list has
//! not met cannot make the install read a file of the source. Values that
//! are paths are checked separately (`locations::config_names_local_path`).

/// Keys harmless whatever their value (after `-`/`_` folding, lowercase):
/// registries and network, verbosity, lockfile and peer-dependency policy,
/// `node_modules` layout, scripts off.
const HARMLESS: [&str; 47] = [
    "always-auth",
    "audit",
    "audit-level",
    "auto-install-peers",
    "ca",
    "cafile",
    "color",
    "dedupe-peer-dependents",
    "engine-strict",
    "fetch-retries",
    "fetch-retry-factor",
    "fetch-retry-maxtimeout",
    "fetch-retry-mintimeout",
    "fetch-timeout",
    "foreground-scripts",
    "frozen-lockfile",
    "fund",
    "hoist",
    "hoist-pattern",
    "https-proxy",
    "ignore-scripts",
    "include",
    "legacy-peer-deps",
    "lockfile",
    "loglevel",
    "maxsockets",
    "network-concurrency",
    "noproxy",
    "omit",
    "optional",
    "prefer-frozen-lockfile",
    "prefer-offline",
    "prefer-online",
    "production",
    "progress",
    "proxy",
    "public-hoist-pattern",
    "registry",
    "resolution-mode",
    "save-exact",
    "save-prefix",
    "shamefully-hoist",
    "strict-peer-dependencies",
    "strict-ssl",
    "unicode",
    "update-notifier",
    "yes",
];

/// Per-registry keys (`//host/path/:<key>`) harmless whatever their value:
/// credentials. `certfile`/`keyfile` name files and refuse.
const REGISTRY_HARMLESS: [&str; 6] = [
    "_auth",
    "_authtoken",
    "_password",
    "always-auth",
    "email",
    "username",
];

/// The first key of a `.npmrc` the pass does not know, if any.
pub(super) fn unknown_key(text: &str) -> Option<String> {
    for line in text.lines() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') || line.starts_with(';') {
            continue;
        }
        let key = line.split_once('=').map_or(line, |(k, _)| k).trim();
        let folded = key.to_ascii_lowercase().replace('_', "-");
        let known = scoped_key_known(key).unwrap_or_else(|| {
            HARMLESS.binary_search(&folded.as_str()).is_ok()
                || REGISTRY_HARMLESS.contains(&key.to_ascii_lowercase().as_str())
        });
        if !known {
            return Some(key.to_string());
        }
    }
    None
}

/// For a key scoped to a registry or a package scope, as npm's and yarn 1's
/// config files write them, whether it is harmless: a registry's
/// credentials (`//host/path/:_authToken`) or a scope's registry
/// (`@scope:registry`). `None` for any other key.
pub(super) fn scoped_key_known(key: &str) -> Option<bool> {
    if let Some(rest) = key.strip_prefix("//") {
        Some(
            rest.rsplit_once(':')
                .is_some_and(|(_, k)| REGISTRY_HARMLESS.contains(&k.to_ascii_lowercase().as_str())),
        )
    } else if key.starts_with('@') {
        Some(key.split_once(':').is_some_and(|(_, k)| k == "registry"))
    } else {
        None
    }
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
        let harmless = "# corp registry\nregistry=https://npm.example.com/\n\
                        @corp:registry=https://npm.corp.example.com/\n\
                        //npm.corp.example.com/:_authToken=${NPM_TOKEN}\n\
                        fund=false\naudit=false\nlegacy_peer_deps=true\n";
        assert_eq!(unknown_key(harmless), None);
        assert_eq!(
            unknown_key("script-shell=/app/bin/sh\n").as_deref(),
            Some("script-shell")
        );
        assert_eq!(
            unknown_key("node-options=--require ./x.js\n").as_deref(),
            Some("node-options")
        );
        assert_eq!(
            unknown_key("//npm.corp.example.com/:certfile=client.pem\n").as_deref(),
            Some("//npm.corp.example.com/:certfile")
        );
        assert_eq!(unknown_key("git=./bin/git\n").as_deref(), Some("git"));
    }
}
