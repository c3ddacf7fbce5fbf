//! Finding the pairs the pass works on: a `COPY . <dir>` of the whole
//! context (or `COPY <src>/ <dir>` of one of its directories), followed
//! across metadata only by a RUN it can read, outside the system
//! directories.

use dfopt_dockerfile::instructions::{Command, CommandKind};

use crate::facts::StageFacts;
use crate::shell::Script;
use crate::work::{is_kept, Cx};

use super::context::{join, normalize_absolute, plain_source};
use super::locations::is_within;
use super::scan;

/// Source directories under [`SYSTEM_TREES`] that hold applications by
/// convention (`/usr/src/app`).
const SOURCE_TREES: [&str; 2] = ["/usr/src/", "/usr/local/src/"];
/// System directories a full COPY into which the pass leaves alone.
const SYSTEM_DIRS: [&str; 6] = ["/", "/var", "/opt", "/home", "/root", "/tmp"];
/// Directories packages write below: a system install does not move above
/// a COPY into them.
pub(super) const PACKAGE_TREES: [&str; 8] = [
    "/var", "/opt", "/srv", "/home", "/root", "/tmp", "/mnt", "/media",
];
/// Directories under which the pass leaves a full COPY alone.
const SYSTEM_TREES: [&str; 13] = [
    "/usr", "/etc", "/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32", "/boot", "/dev",
    "/proc", "/sys", "/run",
];

/// A `COPY . <dir>` followed (across metadata only) by a RUN.
pub(super) struct Pair {
    pub copy: usize,
    pub run: usize,
    /// The destination as written.
    pub dest: String,
    /// The destination, absolute and normalised.
    pub dest_abs: String,
    /// The context directory the COPY copies into `dest` (`""`: the root,
    /// for `COPY .`; `app` for `COPY app/ <dir>`).
    pub source_root: String,
    /// The RUN's working directory as a context directory (`""`: the root).
    pub context_dir: String,
    /// Whether Python's import path holds the RUN's working directory while
    /// it runs (`python -m …`, or `PYTHONPATH` naming it); `Err` when
    /// `PYTHONPATH` names another place in the copied tree or an unknown one.
    pub python_path_has_workdir: Result<WorkdirImports, &'static str>,
    /// The context directories that search-path variables (`PATH`,
    /// `LD_LIBRARY_PATH`, …) name inside `<dir>`: the install would run a
    /// program or load a library from them, which the manifest COPY does
    /// not bring. `Err` when a value is unknown.
    pub search_dirs: Result<Vec<String>, &'static str>,
}

impl Pair {
    /// Whether the RUN works in a directory strictly below `<dir>`.
    pub fn workdir_below_dest(&self) -> bool {
        self.context_dir != self.source_root
    }
}

