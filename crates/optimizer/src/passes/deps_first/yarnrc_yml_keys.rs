//! The project's `.yarnrc.yml` (yarn 2 and later), read closed-world.
//! Many settings name a file or a directory yarn then reads, runs or
//! writes: `yarnPath` and `plugins` (code yarn runs), `injectEnvironmentFiles`
//! (`.env` files it loads), `rcFilename`, `constraintsPath` and
//! `enableConstraintsChecks` (constraints read from the project),
//! `httpsCaFilePath`, `httpsCertFilePath`, `httpsKeyFilePath` (files),
//! `cacheFolder`, `globalFolder`, `installStatePath`, `virtualFolder`,
//! `patchFolder`, `pnpUnpluggedFolder`, `pnpDataPath` and
//! `pnpEnableInlining` (`.pnp.data.json`), `immutablePatterns` (files of the
//! project hashed), `networkSettings` (per-host certificate files). A
//! top-level key known to be harmless passes whatever its value; any other
//! key refuses. Values that are paths are checked separately
//! (`locations::config_names_local_path`).
//!
//! Two maps are read below their top level: `npmScopes` and
//! `npmRegistries`, whose entries may set only a registry and its
//! credentials, and `packageExtensions`, which adds dependencies to
//! packages as `package.json` would — a setting of the manifests, read from
//! this file, which the manifest COPY brings — whose values must be version
//! ranges or `npm:` aliases (a `file:`, `link:`, `portal:`, `exec:` or
//! `patch:` would read the project, as in `package.json`).
//!
//! `nodeLinker` is harmless: each linker writes only `node_modules`,
//! `.yarn`, `.pnp.cjs` and `.pnp.loader.mjs`, which the pass refuses to
//! find in the context; `enableScripts` is too: scripts run by default,
//! which the pass already reckons with.

/// Top-level keys harmless whatever their value: output, network and
/// registries, cache and lockfile policy, the `node_modules` or PnP layout,
/// which architectures to fetch, settings of commands other than the
/// install.
const HARMLESS: [&str; 51] = [
    "checksumBehavior",
    "cloneConcurrency",
    "compressionLevel",
    "defaultSemverRangePrefix",
    "enableColors",
    "enableGlobalCache",
    "enableHardenedMode",
    "enableHyperlinks",
    "enableImmutableCache",
    "enableImmutableInstalls",
    "enableInlineBuilds",
    "enableMessageNames",
    "enableMirror",
    "enableNetwork",
    "enableOfflineMode",
    "enableProgressBars",
    "enableScripts",
    "enableStrictSsl",
    "enableTelemetry",
    "enableTimers",
    "httpProxy",
    "httpRetry",
    "httpTimeout",
    "httpsProxy",
    "logFilters",
    "networkConcurrency",
    "nmHoistingLimits",
    "nmMode",
    "nmSelfReferences",
    "nodeLinker",
    "npmAlwaysAuth",
    "npmAuditExcludePackages",
    "npmAuditIgnoreAdvisories",
    "npmAuditRegistry",
    "npmAuthIdent",
    "npmAuthToken",
    "npmPublishAccess",
    "npmPublishRegistry",
    "npmRegistryServer",
    "pnpEnableEsmLoader",
    "pnpFallbackMode",
    "pnpIgnorePatterns",
    "pnpMode",
    "preferTruncatedLines",
    "progressBarStyle",
    "supportedArchitectures",
    "taskPoolConcurrency",
    "telemetryInterval",
    "telemetryUserId",
    "unsafeHttpWhitelist",
    "winLinkType",
];

/// Keys of an entry of `npmScopes` or `npmRegistries` harmless whatever
/// their value: the registry and its credentials.
const REGISTRY_HARMLESS: [&str; 5] = [
    "npmAlwaysAuth",
    "npmAuthIdent",
    "npmAuthToken",
    "npmPublishRegistry",
    "npmRegistryServer",
];

/// How the lines indented below a top-level key are read.
#[derive(Clone, Copy)]
enum Block {
    /// Below a key of [`HARMLESS`]: not read.
    Free,
    /// Below `npmScopes`/`npmRegistries`: entries (at the first indent)
    /// whose keys must be in [`REGISTRY_HARMLESS`].
    Registries { entry_indent: Option<usize> },
    /// Below `packageExtensions`: values must be remote specifiers.
    Extensions,
}

