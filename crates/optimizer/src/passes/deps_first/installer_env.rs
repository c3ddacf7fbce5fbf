//! Installer settings read from the environment. pip, uv, npm, yarn, pnpm,
//! Poetry and Go take most of their options from variables (`PIP_CONSTRAINT`
//! is `-c`, `npm_config_globalconfig` names a file, `GOFLAGS=-overlay=…`
//! names one, `NODE_OPTIONS=--require ./x.js` runs one). Any of them may name
//! a file of the source tree, which the manifest COPY does not bring: the
//! install would then see another tree than before. So a variable of an
//! installer's family is accepted only when it is listed here as harmless
//! (whatever its value, or as a remote URL); any other one refuses.
//! Variables that move where an installer writes are checked by
//! [`super::locations`] and accepted here.

use crate::facts::StaticEnv;

use super::locations::{is_within, LOCATION_VARS};

/// The families: a variable whose name starts with one of these is an
/// installer setting.
const FAMILIES: [&str; 16] = [
    "COREPACK_",
    "PIP_",
    "UV_",
    "POETRY_",
    "PIPENV_",
    "PNPM_",
    "YARN_",
    "npm_config_",
    "NPM_CONFIG_",
    "GO",
    "NODE_",
    "BUNDLE_",
    "GEM_",
    "COMPOSER_",
    "CARGO_",
    "RUSTUP_",
];

/// Settings harmless whatever their value: switches, versions, timeouts,
/// verbosity, credentials for a remote index.
const ANY_VALUE: &[&str] = &[
    "COREPACK_ENABLE_DOWNLOAD_PROMPT",
    "COREPACK_ENABLE_STRICT",
    "COREPACK_ENABLE_NETWORK",
    "COREPACK_DEFAULT_TO_LATEST",
    "PIP_NO_CACHE_DIR",
    "PIP_DISABLE_PIP_VERSION_CHECK",
    "PIP_DEFAULT_TIMEOUT",
    "PIP_TIMEOUT",
    "PIP_RETRIES",
    "PIP_TRUSTED_HOST",
    "PIP_ROOT_USER_ACTION",
    "PIP_PROGRESS_BAR",
    "PIP_NO_COMPILE",
    "PIP_COMPILE",
    "PIP_PREFER_BINARY",
    "PIP_ONLY_BINARY",
    "PIP_NO_BINARY",
    "PIP_BREAK_SYSTEM_PACKAGES",
    "PIP_NO_INPUT",
    "PIP_QUIET",
    "PIP_VERBOSE",
    "PIP_UPGRADE",
    "PIP_UPGRADE_STRATEGY",
    "PIP_NO_DEPS",
    "PIP_REQUIRE_HASHES",
    "PIP_NO_WARN_SCRIPT_LOCATION",
    "PIP_NO_PYTHON_VERSION_WARNING",
    "PIP_USE_PEP517",
    "PIP_NO_BUILD_ISOLATION",
    "UV_SYSTEM_PYTHON",
    "UV_COMPILE_BYTECODE",
    "UV_LINK_MODE",
    "UV_NO_CACHE",
    "UV_PYTHON_DOWNLOADS",
    "UV_PYTHON_PREFERENCE",
    "UV_FROZEN",
    "UV_LOCKED",
    "UV_NO_DEV",
    "UV_NO_SYNC",
    "UV_HTTP_TIMEOUT",
    "UV_CONCURRENT_DOWNLOADS",
    "UV_CONCURRENT_BUILDS",
    "UV_CONCURRENT_INSTALLS",
    "UV_NO_PROGRESS",
    "UV_BREAK_SYSTEM_PACKAGES",
    "UV_PRERELEASE",
    "UV_RESOLUTION",
    "UV_NATIVE_TLS",
    "UV_VERSION",
    "POETRY_VERSION",
    "POETRY_HOME",
    "POETRY_NO_INTERACTION",
    "POETRY_VIRTUALENVS_CREATE",
    "POETRY_VIRTUALENVS_IN_PROJECT",
    "POETRY_VIRTUALENVS_PREFER_ACTIVE_PYTHON",
    "POETRY_INSTALLER_MAX_WORKERS",
    "POETRY_INSTALLER_PARALLEL",
    "POETRY_REQUESTS_TIMEOUT",
    "PNPM_VERSION",
    "YARN_VERSION",
    "YARN_ENABLE_GLOBAL_CACHE",
    "YARN_ENABLE_TELEMETRY",
    "YARN_ENABLE_IMMUTABLE_INSTALLS",
    "YARN_ENABLE_PROGRESS_BARS",
    "YARN_NETWORK_TIMEOUT",
    "YARN_HTTP_TIMEOUT",
    "YARN_CHECKSUM_BEHAVIOR",
    "YARN_NODE_LINKER",
    "YARN_PRODUCTION",
    "YARN_IGNORE_ENGINES",
    "GOLANG_VERSION",
    "GOTOOLCHAIN",
    "GOSUMDB",
    "GONOSUMDB",
    "GONOSUMCHECK",
    "GOPRIVATE",
    "GONOPROXY",
    "GOINSECURE",
    "GO111MODULE",
    "GOOS",
    "GOARCH",
    "GOARM",
    "GOARM64",
    "GOAMD64",
    "GO386",
    "GOMIPS",
    "GOMIPS64",
    "GOPPC64",
    "GOWASM",
    "GODEBUG",
    "GOMAXPROCS",
    "GOGC",
    "GOTELEMETRY",
    "GOVCS",
    "GOROOT",
    "GOBIN",
    "GOCACHE",
    "GOTMPDIR",
    "PIPENV_VERBOSITY",
    "PIPENV_NOSPIN",
    "PIPENV_HIDE_EMOJIS",
    "PIPENV_YES",
    "PIPENV_TIMEOUT",
    "PIPENV_INSTALL_TIMEOUT",
    "PIPENV_SYSTEM",
    "PIPENV_IGNORE_VIRTUALENVS",
    "PIPENV_DEFAULT_PYTHON_VERSION",
    "PIPENV_NO_INHERIT",
    "BUNDLE_JOBS",
    "BUNDLE_RETRY",
    "BUNDLE_WITHOUT",
    "BUNDLE_WITH",
    "BUNDLE_SILENCE_ROOT_WARNING",
    "BUNDLE_DISABLE_SHARED_GEMS",
    "BUNDLE_CLEAN",
    "BUNDLE_FROZEN",
    "BUNDLE_DEPLOYMENT",
    "BUNDLER_VERSION",
    "COMPOSER_ALLOW_SUPERUSER",
    "COMPOSER_NO_INTERACTION",
    "COMPOSER_MEMORY_LIMIT",
    "COMPOSER_PROCESS_TIMEOUT",
    "COMPOSER_NO_DEV",
    "COMPOSER_DISABLE_XDEBUG_WARN",
    "COMPOSER_VERSION",
    "COMPOSER_NO_AUDIT",
    "COMPOSER_FUND",
    "COMPOSER_IGNORE_PLATFORM_REQS",
    "CARGO_NET_RETRY",
    "CARGO_NET_GIT_FETCH_WITH_CLI",
    "CARGO_HTTP_TIMEOUT",
    "CARGO_HTTP_MULTIPLEXING",
    "CARGO_REGISTRIES_CRATES_IO_PROTOCOL",
    "CARGO_TERM_COLOR",
    "CARGO_TERM_VERBOSE",
    "CARGO_TERM_QUIET",
    "CARGO_TERM_PROGRESS_WHEN",
    "CARGO_INCREMENTAL",
    "RUSTUP_TOOLCHAIN",
    "NODE_ENV",
    "NODE_VERSION",
    "NODE_MAJOR",
    "NODE_PATH",
    "NODE_NO_WARNINGS",
    "NODE_TLS_REJECT_UNAUTHORIZED",
];

