//! Where an installer writes, as configuration can move it: the install must
//! write nothing inside `<dir>` that the full COPY could then overwrite, so
//! variables and config files that move an installer's prefix, cache,
//! virtualenv or module directory into the copied tree refuse.

use crate::facts::CmdFacts;

use super::installer_env;
use super::scan::Call;

/// Variables that move where an installer writes (or which config it reads).
pub(super) const LOCATION_VARS: [&str; 46] = [
    "HOME",
    "COREPACK_HOME",
    "PIP_TARGET",
    "PIP_PREFIX",
    "PIP_SRC",
    "PIP_CACHE_DIR",
    "PIP_CONFIG_FILE",
    "PYTHONUSERBASE",
    "VIRTUAL_ENV",
    "UV_PROJECT_ENVIRONMENT",
    "UV_CACHE_DIR",
    "UV_CONFIG_FILE",
    "POETRY_VIRTUALENVS_PATH",
    "POETRY_CACHE_DIR",
    "POETRY_CONFIG_DIR",
    "npm_config_prefix",
    "npm_config_cache",
    "npm_config_userconfig",
    "npm_config_store_dir",
    "NPM_CONFIG_PREFIX",
    "NPM_CONFIG_CACHE",
    "NPM_CONFIG_USERCONFIG",
    "NPM_CONFIG_STORE_DIR",
    "YARN_CACHE_FOLDER",
    "PNPM_HOME",
    "GOPATH",
    "GOMODCACHE",
    "GOENV",
    "WORKON_HOME",
    "PIPENV_CACHE_DIR",
    "PIPENV_DOTENV_LOCATION",
    "GEM_HOME",
    "BUNDLE_PATH",
    "BUNDLE_APP_CONFIG",
    "BUNDLE_BIN",
    "BUNDLE_CACHE_PATH",
    "BUNDLE_USER_HOME",
    "BUNDLE_USER_CONFIG",
    "BUNDLE_USER_CACHE",
    "COMPOSER_HOME",
    "COMPOSER_CACHE_DIR",
    "COMPOSER_VENDOR_DIR",
    "COMPOSER_BIN_DIR",
    "CARGO_HOME",
    "CARGO_TARGET_DIR",
    "RUSTUP_HOME",
];

/// Variables that name the manifest or the virtualenv itself, or put it in
/// the project: refused whatever their value (the pass copies the manifests
/// it finds in the working directory).
const SET_VARS: [&str; 5] = [
    "PIPENV_PIPFILE",
    "PIPENV_CUSTOM_VENV_NAME",
    "PIPENV_VENV_IN_PROJECT",
    "BUNDLE_GEMFILE",
    "COMPOSER",
];

/// Variables whose values are flags, refused when they name a file.
const FLAG_VARS: [&str; 2] = ["GOFLAGS", "POETRY_VIRTUALENVS_IN_PROJECT"];

/// Prefixes of the variables installers read as their configuration (any
/// option, some of which name files or directories: a constraints file,
/// find-links, a workspace file, a `file:` proxy or index, a config home).
/// `npm_config_` is matched without case, as npm does.
const CONFIG_PREFIXES: [&str; 9] = [
    "PIP_",
    "UV_",
    "POETRY_",
    "npm_config_",
    "YARN_",
    "PNPM_",
    "GO",
    "XDG_",
    "GIT_",
];

/// Other variables the installers (or the runtimes and the git they start)
/// read a file from.
const FILE_VARS: [&str; 8] = [
    "NETRC",
    "NODE_OPTIONS",
    "NODE_EXTRA_CA_CERTS",
    "SSL_CERT_FILE",
    "SSL_CERT_DIR",
    "REQUESTS_CA_BUNDLE",
    "CURL_CA_BUNDLE",
    "PYTHONSTARTUP",
];

/// Variables of [`CONFIG_PREFIXES`] whose values are module path patterns,
/// never local paths.
const MODULE_PATTERN_VARS: [&str; 5] = [
    "GOPRIVATE",
    "GONOPROXY",
    "GONOSUMDB",
    "GOINSECURE",
    "GOSUMDB",
];

/// Whether a variable is installer configuration that may name a local path.
fn is_config_var(name: &str) -> bool {
    let npm = name.to_ascii_lowercase().starts_with("npm_config_");
    // Go's variables have no `_` (`GOPROXY`, `GOWORK`); `GOOGLE_…` is not Go's.
    let prefixed = CONFIG_PREFIXES
        .iter()
        .any(|p| name.starts_with(p) && (*p != "GO" || !name.contains('_')));
    (npm || prefixed || FILE_VARS.contains(&name)) && !MODULE_PATTERN_VARS.contains(&name)
}

