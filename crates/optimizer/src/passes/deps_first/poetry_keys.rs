//! The project's `poetry.toml`, read closed-world. Poetry takes its
//! settings from it (`poetry config --local` writes it), and several name a
//! directory or a file the install then writes or reads: `cache-dir` and
//! `data-dir`, `virtualenvs.path` and `virtualenvs.in-project` (where the
//! virtualenv goes), `certificates.<repo>.cert` and `client-cert` (files),
//! `python.installation-dir`, `installer.build-config-settings` (options
//! for the build backends of the dependencies). A key known to be harmless
//! passes; any other key refuses. Values that are paths are checked
//! separately (`locations::config_names_local_path`: a repository `url`
//! must be remote).
//!
//! Poetry 2.5 was run (traced) with a `poetry.toml` setting the listed keys
//! it still has and only the manifests in the project: it read
//! `pyproject.toml`, `poetry.lock`, `poetry.toml` and `.python-version`,
//! looked for `.venv` and `.poetry/plugins`, and nothing else.

use super::toml_keys::{assignments, key_matches};

/// Keys harmless whatever their value, as dotted patterns (`*` is any one
/// part): installer switches and parallelism, which binaries to use,
/// repositories and their credentials, whether and how the virtualenv is
/// created (not where).
const HARMLESS: [&str; 26] = [
    "experimental.new-installer",
    "http-basic.*.password",
    "http-basic.*.username",
    "installer.builtin-uninstall",
    "installer.max-workers",
    "installer.modern-installation",
    "installer.no-binary",
    "installer.only-binary",
    "installer.parallel",
    "installer.re-resolve",
    "keyring.enabled",
    "pypi-token.*",
    "repositories.*.url",
    "requests.max-retries",
    "solver.lazy-wheel",
    "solver.min-release-age",
    "solver.min-release-age-exclude",
    "solver.min-release-age-exclude-source",
    "virtualenvs.create",
    "virtualenvs.options.always-copy",
    "virtualenvs.options.no-pip",
    "virtualenvs.options.no-setuptools",
    "virtualenvs.options.system-site-packages",
    "virtualenvs.prefer-active-python",
    "virtualenvs.prompt",
    "virtualenvs.use-poetry-python",
];

/// The first key of a `poetry.toml` the pass does not know (or a line it
/// cannot read), if any.
pub(super) fn unknown_key(text: &str) -> Option<String> {
    match assignments(text) {
        Err(line) => Some(line),
        Ok(keys) => keys
            .into_iter()
            .find(|key| !HARMLESS.iter().any(|p| key_matches(p, key)))
            .map(|key| key.join(".")),
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
        let harmless = "[virtualenvs]\ncreate = false\n\n[installer]\nparallel = true\n\
                        max-workers = 4\n[repositories.corp]\nurl = \"https://pypi.corp.example/simple\"\n\
                        [http-basic.corp]\nusername = \"ci\"\n";
        assert_eq!(unknown_key(harmless), None);
        assert_eq!(unknown_key("virtualenvs.create = false\n"), None);
        assert_eq!(
            unknown_key("[virtualenvs]\nin-project = true\n").as_deref(),
            Some("virtualenvs.in-project")
        );
        assert_eq!(
            unknown_key("[certificates.corp]\ncert = \"corp-ca.pem\"\n").as_deref(),
            Some("certificates.corp.cert")
        );
        assert_eq!(
            unknown_key("cache-dir = \"cache\"\n").as_deref(),
            Some("cache-dir")
        );
        // An inline table is one key, which the list does not know.
        assert_eq!(
            unknown_key("virtualenvs = { create = false }\n").as_deref(),
            Some("virtualenvs")
        );
    }
}