/// npm settings (after `npm_config_`, any case, `-` or `_`) harmless
/// whatever their value.
const NPM_ANY_VALUE: &[&str] = &[
    "loglevel",
    "fund",
    "audit",
    "update_notifier",
    "progress",
    "production",
    "omit",
    "include",
    "legacy_peer_deps",
    "strict_peer_deps",
    "fetch_retries",
    "fetch_retry_mintimeout",
    "fetch_retry_maxtimeout",
    "fetch_retry_factor",
    "fetch_timeout",
    "maxsockets",
    "strict_ssl",
    "unsafe_perm",
    "color",
    "yes",
    "engine_strict",
    "prefer_offline",
    "prefer_online",
    "foreground_scripts",
];

/// Settings that name files (CA bundles, constraints, a wheel directory):
/// harmless when each is an absolute path outside the copied tree, a file
/// of the image that both orders read alike.
const OUTSIDE_PATHS: &[&str] = &[
    "PIP_CERT",
    "PIP_CLIENT_CERT",
    "PIP_FIND_LINKS",
    "PIP_CONSTRAINT",
    "PIP_BUILD_CONSTRAINT",
    "UV_CONSTRAINT",
    "UV_BUILD_CONSTRAINT",
    "UV_OVERRIDE",
    "UV_FIND_LINKS",
    "NODE_EXTRA_CA_CERTS",
    "YARN_CA_FILE_PATH",
    "YARN_HTTPS_CA_FILE_PATH",
    "CARGO_HTTP_CAINFO",
    "COMPOSER_CAFILE",
    "BUNDLE_SSL_CA_CERT",
];