/// Whether a configuration value names a place in `dest` or one relative to
/// the working directory (which is in `dest`): a path, a `file:` URL, a list
/// of them, a `--flag=path`. A bare word (`1`, `off`, `copy`) does not, nor
/// does a URL of another scheme or an absolute path outside `dest`; a bare
/// file name does for the variables that name files (`PIP_CONSTRAINT=c.txt`).
pub(super) fn names_local_place(name: &str, value: &str, dest: &str) -> bool {
    const NAMES_FILE: [&str; 14] = [
        "APT_CONFIG",
        "PIP_CONSTRAINT",
        "PIP_REQUIREMENT",
        "PIP_FIND_LINKS",
        "PIP_CERT",
        "PIP_CLIENT_CERT",
        "UV_CONSTRAINT",
        "UV_OVERRIDE",
        "UV_BUILD_CONSTRAINT",
        "UV_FIND_LINKS",
        "UV_PROJECT",
        "UV_WORKING_DIRECTORY",
        "GOWORK",
        "NODE_EXTRA_CA_CERTS",
    ];
    let names_file = NAMES_FILE.contains(&name)
        || name.to_ascii_lowercase().ends_with("cafile")
        || name.ends_with("_FILE");
    value
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | ';' | '|' | '=' | ':' | '"' | '\''))
        .filter(|t| !t.is_empty())
        .any(|token| {
            if let Some(abs) = token.strip_prefix('/') {
                let abs = format!("/{}", abs.trim_start_matches('/'));
                return is_within(&abs, dest);
            }
            token.starts_with('~')
                || token.starts_with('.')
                || token.contains('/')
                || (names_file && !matches!(token, "off" | "file" | "https" | "http"))
        })
}

/// Refuses when the RUN's environment, or an assignment on one of its
/// commands, moves where the install writes into `dest` (or somewhere
/// relative to the working directory, or unknown).
pub(super) fn check_environment(
    facts: &CmdFacts,
    dest: &str,
    calls: &[Call],
) -> Result<(), &'static str> {
    for call in calls {
        for name in &call.assigned {
            if LOCATION_VARS.contains(&name.as_str())
                || FLAG_VARS.contains(&name.as_str())
                || SET_VARS.contains(&name.as_str())
                || is_config_var(name)
            {
                return Err("an assignment that moves where the install writes");
            }
        }
        installer_env::check_assigned_settings(&call.assigned)?;
    }
    for name in LOCATION_VARS {
        match facts.env.value(name) {
            Ok(None) => {}
            Ok(Some(path)) if path.starts_with('/') && !is_within(path, dest) => {}
            _ => return Err("the environment moves where the install writes into the copied tree"),
        }
    }
    for name in SET_VARS {
        if !matches!(facts.env.value(name), Ok(None)) {
            return Err(
                "the environment names another manifest or puts the virtualenv in the project",
            );
        }
    }
    if matches!(facts.env.value("GOFLAGS"), Ok(Some(flags)) if flags.contains("modfile")) {
        return Err("GOFLAGS names a module file");
    }
    if !matches!(
        facts.env.value("POETRY_VIRTUALENVS_IN_PROJECT"),
        Ok(None | Some("false" | "0"))
    ) {
        return Err("Poetry may create its virtualenv in the project");
    }
    for name in facts.env.names().filter(|n| is_config_var(n)) {
        match facts.env.value(name) {
            Ok(Some(value)) if !names_local_place(name, value, dest) => {}
            Ok(None) => {}
            _ => {
                return Err(
                    "the environment names a file or directory of the copied tree (or an unknown value) for the installer",
                )
            }
        }
    }
    installer_env::check_environment_settings(&facts.env, dest)
}

/// Refuses a system package install whose environment points the package
/// manager at a config file in `dest`, relative to the working directory,
/// or unknown (`APT_CONFIG`): moved above the COPY, it would not find it.
pub(super) fn system_config_in(facts: &CmdFacts, dest: &str) -> Result<(), &'static str> {
    match facts.env.value("APT_CONFIG") {
        Ok(None) => Ok(()),
        Ok(Some(value)) if !names_local_place("APT_CONFIG", value, dest) => Ok(()),
        _ => Err("APT_CONFIG names a file of the copied tree"),
    }
}

/// Whether `path` is `dir` or below it (both absolute and normalised).
pub(super) fn is_within(path: &str, dir: &str) -> bool {
    let path = path.trim_end_matches('/');
    let dir = dir.trim_end_matches('/');
    dir.is_empty() || path == dir || path.starts_with(&format!("{dir}/"))
}

