//! Finding the pairs the pass works on: a `COPY . <dir>` of the whole
//! context, followed across metadata only by a RUN it can read, outside
//! the system directories.

use dfopt_dockerfile::instructions::{Command, CommandKind};

use crate::facts::StageFacts;
use crate::shell::Script;
use crate::work::{is_kept, Cx};

use super::context::normalize_absolute;
use super::scan;

/// Source directories under [`SYSTEM_TREES`] that hold applications by
/// convention (`/usr/src/app`).
const SOURCE_TREES: [&str; 2] = ["/usr/src/", "/usr/local/src/"];
/// System directories a full COPY into which the pass leaves alone.
const SYSTEM_DIRS: [&str; 6] = ["/", "/var", "/opt", "/home", "/root", "/tmp"];
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
    /// The RUN's working directory as a context directory (`""`: the root).
    pub context_dir: String,
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
    let dest = full_copy_dest(copy)?;
    let dest_abs = if dest.starts_with('/') {
        normalize_absolute(&dest)?
    } else {
        let base = sf.before.get(c)?.workdir.as_deref()?;
        normalize_absolute(&format!("{base}/{dest}"))?
    };
    let in_system_tree = SYSTEM_TREES
        .iter()
        .any(|t| dest_abs == *t || dest_abs.starts_with(&format!("{t}/")));
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
    let context_dir = if workdir == dest_abs {
        String::new()
    } else {
        workdir.strip_prefix(&format!("{dest_abs}/"))?.to_string()
    };
    let script = Script::parse(args).ok()?;
    let calls = scan::calls(&script).ok()?;
    Some((
        Pair {
            copy: c,
            run: r,
            dest,
            dest_abs,
            context_dir,
        },
        calls,
    ))
}

/// The destination of `COPY . <dir>` / `ADD . <dir>` of the local context,
/// when the instruction has no flag the pass does not carry over.
fn full_copy_dest(cmd: &Command) -> Option<String> {
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
    let whole_context = paths.sources.len() == 1 && matches!(paths.sources[0].as_str(), "." | "./");
    (whole_context && paths.contents.is_empty()).then(|| paths.dest.clone())
}
