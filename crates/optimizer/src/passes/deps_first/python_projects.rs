//! Python project managers: `poetry install --no-root` (`pyproject.toml`,
//! `poetry.lock`, `poetry.toml`) and `uv sync --no-install-project`
//! (`pyproject.toml`, `uv.lock`, `uv.toml`, `.python-version`,
//! `.python-versions`: uv reads both version files, checked). Both must
//! leave the project itself out: installing it needs its source. Poetry
//! also gets the readme `pyproject.toml` names.
//!
//! `[tool.poetry]` is not read closed-world: Poetry 2.5 was traced running
//! `poetry install --no-root` with `packages`, `include`, `exclude`,
//! `scripts` and a `build` script naming files that were not there, and it
//! read no file of the project but `pyproject.toml`, `poetry.lock`,
//! `poetry.toml` and `.python-version` (it looked for `.venv` and
//! `.poetry/plugins`): those keys serve only the root package, which
//! `--no-root` skips. What it does read is checked here: dependencies from
//! a path, a file or in develop mode, sources that are not remote, a
//! license file, project plugins; the readme is copied. A `git` source must
//! be a URL (Poetry refuses `git = "../repo"`: checked).

use super::context::{join, Checked, Decline, Reader};
use super::locations;
use super::poetry_keys;
use super::python::without_bom;
use super::scan::{flag_name, removes_only, Call, Step, Tool};
use super::uv_keys;

/// `poetry install` options that need no file of the project.
const POETRY_FLAGS: [&str; 14] = [
    "--no-root",
    "--no-interaction",
    "-n",
    "--no-ansi",
    "--only",
    "--without",
    "--with",
    "--sync",
    "--no-directory",
    "--all-extras",
    "--extras",
    "-E",
    "--compile",
    "--quiet",
];

/// `poetry install` options of [`POETRY_FLAGS`] whose value is the next word.
const POETRY_VALUES: [&str; 5] = ["--only", "--without", "--with", "--extras", "-E"];

/// `uv sync` options that need no file of the project.
const UV_FLAGS: [&str; 13] = [
    "--no-install-project",
    "--frozen",
    "--locked",
    "--no-dev",
    "--compile-bytecode",
    "--no-cache",
    "--all-extras",
    "--extra",
    "--group",
    "--no-group",
    "--only-dev",
    "--link-mode",
    "--quiet",
];

/// `uv sync` options of [`UV_FLAGS`] whose value is the next word.
const UV_VALUES: [&str; 4] = ["--extra", "--group", "--no-group", "--link-mode"];

/// uv's cache (removing it is part of the install).
const UV_CACHES: [&str; 2] = ["~/.cache/uv", "/root/.cache/uv"];

/// The step a call makes, when it is poetry's or `uv sync`.
pub(super) fn step(call: &Call) -> Option<Result<Step, &'static str>> {
    if removes_only(call, &UV_CACHES) {
        return Some(Ok(Step::Aside(Tool::Uv)));
    }
    let args: Vec<&str> = call.args.iter().map(String::as_str).collect();
    let (tool, flags) = match (call.name.as_str(), args.as_slice()) {
        ("poetry", ["config", key, value]) if !key.starts_with('-') => {
            // Global config (`--local` would write poetry.toml in the project);
            // read as `poetry.toml` is, closed-world: a certificate path, a
            // cache or virtualenv directory relative to the working directory
            // would be read or written there.
            let line = format!("{key} = \"{value}\"\n");
            let quoted = value.contains(['"', '\\']);
            if quoted
                || poetry_keys::unknown_key(&line).is_some()
                || locations::config_names_local_path("poetry.toml", &line)
            {
                return Some(Err(
                    "a poetry config setting the pass does not know, or naming a path",
                ));
            }
            return Some(Ok(Step::Aside(Tool::Poetry)));
        }
        ("poetry", ["install", flags @ ..]) => (Tool::Poetry, flags),
        ("uv", ["cache", "clean"]) => return Some(Ok(Step::Aside(Tool::Uv))),
        ("uv", ["sync", flags @ ..]) => (Tool::Uv, flags),
        ("poetry", _) => return Some(Err("a poetry command other than install")),
        ("uv", [first, ..]) if *first != "pip" => return Some(Err("a uv command other than sync")),
        _ => return None,
    };
    let (known, values, required) = match tool {
        Tool::Poetry => (&POETRY_FLAGS[..], &POETRY_VALUES[..], "--no-root"),
        _ => (&UV_FLAGS[..], &UV_VALUES[..], "--no-install-project"),
    };
    let mut frozen = false;
    let mut i = 0;
    while i < flags.len() {
        let (name, value) = flag_name(flags[i]);
        i += 1;
        if !known.contains(&name) {
            return Some(Err("an install option the pass does not know"));
        }
        frozen |= matches!(name, "--frozen" | "--locked");
        if value.is_none() && values.contains(&name) {
            i += 1;
        }
    }
    if !flags.contains(&required) {
        return Some(Err("an install of the project itself"));
    }
    Some(Ok(Step::Install {
        tool,
        named: Vec::new(),
        text: call.display(),
        // Poetry refuses a stale poetry.lock rather than rewrite it; `uv
        // sync` updates uv.lock unless `--frozen`/`--locked`.
        rewrites_lock: tool == Tool::Uv && !frozen,
        writes_config: false,
        runs_plugins: false,
    }))
}