/// Whether a config file of the project moves where its tool writes (a
/// prefix, a cache, a store or a virtualenv): `.npmrc`, `.yarnrc`,
/// `.yarnrc.yml`, `poetry.toml`, `uv.toml`.
pub(super) fn config_moves_output(name: &str, text: &str) -> bool {
    let keys: &[&str] = match name {
        ".npmrc" => &[
            "prefix",
            "cache",
            "store-dir",
            "virtual-store-dir",
            "modules-dir",
            "global-dir",
            "userconfig",
        ],
        ".yarnrc" => &[
            "prefix",
            "cache-folder",
            "--cache-folder",
            "--modules-folder",
            "global-folder",
        ],
        "poetry.toml" => &["in-project", "path", "cache-dir"],
        "uv.toml" => &["cache-dir"],
        ".yarnrc.yml" => {
            return text.lines().any(|l| {
                l.split(':')
                    .next()
                    .is_some_and(|k| k.trim().ends_with("Folder"))
            })
        }
        _ => return false,
    };
    text.lines().any(|line| {
        let key = line.split(['=', ' ', '\t']).next().unwrap_or("").trim();
        keys.contains(&key)
    })
}

/// Whether a config file of the project names a local path in a value
/// (`cafile=./ca.pem`, `yarn-offline-mirror "./mirror"`, a `file:` URL, an
/// absolute path): the install would read (or write) a file the manifest
/// COPY does not bring. `.npmrc`, `.yarnrc`, `.yarnrc.yml`, `uv.toml`,
/// `poetry.toml`.
pub(super) fn config_names_local_path(name: &str, text: &str) -> bool {
    text.lines().any(|line| {
        let line = line.trim();
        if line.is_empty() || line.starts_with(['#', ';']) {
            return false;
        }
        let entry = match name {
            ".yarnrc.yml" => line.split_once(':'),
            ".yarnrc" => line.split_once(char::is_whitespace),
            _ => line.split_once('='),
        };
        entry.is_some_and(|(key, value)| {
            value_names_path(value)
                || (CONFIG_FILES.contains(&name) && key_names_file(key) && !plain_setting(value))
        })
    })
}

/// The config files whose keys [`key_names_file`] reads (lockfiles are
/// read for paths only: their keys are not settings).
const CONFIG_FILES: [&str; 5] = [".npmrc", ".yarnrc", ".yarnrc.yml", "uv.toml", "poetry.toml"];

/// Fragments of config keys whose value is a file, a directory or a
/// location (`cafile`, `pnpmfile`, `httpsCaFilePath`, `find-links`,
/// `yarn-offline-mirror`, `index-url`): a bare name there (`ca.pem`,
/// `wheels`) is a path relative to the project.
const FILE_KEYS: [&str; 9] = [
    "file", "path", "dir", "folder", "mirror", "links", "cert", "config", "url",
];

/// Whether a config key takes a file or a location (`//host/:cafile` is
/// read as `cafile`).
fn key_names_file(key: &str) -> bool {
    let key = key.trim().trim_matches(['"', '\'']);
    let key = key.rsplit(':').next().unwrap_or(key).to_ascii_lowercase();
    FILE_KEYS.iter().any(|k| key.contains(k))
}

/// Whether a value is a switch, a number or a remote URL (in quotes or a
/// list too): nothing a file-naming key could read from the project.
pub(super) fn plain_setting(value: &str) -> bool {
    value
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '[' | ']' | '"' | '\''))
        .filter(|t| !t.is_empty())
        .all(|t| {
            matches!(t, "true" | "false" | "null")
                || t.parse::<f64>().is_ok()
                || (t.contains("://") && !t.starts_with("file:"))
        })
}

