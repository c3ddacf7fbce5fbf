//! Pipenv: `pipenv install --deploy`, `pipenv install --ignore-pipfile`,
//! `pipenv sync` (`--system` too) read `Pipfile` and `Pipfile.lock`.
//!
//! Tested with pipenv in a directory holding only the two files: `install
//! --deploy`, `install --ignore-pipfile` and `sync` install from the lock
//! and leave it unchanged, a stale lock included (`--deploy` then fails,
//! the other two install from the lock as it is); a plain `pipenv install`
//! rewrites a stale lock; without a lock, `install --deploy` writes one and
//! `sync` fails; a `.env` in the project is loaded (it may set any
//! `PIPENV_*` variable, `PIPENV_VENV_IN_PROJECT` included, which then put
//! the virtualenv in the project).
//!
//! Pipenv asks the interpreter it installs for with `python -c "import
//! sysconfig, json…"` run in the working directory, which Python puts
//! first on the import path (checked: a project's `json.py` was imported,
//! and Pipenv failed with "module 'json' has no attribute 'dumps'"). So an
//! entry of the working directory named like a module Python imports
//! refuses, whatever `PYTHONPATH` says (`python_imports.rs`).

use super::context::{join, Checked, Decline, Reader};
use super::python::without_bom;
use super::python_imports;
use super::scan::{flag_name, Call, Step, Tool};

/// Options of `pipenv install` and `pipenv sync` that need no file of the
/// project and name no path.
const FLAGS: [&str; 17] = [
    "--deploy",
    "--ignore-pipfile",
    "--system",
    "--dev",
    "-d",
    "--categories",
    "--site-packages",
    "--no-site-packages",
    "--verbose",
    "-v",
    "--quiet",
    "-q",
    "--clear",
    "--pre",
    "--python",
    "--pypi-mirror",
    "--bare",
];

/// Options of [`FLAGS`] whose value is the next word.
const VALUE_FLAGS: [&str; 3] = ["--categories", "--python", "--pypi-mirror"];

/// Options only `pipenv install` takes (`sync` takes the others).
const INSTALL_ONLY: [&str; 2] = ["--deploy", "--ignore-pipfile"];

/// The step a call makes, when it is pipenv's.
pub(super) fn step(call: &Call) -> Option<Result<Step, &'static str>> {
    if call.name != "pipenv" {
        return None;
    }
    let (sub, flags) = call.args.split_first()?;
    let sync = match sub.as_str() {
        "install" => false,
        "sync" => true,
        _ => return Some(Err("a pipenv command other than install or sync")),
    };
    let mut from_lock = sync;
    let mut i = 0;
    while i < flags.len() {
        let (name, value) = flag_name(&flags[i]);
        i += 1;
        if !FLAGS.contains(&name) || (sync && INSTALL_ONLY.contains(&name)) {
            return Some(Err(if name.starts_with('-') {
                "an install option the pass does not know"
            } else {
                "an install of named packages"
            }));
        }
        from_lock |= INSTALL_ONLY.contains(&name);
        if VALUE_FLAGS.contains(&name) {
            let value = match value {
                Some(v) => v,
                None => {
                    i += 1;
                    match flags.get(i - 1) {
                        Some(v) => v.as_str(),
                        None => return Some(Err("a flag without its value")),
                    }
                }
            };
            // `--python ./bin/python` would name a file of the project.
            if value.contains('/') && !value.starts_with('/') && !value.contains("://") {
                return Some(Err("an option naming a relative path"));
            }
        }
    }
    Some(Ok(Step::Install {
        tool: Tool::Pipenv,
        named: Vec::new(),
        text: call.display(),
        // `--deploy` fails on a stale lock, `sync` and `--ignore-pipfile`
        // install from it as it is; a plain install rewrites it.
        rewrites_lock: !from_lock,
        writes_config: false,
        runs_plugins: false,
    }))
}

/// `Pipfile` (required, checked), then `Pipfile.lock` and
/// `.python-version` when present.
/// Refuses a `.env` (pipenv loads it) and a `pylock.toml` (newer pipenv
/// versions may install from it) in the project.
pub(super) fn manifests(
    rewrites_lock: bool,
    dir: &str,
    reader: &mut Reader,
) -> Checked<Vec<String>> {
    let path = |name: &str| join(dir, name).unwrap_or_else(|| name.to_string());
    let pipfile = reader.text(&path("Pipfile"));
    let lock = reader.text(&path("Pipfile.lock"));
    let dotenv = reader.file(&path(".env"));
    let pylock = reader.file(&path("pylock.toml"));
    // A pyenv shim picks the interpreter from it: copied, never harmful.
    let version = reader.file(&path(".python-version"));
    let listing = reader.dir(dir);
    let pipfile = pipfile?.ok_or(Decline::Refused("Pipfile is not in the context"))?;
    let pipfile = without_bom(pipfile);
    let (lock, version) = (lock?.map(without_bom), version?);
    if listing?
        .unwrap_or_default()
        .iter()
        .any(|e| python_imports::shadows_imported_module(e))
    {
        return Err(Decline::Refused(
            "a file of the working directory is named like a module Python imports, and Pipenv runs Python there (its working directory is first on the import path)",
        ));
    }
    if dotenv?.is_some() {
        return Err(Decline::Refused(
            "the project has a `.env`, which pipenv loads: it may set where it installs",
        ));
    }
    if pylock?.is_some() {
        return Err(Decline::Refused("the project has a pylock.toml"));
    }
    if names_local_source(pipfile) || lock.is_some_and(lock_names_local_source) {
        return Err(Decline::Refused(
            "the Pipfile or its lock names a local path, a file or an editable",
        ));
    }
    let mut out = vec![path("Pipfile")];
    if lock.is_some() {
        if rewrites_lock {
            return Err(Decline::Refused(
                "the install may rewrite the lockfile the full COPY overwrites",
            ));
        }
        out.push(path("Pipfile.lock"));
    }
    if version.is_some() {
        out.push(path(".python-version"));
    }
    Ok(out)
}

/// Whether the Pipfile (TOML, read as text, conservatively) has a `path`,
/// `file` or `editable` key: a local directory, a local archive (or any
/// file URL) or an editable install, which need files of the project.
fn names_local_source(text: &str) -> bool {
    text.lines().any(|line| {
        let line = line.split('#').next().unwrap_or("");
        let compact: String = line.chars().filter(|c| !c.is_whitespace()).collect();
        ["path", "file", "editable"].iter().any(|key| {
            ["=", "\"=", "'="]
                .iter()
                .any(|end| compact.contains(&format!("{key}{end}")))
        }) || compact.contains("file:")
    })
}

/// Whether Pipfile.lock (JSON, read as text) has a `path`, `file` or
/// `editable` entry: `pipenv sync` installs from the lock alone.
fn lock_names_local_source(text: &str) -> bool {
    let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
    ["\"path\":", "\"file\":", "\"editable\":", "file:"]
        .iter()
        .any(|key| compact.contains(key))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_sources() {
        assert!(names_local_source(
            "[packages]\napi = {path = \".\", editable = true}\n"
        ));
        assert!(names_local_source(
            "[packages]\nwheel = {file = \"dist/w.whl\"}\n"
        ));
        assert!(!names_local_source(
            "[packages]\nrequests = \"==2.32.3\"\n# path = \"x\"\n"
        ));
        assert!(lock_names_local_source(
            "{\"default\": {\"api\": {\"editable\": true, \"path\": \".\"}}}"
        ));
        assert!(!lock_names_local_source(
            "{\"default\": {\"six\": {\"version\": \"==1.17.0\"}}}"
        ));
    }
}
