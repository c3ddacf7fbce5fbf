//! The commands that command substitutions (`$(…)`, backquotes) run.
//!
//! A substitution's commands are not elements of the enclosing lists: they
//! run in a subshell, whenever the word holding them is expanded (possibly
//! never, possibly several times), and the passes that edit lists cannot
//! remove them. They are read into their own [`Script`]s (`Script::subs`)
//! so that passes can look into them; a body the reader cannot read makes
//! the whole command line unread. A backquoted body is read only when it
//! holds no backslash (backslashes there are unescaped once more before
//! the body is read, which the reader does not model).
//!
//! Passes that rely on seeing every command that deletes, writes or calls a
//! tool accept substitutions only when they surely only read
//! ([`Script::substitutions_only_read`]).

use super::script::Script;
use super::tokens::TokKind;

/// Commands that read files or the system and print, without writing a
/// file, deleting, starting a process that outlives them, or running
/// another command: whatever their arguments, or with the checks in
/// [`reads_only`]. Left out on purpose: `sed` and `awk` (their scripts
/// can write files and run commands), `find` (`-delete`, `-exec`), `sort`
/// (`-o`), `xargs`, `env` with a command, `mktemp` (creates a file),
/// `hostname` with an argument (sets it), interpreters, `git`, `curl` and
/// `wget` (options that write files).
const READERS: &[&str] = &[
    "uname",
    "arch",
    "nproc",
    "id",
    "whoami",
    "pwd",
    "true",
    "false",
    "getconf",
    "lsb_release",
    "basename",
    "dirname",
    "realpath",
    "readlink",
    "echo",
    "printf",
    "cat",
    "head",
    "tail",
    "wc",
    "cut",
    "tr",
    "grep",
    "egrep",
    "fgrep",
    "jq",
    "expr",
    "seq",
    "test",
    "[",
    "[[",
    "ls",
    "stat",
    "getent",
    "printenv",
    "which",
    "type",
    "sha256sum",
    "sha512sum",
    "md5sum",
];

/// Files that `.` may read in a substitution: os-release(5) holds only
/// variable assignments (`$(. /etc/os-release && echo "$VERSION_CODENAME")`).
const SOURCED: &[&str] = &["/etc/os-release", "/usr/lib/os-release"];

impl Script {
    /// This command line and the bodies of its command substitutions, at
    /// any depth.
    pub fn with_substitutions(&self) -> Vec<&Script> {
        let mut out = vec![self];
        for sub in &self.subs {
            out.extend(sub.with_substitutions());
        }
        out
    }

    /// Whether every command run by a substitution of the command line (at
    /// any depth) only reads: its name is static and one of [`READERS`]
    /// (or passes the checks of [`reads_only`]), and its redirections write
    /// no file (only `/dev/null`, copies of descriptors, input).
    pub fn substitutions_only_read(&self) -> bool {
        self.subs.iter().all(|sub| {
            sub.cmds.iter().all(|c| {
                c.argv.is_empty()
                    || sub
                        .base_name(c)
                        .is_some_and(|name| reads_only(&name, &sub.args(c)))
            }) && sub.writes_no_file()
                && sub.substitutions_only_read()
        })
    }

    /// Whether no redirection of the command line writes a file.
    fn writes_no_file(&self) -> bool {
        self.toks.iter().enumerate().all(|(i, t)| {
            if t.kind != TokKind::Redirect {
                return true;
            }
            let (op, target) = self.redirection(i);
            match op {
                "<" | "<<<" => true,
                ">&" | "<&" => target.is_some_and(|t| t == "-" || t.parse::<u8>().is_ok()),
                _ => target.as_deref() == Some("/dev/null"),
            }
        })
    }
}

/// Whether command `name` with these arguments only reads.
fn reads_only(name: &str, args: &[Option<String>]) -> bool {
    let lits: Option<Vec<&str>> = args.iter().map(|a| a.as_deref()).collect();
    match name {
        "dpkg" => lits.is_some_and(|a| {
            matches!(
                a.as_slice(),
                ["--print-architecture"] | ["--print-foreign-architectures"]
            )
        }),
        "command" => lits.is_some_and(|a| matches!(a.first(), Some(&("-v" | "-V")))),
        "hostname" => args.is_empty(),
        "env" => args.is_empty(),
        "." | "source" => lits.is_some_and(|a| a.len() == 1 && SOURCED.contains(&a[0])),
        "date" => lits.is_some_and(|a| date_reads_only(&a)),
        n => READERS.contains(&n),
    }
}

/// `date` prints unless it is given a time to set (`-s`, or an operand
/// that is not a `+FORMAT`).
fn date_reads_only(args: &[&str]) -> bool {
    let mut k = 0;
    while k < args.len() {
        let a = args[k];
        match a {
            "-d" | "--date" | "-r" | "--reference" | "-f" | "--file" => k += 1,
            "-u" | "--utc" | "--universal" | "-R" | "--rfc-email" => {}
            _ if a.starts_with('+')
                || a.starts_with("-I")
                || a.starts_with("--iso-8601")
                || a.starts_with("--rfc-3339=")
                || a.starts_with("--date=")
                || a.starts_with("--reference=") => {}
            _ => return false,
        }
        k += 1;
    }
    true
}