/// Whether a config value holds a local path or a `file:` URL (in quotes,
/// a list or an inline table too); an `https://…` URL or a bare word does not.
pub(super) fn value_names_path(value: &str) -> bool {
    value
        .split(|c: char| c.is_whitespace() || matches!(c, ',' | '[' | ']' | '{' | '}' | '"' | '\''))
        .filter(|t| !t.is_empty())
        .any(|t| {
            t.starts_with(['/', '~', '.'])
                || t.starts_with("file:")
                || (t.contains('/') && !t.contains("://"))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_keys() {
        assert!(config_moves_output(".npmrc", "cache=./.npm-cache\n"));
        assert!(!config_moves_output(".npmrc", "fund=false\naudit=false\n"));
        assert!(config_moves_output(".yarnrc.yml", "cacheFolder: ./cache\n"));
        assert!(!config_moves_output(
            ".yarnrc.yml",
            "nodeLinker: node-modules\n"
        ));
        assert!(config_moves_output(
            "poetry.toml",
            "[virtualenvs]\nin-project = true\n"
        ));
        assert!(is_within("/app/.venv", "/app") && !is_within("/apple", "/app"));
        assert!(is_within("/", "/") && is_within("/etc", "/") && is_within("/app/", "/app"));
    }

    #[test]
    fn config_values_naming_paths() {
        assert!(config_names_local_path(".npmrc", "cafile=./certs/ca.pem\n"));
        assert!(!config_names_local_path(
            ".npmrc",
            "registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken=${TOKEN}\n"
        ));
        assert!(config_names_local_path(
            ".yarnrc",
            "yarn-offline-mirror \"./mirror\"\n"
        ));
        assert!(!config_names_local_path(
            ".yarnrc",
            "registry \"https://registry.yarnpkg.com\"\n"
        ));
        assert!(config_names_local_path(
            ".yarnrc.yml",
            "httpsCaFilePath: ./ca.pem\n"
        ));
        assert!(!config_names_local_path(
            ".yarnrc.yml",
            "nodeLinker: node-modules\n"
        ));
        assert!(config_names_local_path(
            "uv.toml",
            "find-links = [\"./wheels\"]\n"
        ));
        // A bare file name where a key takes a file is a relative path.
        assert!(config_names_local_path(".npmrc", "cafile=corp-ca.pem\n"));
        assert!(config_names_local_path(".npmrc", "pnpmfile=hooks.cjs\n"));
        assert!(config_names_local_path(
            ".npmrc",
            "//registry.example.com/:certfile=client.crt\n"
        ));
        assert!(config_names_local_path(
            "uv.toml",
            "find-links = [\"wheels\"]\n"
        ));
        assert!(config_names_local_path(
            ".yarnrc.yml",
            "httpsCaFilePath: ca.pem\n"
        ));
        assert!(config_names_local_path(
            ".yarnrc",
            "yarn-offline-mirror mirror\n"
        ));
        assert!(!config_names_local_path(
            ".npmrc",
            "@corp:registry=https://npm.example.com/\nstrict-ssl=true\n"
        ));
        // Lockfiles: hashes and remote URLs under file-like keys pass.
        assert!(!config_names_local_path(
            "poetry.lock",
            "files = [\n    {file = \"fastapi-0.111.0-py3-none-any.whl\", hash = \"sha256:0c5e\"},\n]\n"
        ));
        assert!(!config_names_local_path(
            "uv.lock",
            "wheels = [\n    { url = \"https://files.example.com/h/x-1.0-py3-none-any.whl\", hash = \"sha256:ab\", size = 12 },\n]\n"
        ));
        assert!(!config_names_local_path(
            "package-lock.json",
            "      \"integrity\": \"sha512-Xdirpathurl+file/certAB==\",\n"
        ));
        assert!(!config_names_local_path(
            "uv.toml",
            "index-strategy = \"unsafe-best-match\"\n[[index]]\nurl = \"https://pypi.example.com/simple\"\n"
        ));
    }

    #[test]
    fn environment_values_naming_places() {
        assert!(names_local_place(
            "PIP_CONSTRAINT",
            "constraints.txt",
            "/app"
        ));
        assert!(names_local_place("PIP_FIND_LINKS", "/app/wheels", "/app"));
        assert!(names_local_place("GOPROXY", "file:///app/proxy", "/app"));
        assert!(names_local_place("GOWORK", "/app/go.work", "/app"));
        assert!(!names_local_place("GOWORK", "off", "/app"));
        assert!(!names_local_place(
            "GOPROXY",
            "https://proxy.golang.org,direct",
            "/app"
        ));
        assert!(!names_local_place("PIP_NO_CACHE_DIR", "1", "/app"));
        assert!(!names_local_place(
            "PIP_INDEX_URL",
            "https://pypi.org/simple",
            "/app"
        ));
        assert!(!names_local_place(
            "PIP_CONSTRAINT",
            "/etc/constraints.txt",
            "/app"
        ));
        assert!(names_local_place("XDG_CONFIG_HOME", "/app/conf", "/app"));
        assert!(is_config_var("NPM_CONFIG_CAFILE") && is_config_var("npm_config_cafile"));
        assert!(!is_config_var("GOPRIVATE") && !is_config_var("PYTHONUNBUFFERED"));
        assert!(is_config_var("GOWORK") && !is_config_var("GOOGLE_APPLICATION_CREDENTIALS"));
        assert!(names_local_place(
            "GIT_SSH_COMMAND",
            "ssh -i ./deploy_key",
            "/app"
        ));
        assert!(names_local_place("NETRC", "/app/.netrc", "/app"));
    }
}