/// Settings that name a package index: harmless when a remote URL.
const REMOTE_URL: &[&str] = &[
    "COREPACK_NPM_REGISTRY",
    "PIP_INDEX_URL",
    "PIP_EXTRA_INDEX_URL",
    "PIPENV_PYPI_MIRROR",
    "UV_INDEX_URL",
    "UV_EXTRA_INDEX_URL",
    "UV_DEFAULT_INDEX",
    "UV_INDEX",
    "YARN_NPM_REGISTRY_SERVER",
    "YARN_REGISTRY",
    "GOPROXY",
];

/// Refuses when the environment of the RUN sets an installer setting that
/// may name a file of the source tree.
pub(super) fn check_environment_settings(env: &StaticEnv, dest: &str) -> Result<(), &'static str> {
    for name in env.names() {
        if !is_installer_setting(name) {
            continue;
        }
        let value = env.value(name).map_err(|()| UNKNOWN)?.unwrap_or("");
        if !harmless(name, Some(value), dest) {
            return Err(UNKNOWN);
        }
    }
    Ok(())
}

/// Refuses when a command assigns an installer setting (`NAME=value cmd`)
/// whose value matters: the value is not known to the pass, so only the
/// settings harmless whatever their value pass.
pub(super) fn check_assigned_settings(assigned: &[String]) -> Result<(), &'static str> {
    if assigned
        .iter()
        .any(|name| is_installer_setting(name) && !harmless(name, None, "/"))
    {
        return Err(UNKNOWN);
    }
    Ok(())
}

const UNKNOWN: &str =
    "the environment sets an installer option the pass does not know (it may name a file)";

fn is_installer_setting(name: &str) -> bool {
    FAMILIES.iter().any(|f| name.starts_with(f)) || name == "PYTHONSTARTUP"
}

/// Whether a setting is harmless with this value (`None`: unknown value)
/// for a COPY into `dest`.
fn harmless(name: &str, value: Option<&str>, dest: &str) -> bool {
    if ANY_VALUE.contains(&name) || LOCATION_VARS.contains(&name) {
        return true;
    }
    if OUTSIDE_PATHS.contains(&name) {
        return value.is_some_and(|v| {
            v.split_whitespace()
                .all(|path| path.starts_with('/') && !is_within(path, dest))
        });
    }
    if name == "GOFLAGS" {
        return value.is_some_and(|v| v.split_whitespace().all(harmless_go_flag));
    }
    // Corepack writes `packageManager` into package.json with auto-pin on.
    if name == "COREPACK_ENABLE_AUTO_PIN" {
        return value == Some("0");
    }
    if name == "GOWORK" {
        return value == Some("off");
    }
    if name == "NODE_OPTIONS" {
        return value.is_some_and(|v| v.split_whitespace().all(harmless_node_option));
    }
    if let Some(key) = name
        .strip_prefix("npm_config_")
        .or_else(|| name.strip_prefix("NPM_CONFIG_"))
    {
        let key = key.to_ascii_lowercase().replace('-', "_");
        // Scripts off only: the environment beats the project's `.npmrc`,
        // so `false` would turn back on the scripts `.npmrc` turned off.
        return NPM_ANY_VALUE.contains(&key.as_str())
            || (key == "ignore_scripts" && value == Some("true"))
            || (key == "registry" && value.is_some_and(remote_urls))
            || (key == "cafile"
                && value.is_some_and(|v| v.starts_with('/') && !is_within(v, dest)));
    }
    if ["POETRY_PYPI_TOKEN_", "POETRY_HTTP_BASIC_"]
        .iter()
        .any(|p| name.starts_with(p))
    {
        return true;
    }
    if REMOTE_URL.contains(&name) || name.starts_with("POETRY_REPOSITORIES_") {
        return value.is_some_and(remote_urls);
    }
    false
}

/// Every space- or comma-separated item is a remote URL (`GOPROXY` also
/// takes `direct` and `off`).
fn remote_urls(value: &str) -> bool {
    value
        .split([' ', ',', '|'])
        .filter(|item| !item.is_empty())
        .all(|item| {
            matches!(item, "direct" | "off")
                || item.starts_with("https://")
                || item.starts_with("http://")
        })
}

/// `GOFLAGS` entries that name no file: `-mod=…`, `-buildvcs=…`,
/// `-trimpath`, `-tags=…`, `-p=…`, `-v`, `-x`, `-race`.
fn harmless_go_flag(flag: &str) -> bool {
    let name = flag
        .split('=')
        .next()
        .unwrap_or(flag)
        .trim_start_matches('-');
    matches!(
        name,
        "mod" | "buildvcs" | "trimpath" | "tags" | "p" | "v" | "x" | "race" | "ldflags" | "gcflags"
    )
}