/// `pyproject.toml` (required, checked), then the lockfile and config files
/// present.
pub(super) fn manifests(
    tool: Tool,
    rewrites_lock: bool,
    dir: &str,
    reader: &mut Reader,
) -> Checked<Vec<String>> {
    let path = |name: &str| join(dir, name).unwrap_or_else(|| name.to_string());
    let optional: &[&str] = match tool {
        Tool::Poetry => &["poetry.lock", "poetry.toml"],
        _ => &["uv.lock", "uv.toml", ".python-version", ".python-versions"],
    };
    let project = reader.text(&path("pyproject.toml"));
    let present = reader.texts_present(dir, optional);
    let project = project?.ok_or(Decline::Refused("pyproject.toml is not in the context"))?;
    let project = without_bom(project);
    let present: Vec<(&str, &str)> = present?
        .into_iter()
        .map(|(name, text)| (name, without_bom(text)))
        .collect();
    for (name, text) in &present {
        if locations::config_moves_output(name, text) {
            return Err(Decline::Refused(
                "a config file moves where the install writes",
            ));
        }
        let version_file = matches!(*name, ".python-version" | ".python-versions");
        // The project itself is locked as `source = { editable = "." }` (or
        // `virtual`): `--no-install-project` leaves it out, so that line
        // names no path the install reads; every other line is read.
        let checked = if *name == "uv.lock" {
            without_root_project(text)
        } else {
            text.to_string()
        };
        let own_reader = *name == "poetry.lock";
        if !version_file && !own_reader && locations::config_names_local_path(name, &checked) {
            return Err(Decline::Refused("a config file names a local path"));
        }
        let unknown = match *name {
            "poetry.toml" if poetry_keys::unknown_key(text).is_some() => {
                "poetry.toml has a setting the pass does not know (it may name a file or a directory)"
            }
            "uv.toml" if uv_keys::unknown_in_uv_toml(text).is_some() => {
                "uv.toml has a setting the pass does not know (it may name a file or a directory)"
            }
            _ => "",
        };
        if !unknown.is_empty() {
            return Err(Decline::Refused(unknown));
        }
        if *name == "poetry.lock" && poetry_lock_names_local_source(text) {
            return Err(Decline::Refused(
                "poetry.lock installs a package from a directory or file of the project",
            ));
        }
        if *name == "uv.lock" && lock_names_local_source(text) {
            return Err(Decline::Refused(
                "uv.lock installs a package from a directory or file of the project",
            ));
        }
    }
    if names_local_source(project) || names_local_index(project) || names_a_dir(project) {
        return Err(Decline::Refused(
            "pyproject.toml names a local path, an editable or a workspace",
        ));
    }
    if tool == Tool::Uv && uv_keys::unknown_in_pyproject(project).is_some() {
        return Err(Decline::Refused(
            "pyproject.toml's [tool.uv] has a setting the pass does not know (it may name a file or a directory)",
        ));
    }
    if rewrites_lock && present.iter().any(|(name, _)| *name == "uv.lock") {
        return Err(Decline::Refused(
            "the install may rewrite the lockfile the full COPY overwrites",
        ));
    }
    let mut out = vec![path("pyproject.toml")];
    out.extend(present.iter().map(|(name, _)| path(name)));
    // Dynamic metadata is computed by the project's build backend, from
    // its sources (a version in `__init__.py`, from git), when uv checks
    // the lock against the project.
    if tool == Tool::Uv
        && project
            .lines()
            .any(|l| l.trim_start().starts_with("dynamic"))
    {
        return Err(Decline::Refused(
            "pyproject.toml has dynamic metadata, which uv builds from the sources",
        ));
    }
    if tool == Tool::Poetry && (requires_plugins(project) || license_file(project)) {
        return Err(Decline::Refused(
            "pyproject.toml has Poetry install project plugins or read a license file",
        ));
    }
    if tool == Tool::Poetry {
        // Some Poetry versions read the readme even with `--no-root`.
        for readme in readmes(project)? {
            let readme =
                join(dir, &readme).ok_or(Decline::Refused("a readme outside the context"))?;
            if reader.file(&readme)?.is_none() {
                return Err(Decline::Refused(
                    "the readme pyproject.toml names is not in the context",
                ));
            }
            out.push(readme);
        }
    }
    Ok(out)
}