/// The first key of a `.yarnrc.yml` the pass does not know (or a line it
/// cannot read), if any.
pub(super) fn unknown_key(text: &str) -> Option<String> {
    let mut block = None;
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') || trimmed == "---" {
            continue;
        }
        let indent = line.len() - line.trim_start_matches(' ').len();
        if line[indent..].starts_with('\t') {
            return Some(trimmed.to_string());
        }
        let Some((key, value)) = split_key(trimmed) else {
            // A list item or a continued value: only below a free key.
            if indent > 0 && matches!(block, Some(Block::Free)) {
                continue;
            }
            if indent > 0 && matches!(block, Some(Block::Extensions)) {
                let item = trimmed.trim_start_matches('-').trim();
                if remote_specifier(item) {
                    continue;
                }
            }
            return Some(trimmed.to_string());
        };
        if indent == 0 {
            block = if HARMLESS.binary_search(&key).is_ok() {
                Some(Block::Free)
            } else if matches!(key, "npmScopes" | "npmRegistries") && value.is_empty() {
                Some(Block::Registries { entry_indent: None })
            } else if key == "packageExtensions" && value.is_empty() {
                Some(Block::Extensions)
            } else {
                return Some(key.to_string());
            };
            continue;
        }
        match &mut block {
            Some(Block::Free) => {}
            Some(Block::Registries { entry_indent }) => {
                let entry = *entry_indent.get_or_insert(indent);
                let known = if indent == entry {
                    value.is_empty()
                } else {
                    indent > entry && REGISTRY_HARMLESS.contains(&key)
                };
                if !known {
                    return Some(key.to_string());
                }
            }
            Some(Block::Extensions) => {
                if !remote_specifier(value) {
                    return Some(key.to_string());
                }
            }
            None => return Some(key.to_string()),
        }
    }
    None
}

/// `key: value` of a mapping line, the key unquoted; `None` for a line that
/// is not one (a list item, a continued value).
fn split_key(line: &str) -> Option<(&str, &str)> {
    if line.starts_with('-') {
        return None;
    }
    let (key, rest) = if let Some(quoted) = line.strip_prefix(['"', '\'']) {
        let quote = line.chars().next()?;
        let end = quoted.find(quote)?;
        (&quoted[..end], quoted[end + 1..].strip_prefix(':')?)
    } else {
        let (key, rest) = line.split_once(':')?;
        (key.trim(), rest)
    };
    // `a:b` without a space is not a key (a URL, a scalar).
    if !(rest.is_empty() || rest.starts_with([' ', '\t'])) {
        return None;
    }
    Some((key, rest.trim()))
}

/// Whether a `packageExtensions` value reads nothing of the project: empty
/// (a map follows), a switch, a version range or tag, an `npm:` alias or a
/// remote URL.
fn remote_specifier(value: &str) -> bool {
    let value = value.trim().trim_matches(['"', '\'']);
    if value.starts_with(['.', '/', '~']) {
        return false;
    }
    !value.contains(':')
        || value.starts_with("npm:")
        || (value.contains("://") && !value.starts_with("file:"))
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
        let harmless = "# settings\nnodeLinker: node-modules\nenableTelemetry: false\n\
                        npmScopes:\n  corp:\n    npmRegistryServer: \"https://npm.corp.example.com\"\n\
                        \x20   npmAuthToken: \"${NPM_TOKEN}\"\n\
                        npmRegistries:\n  \"https://npm.corp.example.com\":\n    npmAlwaysAuth: true\n\
                        packageExtensions:\n  \"debug@*\":\n    peerDependenciesMeta:\n\
                        \x20     supports-color:\n        optional: true\n\
                        \x20 \"styled-components@*\":\n    dependencies:\n      react-is: \"^18\"\n\
                        supportedArchitectures:\n  os:\n    - linux\n";
        assert_eq!(unknown_key(harmless), None);
        assert_eq!(
            unknown_key("injectEnvironmentFiles:\n  - .env.yarn\n").as_deref(),
            Some("injectEnvironmentFiles")
        );
        assert_eq!(
            unknown_key("npmScopes:\n  corp:\n    httpsCaFilePath: ca.pem\n").as_deref(),
            Some("httpsCaFilePath")
        );
        assert_eq!(
            unknown_key("npmScopes: { corp: { npmRegistryServer: x } }\n").as_deref(),
            Some("npmScopes")
        );
        assert_eq!(
            unknown_key(
                "packageExtensions:\n  \"a@*\":\n    dependencies:\n      gen: \"exec:gen.js\"\n"
            )
            .as_deref(),
            Some("gen")
        );
        assert_eq!(
            unknown_key("  nodeLinker: pnp\n").as_deref(),
            Some("nodeLinker")
        );
    }
}