/// `NODE_OPTIONS` entries that load no file (`--require`, `--import`,
/// `--loader`, `--env-file`, … do).
fn harmless_node_option(option: &str) -> bool {
    let name = option.split('=').next().unwrap_or(option);
    matches!(
        name,
        "--max-old-space-size"
            | "--max-semi-space-size"
            | "--max-http-header-size"
            | "--openssl-legacy-provider"
            | "--dns-result-order"
            | "--no-deprecation"
            | "--no-warnings"
            | "--use-openssl-ca"
            | "--use-bundled-ca"
            | "--enable-source-maps"
            | "--trace-warnings"
            | "--unhandled-rejections"
            | "--stack-size"
    ) || option.chars().all(|c| c.is_ascii_digit())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_that_may_name_a_file_refuse() {
        assert!(!harmless("PIP_CONSTRAINT", Some("constraints.txt"), "/app"));
        assert!(!harmless("PIP_FIND_LINKS", Some("./wheels"), "/app"));
        assert!(!harmless("PIP_REQUIREMENT", Some("extra.txt"), "/app"));
        assert!(!harmless(
            "npm_config_globalconfig",
            Some("./npmrc"),
            "/app"
        ));
        assert!(!harmless(
            "GOFLAGS",
            Some("-mod=mod -overlay=overlay.json"),
            "/app"
        ));
        assert!(!harmless("GOWORK", Some("/app/go.work"), "/app"));
        assert!(!harmless("GOPROXY", Some("file:///app/proxy"), "/app"));
        assert!(!harmless(
            "NODE_OPTIONS",
            Some("--require ./tracing.js"),
            "/app"
        ));
        assert!(!harmless("PIP_INDEX_URL", None, "/app"));
        assert!(!harmless("PIP_CERT", Some("/app/certs/ca.pem"), "/app"));
        assert!(!harmless("PIP_CERT", Some("certs/ca.pem"), "/app"));
        assert!(!harmless(
            "PIP_FIND_LINKS",
            Some("/opt/wheels ./wheels"),
            "/app"
        ));
    }

    #[test]
    fn common_image_settings_pass() {
        assert!(harmless("PIP_NO_CACHE_DIR", Some("1"), "/app"));
        assert!(harmless("PIP_DISABLE_PIP_VERSION_CHECK", None, "/app"));
        assert!(harmless("YARN_VERSION", Some("1.22.22"), "/app"));
        assert!(harmless("GOTOOLCHAIN", Some("local"), "/app"));
        assert!(harmless("GOFLAGS", Some("-mod=readonly -trimpath"), "/app"));
        assert!(harmless(
            "GOPROXY",
            Some("https://proxy.golang.org,direct"),
            "/app"
        ));
        assert!(harmless("NPM_CONFIG_LOGLEVEL", Some("warn"), "/app"));
        assert!(harmless(
            "npm_config_update-notifier",
            Some("false"),
            "/app"
        ));
        assert!(harmless(
            "NODE_OPTIONS",
            Some("--max-old-space-size=4096"),
            "/app"
        ));
        assert!(harmless("npm_config_ignore_scripts", Some("true"), "/app"));
        assert!(!harmless(
            "npm_config_ignore_scripts",
            Some("false"),
            "/app"
        ));
        assert!(!harmless("COREPACK_ENV_FILE", Some("ci.env"), "/app"));
        assert!(harmless("COREPACK_ENABLE_AUTO_PIN", Some("0"), "/app"));
        assert!(!harmless("COREPACK_ENABLE_AUTO_PIN", Some("1"), "/app"));
        assert!(!harmless("COREPACK_ENABLE_AUTO_PIN", None, "/app"));
        assert!(harmless(
            "COREPACK_ENABLE_DOWNLOAD_PROMPT",
            Some("0"),
            "/app"
        ));
        assert!(harmless(
            "PIP_INDEX_URL",
            Some("https://pypi.example.com/simple"),
            "/app"
        ));
        assert!(harmless("GOPATH", Some("/go"), "/app"));
        assert!(harmless("PIP_CERT", Some("/etc/ssl/certs/ca.crt"), "/app"));
        assert!(harmless(
            "NODE_EXTRA_CA_CERTS",
            Some("/usr/local/share/ca.pem"),
            "/app"
        ));
        assert!(harmless(
            "PIP_FIND_LINKS",
            Some("/opt/wheels /srv/wheels"),
            "/app"
        ));
    }
}
