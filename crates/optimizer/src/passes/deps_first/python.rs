//! pip: `pip install -r requirements.txt` (also `-c` constraints, and the
//! files those include with `-r`/`-c`, read recursively).
//!
//! Archive extensions are compared as pip does, ignoring case
//! (`MYPKG-1.0.ZIP` is a local archive). A requirements file is read
//! without a leading byte-order mark, which pip decodes away. A requirement
//! `name @ x` whose `x` has no scheme is local (uv reads it as a path). A
//! requirements file named `setup.py`, `setup.cfg` or `*.toml` refuses (uv
//! then reads the project's metadata, or a lock naming directories). A
//! file path with `..` after a directory name
//! (`x/../b.txt`) refuses: the kernel needs `x`, which the manifest COPY
//! may not create.

use std::collections::BTreeSet;

use super::context::{join, parent, Checked, Decline, Reader};
use super::scan::{flag_name, removes_only, Call, Step, Tool};

/// pip options that take no value and change nothing the pass relies on.
const PLAIN_FLAGS: [&str; 22] = [
    "--system",
    "--no-cache",
    "--compile-bytecode",
    "--no-index",
    "--no-cache-dir",
    "-U",
    "--upgrade",
    "--user",
    "-q",
    "--quiet",
    "-v",
    "--verbose",
    "--no-deps",
    "--require-hashes",
    "--prefer-binary",
    "--no-compile",
    "--disable-pip-version-check",
    "--break-system-packages",
    "--no-warn-script-location",
    "--only-binary",
    "--pre",
    "--ignore-installed",
];

/// pip options that take a value that is not a local path.
const VALUE_FLAGS: [&str; 8] = [
    "-i",
    "--index-url",
    "--extra-index-url",
    "--trusted-host",
    "--timeout",
    "--retries",
    "--root-user-action",
    "--progress-bar",
];

/// Where pip keeps its cache (removing it is part of the install).
const CACHES: [&str; 3] = ["~/.cache/pip", "/root/.cache/pip", "/tmp/pip-cache"];

/// The step a call makes, when it is pip's.
pub(super) fn step(call: &Call) -> Option<Result<Step, &'static str>> {
    if removes_only(call, &CACHES) {
        return Some(Ok(Step::Aside(Tool::Pip)));
    }
    let args: &[String] = if is_pip(&call.name) {
        &call.args
    } else if call.name == "uv" && call.args.first().is_some_and(|a| a == "pip") {
        // `uv pip install -r …` reads requirements files as pip does.
        &call.args[1..]
    } else if call.name.starts_with("python")
        && call.args.len() >= 2
        && call.args[0] == "-m"
        && call.args[1] == "pip"
    {
        &call.args[2..]
    } else {
        return None;
    };
    let Some((sub, rest)) = args.split_first() else {
        return Some(Err("pip without a subcommand"));
    };
    if sub == "cache" && rest.first().is_some_and(|a| a == "purge") {
        return Some(Ok(Step::Aside(Tool::Pip)));
    }
    if sub != "install" {
        return Some(Err("a pip subcommand other than install"));
    }
    Some(install(rest, call))
}

fn is_pip(name: &str) -> bool {
    name == "pip"
        || name
            .strip_prefix("pip")
            .is_some_and(|v| v.chars().all(|c| c.is_ascii_digit() || c == '.'))
}

