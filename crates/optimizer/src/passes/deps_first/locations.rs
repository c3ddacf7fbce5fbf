//! Where an installer writes, as configuration can move it: the install must
//! write nothing inside `<dir>` that the full COPY could then overwrite, so
//! variables and config files that move an installer's prefix, cache,
//! virtualenv or module directory into the copied tree refuse.

use crate::facts::CmdFacts;

use super::installer_env;
use super::scan::Call;

/// Variables that move where an installer writes (or which config it reads).
pub(super) const LOCATION_VARS: [&str; 45] = [
    "HOME",
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

/// Entries of `<dir>` the pass never lets the full COPY write over: the
/// caches and per-user directories installers write when `HOME` is `<dir>`.
pub(super) const HOME_ENTRIES: [&str; 6] = [
    ".cache",
    ".local",
    ".npm",
    ".pnpm-store",
    ".config",
    ".yarn",
];

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
    installer_env::check_environment_settings(&facts.env)
}

/// Whether `path` is `dir` or below it (both absolute and normalised).
fn is_within(path: &str, dir: &str) -> bool {
    let path = path.trim_end_matches('/');
    path == dir || path.starts_with(&format!("{}/", dir.trim_end_matches('/')))
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
    }
}