/// The pair starting at command `c`, with the RUN's calls, when the COPY and
/// what is between qualify and the RUN can be read.
pub(super) fn pair_at(
    cx: &Cx,
    sf: &StageFacts,
    s: usize,
    c: usize,
) -> Option<(Pair, Vec<scan::Call>)> {
    let commands = &cx.work.ir.stages[s].commands;
    let copy = &commands[c];
    let (source_root, dest) = full_copy_dest(copy)?;
    let dest_abs = if dest.starts_with('/') {
        normalize_absolute(&dest)?
    } else {
        let base = sf.before.get(c)?.workdir.as_deref()?;
        normalize_absolute(&format!("{base}/{dest}"))?
    };
    let in_system_tree = under_any(&dest_abs, &SYSTEM_TREES);
    let source_tree = SOURCE_TREES.iter().any(|t| dest_abs.starts_with(t));
    if SYSTEM_DIRS.contains(&dest_abs.as_str()) || (in_system_tree && !source_tree) {
        return None;
    }
    let mut names = Vec::new();
    let mut r = c + 1;
    loop {
        let cmd = commands.get(r)?;
        match &cmd.kind {
            CommandKind::Label(_) => {}
            CommandKind::Env(pairs) => names.extend(pairs.iter().map(|p| p.key.clone())),
            CommandKind::Arg(decls) => names.extend(decls.iter().map(|d| d.key.clone())),
            CommandKind::Run(_) => break,
            _ => return None,
        }
        if is_kept(&cmd.comments) {
            return None;
        }
        r += 1;
    }
    let run_cmd = &commands[r];
    let CommandKind::Run(run) = &run_cmd.kind else {
        return None;
    };
    if is_kept(&run_cmd.comments)
        || !run.cmd.prepend_shell
        || !run.cmd.files.is_empty()
        || !sf.before.get(r)?.posix_shell()
    {
        return None;
    }
    let printed = cx.printed(s, r)?;
    if printed.instr.has_heredocs || printed.instr.json {
        return None;
    }
    let args = printed.args();
    if names
        .iter()
        .any(|n| args.contains(&format!("${n}")) || args.contains(&format!("${{{n}")))
    {
        return None;
    }
    let workdir = normalize_absolute(sf.before.get(r)?.workdir.as_deref()?)?;
    let below = if workdir == dest_abs {
        ""
    } else {
        workdir.strip_prefix(&format!("{dest_abs}/"))?
    };
    let context_dir = match (source_root.as_str(), below) {
        (root, "") => root.to_string(),
        ("", below) => below.to_string(),
        (root, below) => format!("{root}/{below}"),
    };
    let script = Script::parse(args).ok()?;
    let calls = scan::calls(&script).ok()?;
    let python_path_has_workdir = python_path_has_workdir(sf, r, &calls, &dest_abs, &workdir);
    let search_dirs = search_dirs(sf, r, &calls, &dest_abs, &workdir, &source_root);
    Some((
        Pair {
            copy: c,
            run: r,
            dest,
            dest_abs,
            source_root,
            context_dir,
            python_path_has_workdir,
            search_dirs,
        },
        calls,
    ))
}

/// The source directory (a context path, `""` for `.`) and the destination
/// of `COPY . <dir>` / `COPY <src>/ <dir>` / `ADD` of the same, when the
/// instruction has no flag the pass does not carry over. That a named source
/// is a directory (not a file or a symlink) is checked in the context before
/// any split.
fn full_copy_dest(cmd: &Command) -> Option<(String, String)> {
    if is_kept(&cmd.comments) || cmd.original.contains('$') {
        return None;
    }
    let paths = match &cmd.kind {
        CommandKind::Copy(copy) => {
            if copy.from.is_some() || copy.parents || !copy.excludes.is_empty() {
                return None;
            }
            &copy.paths
        }
        CommandKind::Add(add) => {
            if add.checksum.is_some()
                || add.keep_git_dir.is_some()
                || add.unpack.is_some()
                || !add.excludes.is_empty()
            {
                return None;
            }
            &add.paths
        }
        _ => return None,
    };
    let [source] = paths.sources.as_slice() else {
        return None;
    };
    if !paths.contents.is_empty() {
        return None;
    }
    // A named source counts only with its trailing `/` (`COPY app/ /app`):
    // without it, `COPY requirements.txt .` would look like a candidate.
    let root = match source.as_str() {
        "." | "./" => String::new(),
        named => {
            let dir = named.strip_suffix('/')?;
            let local = plain_source(dir) && !dir.contains("://") && !dir.starts_with("git@");
            if !local {
                return None;
            }
            join("", dir)?
        }
    };
    Some((root, paths.dest.clone()))
}

/// Whether an absolute path is one of `trees` or below one.
pub(super) fn under_any(path: &str, trees: &[&str]) -> bool {
    trees.iter().any(|tree| is_within(path, tree))
}