fn install(args: &[String], call: &Call) -> Result<Step, &'static str> {
    let mut named = Vec::new();
    let mut packages = 0;
    let mut i = 0;
    while i < args.len() {
        let arg = args[i].as_str();
        let (name, value) = flag_name(arg);
        i += 1;
        if let Some(file) = arg.strip_prefix("-r").or_else(|| arg.strip_prefix("-c")) {
            if !file.is_empty() && !file.starts_with('-') {
                named.push(file.to_string());
                continue;
            }
        }
        match name {
            "-r" | "--requirement" | "-c" | "--constraint" => {
                let file = match value {
                    Some(v) => v.to_string(),
                    None => {
                        i += 1;
                        args.get(i - 1).ok_or("a flag without its value")?.clone()
                    }
                };
                named.push(file);
            }
            "-e" | "--editable" => return Err("an editable install"),
            "-f" | "--find-links" => {
                let link = match value {
                    Some(v) => v,
                    None => {
                        i += 1;
                        args.get(i - 1).ok_or("a flag without its value")?
                    }
                };
                if !link.contains("://") || link.starts_with("file:") {
                    return Err("--find-links to a local directory");
                }
            }
            n if VALUE_FLAGS.contains(&n) => {
                let v = match value {
                    Some(v) => v,
                    None => {
                        i += 1;
                        args.get(i - 1).ok_or("a flag without its value")?
                    }
                };
                let index = matches!(n, "-i" | "--index-url" | "--extra-index-url");
                if index && !is_remote_index(v) {
                    return Err("a local package index");
                }
            }
            n if PLAIN_FLAGS.contains(&n) => {}
            n if n.starts_with('-') => return Err("a pip option the pass does not know"),
            _ => {
                if !is_package_name(arg) {
                    return Err("a package argument that may be a local path");
                }
                packages += 1;
            }
        }
    }
    if named.iter().any(|f| dotdot_after_name(f)) {
        return Err("a requirements file path with `..` after a directory name");
    }
    if named.is_empty() {
        // `pip install --upgrade pip`: reads nothing from the directory.
        return if packages > 0 {
            Ok(Step::Aside(Tool::Pip))
        } else {
            Err("pip install without requirements")
        };
    }
    Ok(Step::Install {
        tool: Tool::Pip,
        named,
        text: call.display(),
        rewrites_lock: false,
        writes_config: false,
        runs_plugins: false,
    })
}

/// A requirement given by name (`flask`, `gunicorn==22.0`, `uvicorn[standard]`),
/// not a path, archive or URL.
fn is_package_name(arg: &str) -> bool {
    arg.chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphanumeric())
        && !arg.contains(['/', '\\', ':', '@'])
        && !ARCHIVE_EXTENSIONS
            .iter()
            .any(|ext| arg.to_ascii_lowercase().ends_with(ext))
}

/// Whether a path has a `..` after a directory name (`x/../b.txt`): the
/// pass resolves it textually, but the kernel needs `x` to exist, and the
/// manifest COPY may not create it.
fn dotdot_after_name(path: &str) -> bool {
    path.split('/')
        .skip_while(|p| matches!(*p, ".." | "." | ""))
        .any(|p| p == "..")
}

/// The text without a leading UTF-8 byte-order mark, which pip (and the
/// other installers' readers: TOML, JSON, Ruby, Go) skip: a Windows
/// editor's BOM would otherwise hide the first line's option or key.
pub(super) fn without_bom(text: &str) -> &str {
    text.strip_prefix('\u{feff}').unwrap_or(text)
}

/// The context paths of every requirements file the install reads, the
/// named ones (context paths) first, then their includes.
pub(super) fn manifests(named: &[String], reader: &mut Reader) -> Checked<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    let mut seen = BTreeSet::new();
    let mut pending: Vec<String> = named.to_vec();
    let mut missing = false;
    while let Some(path) = pending.pop() {
        if !seen.insert(path.clone()) {
            continue;
        }
        let name = path.rsplit('/').next().unwrap_or(&path);
        if matches!(name, "setup.py" | "setup.cfg") || name.ends_with(".toml") {
            return Err(Decline::Refused(
                "a requirements file that is project metadata or a lock (uv reads the project or the directories it names)",
            ));
        }
        let text = match reader.text(&path) {
            Ok(Some(text)) => text,
            Ok(None) => {
                return Err(Decline::Refused(
                    "a requirements file is not in the context",
                ))
            }
            Err(Decline::Missing) => {
                missing = true;
                continue;
            }
            Err(refused) => return Err(refused),
        };
        for include in includes(without_bom(text))? {
            // `x/../b.txt`: the kernel needs `x` to exist, which the
            // manifest COPY may not create; only leading `..` pass.
            if dotdot_after_name(&include) {
                return Err(Decline::Refused(
                    "a requirements include with `..` after a directory name",
                ));
            }
            let nested = join(parent(&path), &include).ok_or(Decline::Refused(
                "a requirements include outside the context",
            ))?;
            pending.push(nested);
        }
        out.push(path);
    }
    if missing {
        return Err(Decline::Missing);
    }
    out.sort();
    Ok(out)
}

