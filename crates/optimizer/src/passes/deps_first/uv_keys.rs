//! uv's settings, read closed-world: `uv.toml` and `pyproject.toml`'s
//! `[tool.uv]` table, for `uv sync --no-install-project`. Several settings
//! name a file or a directory uv then reads or writes (`cache-dir`,
//! `python-install-dir`, `cache-keys` (files of the project),
//! `python-downloads-json-url` (a JSON file), the mirrors, which may be
//! `file:` URLs) or pass options to the build backends of the dependencies
//! (`config-settings`, `extra-build-dependencies`). A key known to be
//! harmless passes; any other key refuses.
//!
//! Some listed keys take values the pass checks elsewhere, and the list
//! relies on those checks: `find-links`, `index-url`, `extra-index-url`
//! and an index's `url` must be remote URLs
//! (`locations::config_names_local_path` for `uv.toml`,
//! `python_projects.rs` for `pyproject.toml`); `sources` and `workspace`
//! refuse a `path`, an editable, a `file:` URL or any workspace
//! (`python_projects.rs`, read as text); the `pip` table is read by `uv
//! pip` only, which refuses a project's settings anyway. uv 0.13 was run
//! with a `uv.toml` of the listed keys to check it knows them.

use super::toml_keys::{assignments, key_matches};

/// Keys harmless whatever their value (under `[tool.uv]` in
/// `pyproject.toml`), as dotted patterns (`**` is any keys below):
/// indexes and the network, resolution and build strategy switches,
/// dependency lists read as requirements, what to reinstall or upgrade.
const HARMLESS: [&str; 54] = [
    "allow-insecure-host",
    "build-constraint-dependencies",
    "compile-bytecode",
    "concurrent-builds",
    "concurrent-downloads",
    "concurrent-installs",
    "conflicts",
    "constraint-dependencies",
    "default-groups",
    "dev-dependencies",
    "environments",
    "exclude-newer",
    "extra-index-url",
    "find-links",
    "fork-strategy",
    "index-strategy",
    "index-url",
    "index.authenticate",
    "index.default",
    "index.explicit",
    "index.format",
    "index.ignore-error-codes",
    "index.name",
    "index.url",
    "keyring-provider",
    "link-mode",
    "managed",
    "native-tls",
    "no-binary",
    "no-binary-package",
    "no-build",
    "no-build-isolation",
    "no-build-isolation-package",
    "no-build-package",
    "no-cache",
    "no-index",
    "no-sources",
    "offline",
    "override-dependencies",
    "package",
    "pip.**",
    "prerelease",
    "preview",
    "python-downloads",
    "python-preference",
    "reinstall",
    "reinstall-package",
    "required-environments",
    "required-version",
    "resolution",
    "sources.**",
    "system-certs",
    "upgrade",
    "upgrade-package",
];

/// The first key of `uv.toml` the pass does not know (or a line it cannot
/// read), if any.
pub(super) fn unknown_in_uv_toml(text: &str) -> Option<String> {
    unknown_below(text, &[])
}

/// The first key of `pyproject.toml`'s `[tool.uv]` the pass does not know
/// (or a line it cannot read), if any; `tool.uv` written as an inline
/// table is not known either.
pub(super) fn unknown_in_pyproject(text: &str) -> Option<String> {
    unknown_below(text, &["tool", "uv"])
}

/// The first key below `prefix` that no pattern of [`HARMLESS`] matches;
/// a key that is a part of `prefix` itself (`tool = { uv = … }`) is unknown.
fn unknown_below(text: &str, prefix: &[&str]) -> Option<String> {
    let keys = match assignments(text) {
        Err(line) => return Some(line),
        Ok(keys) => keys,
    };
    for key in keys {
        let shared = key.iter().zip(prefix).take_while(|(k, p)| k == p).count();
        if shared < key.len().min(prefix.len()) {
            continue;
        }
        let known = key.len() > prefix.len()
            && HARMLESS
                .iter()
                .any(|p| key_matches(p, &key[prefix.len()..]));
        if !known {
            return Some(key.join("."));
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
    fn uv_toml_keys() {
        let harmless = "index-url = \"https://pypi.example.com/simple\"\ncompile-bytecode = true\n\
                        link-mode = \"copy\"\n[[index]]\nname = \"torch\"\n\
                        url = \"https://download.pytorch.org/whl/cpu\"\nexplicit = true\n\
                        [pip]\nsystem = true\n";
        assert_eq!(unknown_in_uv_toml(harmless), None);
        assert_eq!(
            unknown_in_uv_toml("config-settings = { editable_mode = \"compat\" }\n").as_deref(),
            Some("config-settings")
        );
        assert_eq!(
            unknown_in_uv_toml("cache-keys = [{ file = \"requirements.txt\" }]\n").as_deref(),
            Some("cache-keys")
        );
    }

    #[test]
    fn pyproject_keys() {
        let harmless = "[project]\nname = \"api\"\ndependencies = [\"httpx\"]\n\
                        [tool.ruff]\nline-length = 100\n[tool.uv]\ndev-dependencies = [\"pytest\"]\n\
                        [tool.uv.sources]\ntorch = { index = \"torch\" }\n";
        assert_eq!(unknown_in_pyproject(harmless), None);
        assert_eq!(
            unknown_in_pyproject("[tool.uv]\npython-downloads-json-url = \"pythons.json\"\n")
                .as_deref(),
            Some("tool.uv.python-downloads-json-url")
        );
        assert_eq!(
            unknown_in_pyproject("[tool]\nuv = { no-cache = true }\n").as_deref(),
            Some("tool.uv")
        );
        assert_eq!(
            unknown_in_pyproject("tool.uv.cache-keys = []\n").as_deref(),
            Some("tool.uv.cache-keys")
        );
    }
}