/// Whether `pyproject.toml` sets a directory a tool writes or reads (uv's
/// `cache-dir`, `python-install-dir`, any `…-dir` key): relative to the
/// project, it may be one the full COPY overwrites.
fn names_a_dir(text: &str) -> bool {
    text.lines().any(|line| {
        line.split_once('=')
            .is_some_and(|(key, _)| key.trim().trim_matches(['"', '\'']).ends_with("-dir"))
    })
}

/// Whether Poetry 2 installs plugins for the project
/// (`[tool.poetry.requires-plugins]`): it writes them into the project's
/// `.poetry/plugins`, and a plugin runs inside Poetry, free to read the
/// project.
fn requires_plugins(text: &str) -> bool {
    text.contains("requires-plugins")
}

/// Whether the project's license is a file (`license = { file = "LICENSE" }`,
/// or the `[project.license]` table): poetry-core reads it when it loads
/// the project, even with `--no-root`.
fn license_file(text: &str) -> bool {
    let mut in_license_table = false;
    text.lines().any(|line| {
        let line = line.trim();
        if line.starts_with('[') {
            in_license_table = line.contains("license");
            return false;
        }
        let compact: String = line.chars().filter(|c| !c.is_whitespace()).collect();
        (compact.starts_with("license=") && compact.contains("file"))
            || (in_license_table && compact.starts_with("file="))
    })
}

/// Whether `pyproject.toml` names a local index or find-links directory
/// (`find-links = ["./wheels"]`, an index `url = "./simple"`).
fn names_local_index(text: &str) -> bool {
    text.lines().any(|line| {
        let compact: String = line.chars().filter(|c| !c.is_whitespace()).collect();
        ["find-links=", "url=", "index-url=", "extra-index-url="]
            .iter()
            .any(|key| {
                compact.split(['{', ',']).any(|part| {
                    // A bare name is a path relative to the project too
                    // (`find-links = ["wheels"]`): only remote URLs pass.
                    part.strip_prefix(key).is_some_and(|v| {
                        locations::value_names_path(v) || !locations::plain_setting(v)
                    })
                })
            })
    })
}

/// The files of `readme = "…"` lines (a list or table refuses).
fn readmes(text: &str) -> Checked<Vec<String>> {
    let mut out = Vec::new();
    for line in text.lines() {
        let Some((key, value)) = line.split_once('=') else {
            continue;
        };
        if key.trim() != "readme" {
            continue;
        }
        let value = value.split('#').next().unwrap_or("").trim();
        match value
            .strip_prefix('"')
            .and_then(|v| v.strip_suffix('"'))
            .filter(|v| !v.contains(['"', '\\']))
        {
            Some(file) => out.push(file.to_string()),
            None => return Err(Decline::Refused("a readme that is not one file")),
        }
    }
    Ok(out)
}

/// Whether pyproject.toml may make the install read other files of the
/// project: path dependencies (`{ path = "../lib" }`, `file:` URLs),
/// editables (`develop = true`, `editable = true`) or workspaces. Read as
/// text, conservatively: any mention refuses. Quotes are dropped first, so
/// a quoted key (`{ "path" = "lib" }`, `'develop' = true`) is read as the
/// bare one; a `\u` escape (which may spell a key) refuses.
fn names_local_source(text: &str) -> bool {
    if text.contains("\\u") || text.contains("\\U") {
        return true;
    }
    text.lines().any(|line| {
        let line = line.split('#').next().unwrap_or("");
        let compact = unquoted_compact(line);
        compact.contains("path=")
            || compact.contains("develop=true")
            || compact.contains("editable=true")
            || compact.contains("workspace")
            || compact.contains("file:")
    })
}

/// A line without whitespace and quotes: `mylib = { "path" = "mylib" }`
/// reads `mylib={path=mylib}`, as TOML reads a quoted key as the bare one.
fn unquoted_compact(line: &str) -> String {
    line.chars()
        .filter(|c| !c.is_whitespace() && !matches!(c, '"' | '\''))
        .collect()
}