/// How the RUN's Python processes import from their working directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum WorkdirImports {
    /// They do not.
    No,
    /// `python -m …` puts it first on the import path while the module
    /// starts (pip takes it off again before importing its own parts).
    ModuleRun,
    /// A `PYTHONPATH` entry names it (an empty entry, `.`, the directory):
    /// every import of the installer, optional ones included, looks there
    /// first.
    PythonPath,
}

/// How the RUN's Python processes import from its working directory. A
/// `PYTHONPATH` entry elsewhere in the copied tree, relative, or unknown
/// refuses.
fn python_path_has_workdir(
    sf: &StageFacts,
    run: usize,
    calls: &[scan::Call],
    dest_abs: &str,
    workdir: &str,
) -> Result<WorkdirImports, &'static str> {
    let module_run = calls
        .iter()
        .any(|c| c.name.starts_with("python") && c.args.iter().any(|a| a == "-m"));
    let unknown = "PYTHONPATH is unknown, relative, or names a place in the copied tree";
    if calls
        .iter()
        .any(|c| c.assigned.iter().any(|n| n == "PYTHONPATH"))
    {
        return Err(unknown);
    }
    let value = match sf.before.get(run).map(|f| f.env.value("PYTHONPATH")) {
        Some(Ok(value)) => value,
        _ => return Err(unknown),
    };
    let mut has_workdir = if module_run {
        WorkdirImports::ModuleRun
    } else {
        WorkdirImports::No
    };
    for entry in value.map(|v| v.split(':')).into_iter().flatten() {
        if entry.is_empty() || entry == "." {
            has_workdir = WorkdirImports::PythonPath;
            continue;
        }
        let entry = normalize_absolute(entry).ok_or(unknown)?;
        if entry == workdir {
            has_workdir = WorkdirImports::PythonPath;
        } else if under_any(&entry, &[dest_abs]) {
            return Err(unknown);
        }
    }
    Ok(has_workdir)
}

/// Variables whose entries are directories (or files) a program is run or
/// loaded from.
const SEARCH_VARS: [&str; 12] = [
    "PATH",
    "LD_LIBRARY_PATH",
    "LD_PRELOAD",
    "LIBRARY_PATH",
    "CPATH",
    "C_INCLUDE_PATH",
    "PKG_CONFIG_PATH",
    "NODE_PATH",
    "PYTHONHOME",
    "RUBYLIB",
    "PERL5LIB",
    "GEM_PATH",
];

/// The context paths the search-path variables name inside `dest` (see
/// [`Pair::search_dirs`]).
fn search_dirs(
    sf: &StageFacts,
    run: usize,
    calls: &[scan::Call],
    dest_abs: &str,
    workdir: &str,
    source_root: &str,
) -> Result<Vec<String>, &'static str> {
    let unknown = "a search path (PATH, LD_LIBRARY_PATH, …) is unknown";
    if calls
        .iter()
        .any(|c| c.assigned.iter().any(|n| SEARCH_VARS.contains(&n.as_str())))
    {
        return Err(unknown);
    }
    let env = &sf.before.get(run).ok_or(unknown)?.env;
    let mut out = Vec::new();
    for name in SEARCH_VARS {
        let value = env.value(name).map_err(|()| unknown)?.unwrap_or("");
        // An empty entry is the working directory for PATH, but offline an
        // unknown base `$PATH` reads as empty: only written entries count.
        for entry in value.split([':', ' ']).filter(|e| !e.is_empty()) {
            // A relative entry is relative to the working directory.
            let entry = if entry.starts_with('/') {
                normalize_absolute(entry)
            } else {
                normalize_absolute(&format!("{workdir}/{entry}"))
            }
            .ok_or(unknown)?;
            let rel = if entry == dest_abs {
                ""
            } else if let Some(rel) = entry.strip_prefix(&format!("{dest_abs}/")) {
                rel
            } else {
                continue;
            };
            out.push(join(source_root, rel).unwrap_or_else(|| source_root.to_string()));
        }
    }
    Ok(out)
}