/// The files a requirements file includes (`-r`, `-c`), or why the install
/// is refused: editable or local requirements, local `--find-links`, and
/// environment variables (pip expands `${VAR}` in requirements files).
fn includes(text: &str) -> Checked<Vec<String>> {
    let refuse = |why| Err(Decline::Refused(why));
    let mut out = Vec::new();
    for line in logical_lines(text) {
        let line = strip_comment(&line);
        let line = line.trim();
        if line.is_empty() {
            continue;
        }
        if line.contains("${") {
            return refuse("an environment variable in a requirements file");
        }
        if line.starts_with('-') {
            out.extend(option_line(line)?);
        } else if is_local_requirement(line) {
            return refuse("a local path requirement");
        }
    }
    Ok(out)
}

/// Requirements-file options that name no file, written in full: pip's
/// parser accepts any unambiguous abbreviation of a long option
/// (`--requirem base.txt` includes a file, `--edit .` installs the
/// project) and a short option's value attached (`-fwheels`), so only
/// these exact spellings and the options read below pass.
const LINE_FLAGS: [&str; 4] = ["--no-index", "--prefer-binary", "--require-hashes", "--pre"];
/// Options of the same kind that take a value (a package list, a host, a
/// feature name).
const LINE_VALUE_FLAGS: [&str; 4] = [
    "--no-binary",
    "--only-binary",
    "--trusted-host",
    "--use-feature",
];

/// The files an option line of a requirements file includes, or why it
/// refuses: every option must be one the pass knows, a local index or
/// find-links directory or an editable install refuses.
fn option_line(line: &str) -> Checked<Vec<String>> {
    let refuse = |why| Err(Decline::Refused(why));
    if line.contains(['"', '\'', '\\']) {
        return refuse("a quoted requirements-file option");
    }
    let mut out = Vec::new();
    let mut words = line.split_whitespace();
    while let Some(word) = words.next() {
        let (name, attached) = match word.split_once('=') {
            Some((n, v)) if n.starts_with("--") => (n, Some(v.to_string())),
            _ if !word.starts_with("--") && word.len() > 2 => {
                (&word[..2], Some(word[2..].to_string()))
            }
            _ => (word, None),
        };
        if LINE_FLAGS.contains(&name) && attached.is_none() {
            continue;
        }
        let known = [
            "-r",
            "--requirement",
            "-c",
            "--constraint",
            "-i",
            "--index-url",
            "--extra-index-url",
            "-f",
            "--find-links",
        ];
        if !known.contains(&name) && !LINE_VALUE_FLAGS.contains(&name) {
            return refuse(if matches!(name, "-e" | "--editable") {
                "an editable requirement"
            } else {
                "a requirements-file option the pass does not know"
            });
        }
        let Some(value) = attached.or_else(|| words.next().map(str::to_string)) else {
            return refuse("a requirements-file option without its value");
        };
        match name {
            "-r" | "--requirement" | "-c" | "--constraint" => out.push(value),
            "-f" | "--find-links" if !value.contains("://") || value.starts_with("file:") => {
                return refuse("--find-links to a local directory")
            }
            "-i" | "--index-url" | "--extra-index-url" if !is_remote_index(&value) => {
                return refuse("a local package index")
            }
            _ => {}
        }
    }
    Ok(out)
}

/// Whether an index URL is remote: a URL of a scheme other than `file:`.
fn is_remote_index(url: &str) -> bool {
    url.contains("://") && !url.starts_with("file:")
}