/// Whether poetry.lock has a package from a directory or a file
/// (`[package.source]` with `type = "directory"` or `"file"`, its `url` a
/// path relative to the project), or a source `url` that is not a remote
/// URL: Poetry installs the lock as it is, and the path is not copied with
/// the manifests. This is the lock's whole path check: its other values
/// are package metadata (a `description` may hold a `/`), and `files`
/// lists artifact names of the index.
fn poetry_lock_names_local_source(text: &str) -> bool {
    text.lines().any(|line| {
        let compact = unquoted_compact(line.split('#').next().unwrap_or(""));
        let local_url = compact
            .strip_prefix("url=")
            .is_some_and(|url| !(url.starts_with("https://") || url.starts_with("http://")));
        compact == "type=directory"
            || compact == "type=file"
            || compact.contains("develop=true")
            || local_url
    })
}

/// `uv.lock` without the lines that lock the project itself from `.`.
fn without_root_project(text: &str) -> String {
    text.lines()
        .filter(|line| {
            !matches!(
                unquoted_compact(line).as_str(),
                "source={editable=.}" | "source={virtual=.}"
            )
        })
        .map(|line| format!("{line}\n"))
        .collect()
}

/// Whether uv.lock has a package from a local directory, file or editable
/// other than the project itself (`source = { editable = "." }`, which
/// `--no-install-project` skips): with `--frozen`, uv installs the lock as
/// it is, whatever `pyproject.toml` says now.
fn lock_names_local_source(text: &str) -> bool {
    text.lines().any(|line| {
        let compact = unquoted_compact(line);
        let Some(source) = compact.strip_prefix("source={") else {
            return false;
        };
        ["directory=", "path=", "editable=", "virtual="]
            .iter()
            .any(|key| {
                source.split(',').any(|part| {
                    part.strip_prefix(key)
                        .is_some_and(|v| v != ".}" && v != ".")
                })
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn poetry_lock_sources() {
        let real = "[[package]]\nname = \"markupsafe\"\n\
                    description = \"Safely add untrusted strings to HTML/XML markup.\"\n\
                    files = [\n    {file = \"MarkupSafe-2.1.5.tar.gz\", hash = \"sha256:00\"},\n]\n\
                    [package.source]\ntype = \"legacy\"\nurl = \"https://pypi.corp.example.com/simple\"\n";
        assert!(!poetry_lock_names_local_source(real));
        for local in [
            "[package.source]\ntype = \"directory\"\nurl = \"libs/core\"\n",
            "[package.source]\ntype = \"file\"\nurl = \"dist/core-1.0.whl\"\n",
            "[package.source]\ntype = \"git\"\nurl = \"vendor/core.git\"\n",
            "[package.source]\ntype = \"legacy\"\nurl = \"file:///app/wheels\"\n",
            "develop = true\n",
        ] {
            assert!(poetry_lock_names_local_source(local), "{local}");
        }
    }

    #[test]
    fn lock_sources() {
        assert!(!lock_names_local_source(
            "[[package]]\nname = \"api\"\nsource = { editable = \".\" }\n"
        ));
        assert!(!lock_names_local_source(
            "source = { registry = \"https://pypi.org/simple\" }\n"
        ));
        assert!(lock_names_local_source(
            "[[package]]\nname = \"lib\"\nsource = { directory = \"libs/lib\" }\n"
        ));
        assert!(lock_names_local_source(
            "source = { path = \"dist/x.whl\" }\n"
        ));
        assert!(lock_names_local_source(
            "source = { \"directory\" = \"libs/lib\" }\n"
        ));
    }

    #[test]
    fn local_sources() {
        assert!(names_local_source(
            "[tool.poetry.dependencies]\nlib = { path = \"../lib\", develop = true }\n"
        ));
        assert!(names_local_source(
            "[tool.uv.workspace]\nmembers = [\"packages/*\"]\n"
        ));
        assert!(names_local_source(
            "[tool.uv.sources]\nlib = { workspace = true }\n"
        ));
        assert!(!names_local_source(
            "[project]\nname = \"api\"\ndependencies = [\"fastapi>=0.111\"]\n"
        ));
        assert!(names_local_source(
            "[tool.poetry.dependencies]\nmylib = { \"path\" = \"mylib\" }\n"
        ));
        assert!(names_local_source(
            "[tool.uv.sources]\nmylib = { 'path' = \"mylib\" }\n"
        ));
        assert!(names_local_source(
            "[tool.uv.sources]\nmylib = { \"p\\u0061th\" = \"mylib\" }\n"
        ));
        assert!(poetry_lock_names_local_source(
            "[[package]]\nname = \"mylib\"\n\n[package.source]\ntype = \"directory\"\nurl = \"mylib\"\n"
        ));
        assert!(poetry_lock_names_local_source(
            "[package.source]\ntype = \"file\"\nurl = \"dist/x.whl\"\n"
        ));
        assert!(!poetry_lock_names_local_source(
            "[package.source]\ntype = \"legacy\"\nurl = \"https://h/simple\"\nreference = \"h\"\n"
        ));
    }
}