/// `.`, `./pkg`, `../pkg`, `/abs`, `pkg/`, `name @ file:…`, a local
/// archive; a URL other than `file:` (`name @ https://…`, `git+ssh://…`)
/// is not local.
fn is_local_requirement(line: &str) -> bool {
    let spec = line.split(';').next().unwrap_or(line).trim();
    if spec.starts_with(['.', '/', '~']) || spec.contains("file:") {
        return true;
    }
    if spec.contains("://") {
        return false;
    }
    // `shared @ shared`: a direct reference without a scheme, a path to uv.
    if spec.contains('@') {
        return true;
    }
    let first = spec.split_whitespace().next().unwrap_or("");
    // pip lowercases the extension (`MYPKG-1.0.ZIP` is an archive).
    let first = first.to_ascii_lowercase();
    spec.contains(['/', '\\']) || ARCHIVE_EXTENSIONS.iter().any(|ext| first.ends_with(ext))
}

/// The file names pip installs as a local archive (its archive
/// extensions).
const ARCHIVE_EXTENSIONS: [&str; 12] = [
    ".whl",
    ".zip",
    ".tar.gz",
    ".tgz",
    ".tar",
    ".tar.bz2",
    ".tbz",
    ".tar.xz",
    ".txz",
    ".tlz",
    ".tar.lz",
    ".tar.lzma",
];

/// Lines with `\` continuations joined, as pip reads them.
fn logical_lines(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for line in text.lines() {
        let line = line.trim_end_matches('\r');
        match line.strip_suffix('\\') {
            Some(head) => cur.push_str(head),
            None => {
                cur.push_str(line);
                out.push(std::mem::take(&mut cur));
            }
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// A line without its comment (`#` at the start or after whitespace).
fn strip_comment(line: &str) -> String {
    let mut prev_space = true;
    for (i, c) in line.char_indices() {
        if c == '#' && prev_space {
            return line[..i].to_string();
        }
        prev_space = c.is_whitespace();
    }
    line.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_includes_and_refuses_local_requirements() {
        let text = "# base\nflask==3.0 # web\n-r base.txt\n--constraint=constraints.txt\n";
        assert_eq!(
            includes(text),
            Ok(vec!["base.txt".to_string(), "constraints.txt".to_string()])
        );
        for local in [
            "-e .",
            ".",
            "./libs/x",
            "pkg @ file:///src/pkg",
            "libs/pkg/",
            "dist/x.whl",
        ] {
            assert!(includes(local).is_err(), "{local}");
        }
        for remote in [
            "requests[socks]>=2; python_version>'3'",
            "x @ https://h/x.whl",
            "git+https://h/r.git#egg=r",
            "lib @ git+ssh://git@example.com/team/lib.git@v1.2",
        ] {
            assert_eq!(includes(remote), Ok(vec![]), "{remote}");
        }
        // pip accepts abbreviated long options and attached short values.
        for unknown in [
            "--requirem base.txt",
            "--edit .",
            "-fwheels",
            "-ifile:///w",
            "x.tar.xz",
            "MYPKG-1.0.ZIP",
            "pkg-1.0-py3-none-any.WHL",
        ] {
            assert!(includes(unknown).is_err(), "{unknown}");
        }
        assert_eq!(
            includes("-rbase.txt\n--index-url https://pypi.example.com/simple --no-binary :all:\n--pre\n"),
            Ok(vec!["base.txt".to_string()])
        );
    }

    #[test]
    fn bom_and_archive_case() {
        assert_eq!(
            includes(without_bom("\u{feff}-r base.txt\ngunicorn\n")),
            Ok(vec!["base.txt".to_string()])
        );
        assert!(!is_package_name("MYPKG-1.0.ZIP"));
        assert!(is_package_name("flask==3.0"));
        assert!(dotdot_after_name("x/../b.txt"));
        assert!(!dotdot_after_name("../b.txt"));
        assert!(!dotdot_after_name("./../reqs/b.txt"));
    }
}
