//! What a RUN costs to re-run, for `merge-runs`' cache-aware rule.
//!
//! Merging RUNs trades cache granularity for layers: when one part of a
//! merged RUN changes, BuildKit re-runs every part. Two independent
//! expensive steps (two package installs, a download and a compile) kept
//! apart let a rebuild re-run only the edited one; merged, an edit to the
//! last one re-runs the first too, and the rebuild is slower than without
//! dfopt. So `merge-runs` asks this module what each part is:
//!
//! - **cheap**: every command is a known quick local command (`mkdir`, `ln`,
//!   `useradd`, `chmod`, `echo`, `sed`, `rm`, package-manager cleanups, …);
//!   re-running it costs nothing worth a layer;
//! - **index refresh**: only refreshes a package index (`apt-get update`,
//!   `apk update`, `dnf makecache`) besides cheap commands: it exists for the
//!   install that follows and goes with it;
//! - **shrinking**: it deletes or rewrites files (`rm`, `apt-get purge`,
//!   `apk del`, a package manager's `clean`, `chmod`/`chown`, `mv`): merged
//!   with the steps before it, what those steps wrote and it removes or
//!   rewrites never lands in a layer, so the image gets smaller — worth the
//!   coarser cache;
//! - **expensive**: anything else — installs, compiles, downloads, and every
//!   command this module does not know (when in doubt, a step counts as
//!   expensive, and expensive steps are not merged).

use crate::shell::Script;

/// What one part of a candidate merge is.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Weight {
    /// Re-running it may take real time (not only cheap commands).
    pub expensive: bool,
    /// Its expensive commands only refresh a package index.
    pub index_only: bool,
    /// It deletes or rewrites files: merged after the steps that wrote them,
    /// the image is smaller.
    pub shrinks: bool,
    /// It runs a tool `cache-mounts` gives a cache.
    pub cache_tool: bool,
    /// It deletes a cache directory `cache-mounts` may mount, or a parent of
    /// one (`rm -rf /root/.cache`): in the same RUN as a tool, that stops its
    /// mount.
    pub deletes_cache_dir: bool,
}

impl Weight {
    /// Expensive and independent: a step worth its own cache unit.
    pub fn heavy(self) -> bool {
        self.expensive && !self.index_only
    }
}

/// Quick local commands: re-running them costs nothing worth a layer.
const CHEAP: &[&str] = &[
    ":",
    "[",
    "[[",
    "addgroup",
    "adduser",
    "basename",
    "cat",
    "cd",
    "chgrp",
    "chmod",
    "chown",
    "chpasswd",
    "cp",
    "cut",
    "date",
    "dirname",
    "echo",
    "exit",
    "export",
    "false",
    "find",
    "getent",
    "grep",
    "groupadd",
    "groupmod",
    "hash",
    "head",
    "id",
    "install",
    "ldconfig",
    "ln",
    "local",
    "ls",
    "md5sum",
    "mkdir",
    "mkfifo",
    "mktemp",
    "mv",
    "passwd",
    "printf",
    "pwd",
    "read",
    "readlink",
    "realpath",
    "return",
    "rm",
    "rmdir",
    "sed",
    "set",
    "sha1sum",
    "sha256sum",
    "sha512sum",
    "sort",
    "stat",
    "tail",
    "tee",
    "test",
    "touch",
    "tr",
    "true",
    "truncate",
    "type",
    "umask",
    "uname",
    "unset",
    "update-ca-certificates",
    "useradd",
    "usermod",
    "wc",
    "which",
    "whoami",
];

/// Commands that delete or rewrite files.
const SHRINKING: &[&str] = &[
    "rm", "rmdir", "chmod", "chown", "chgrp", "mv", "truncate", "shred",
];

/// Commands `cache-mounts` may give a cache mount.
const CACHE_TOOLS: &[&str] = &[
    "apt-get",
    "apt",
    "apk",
    "dnf",
    "dnf5",
    "pip",
    "pip3",
    "python",
    "python3",
    "uv",
    "poetry",
    "npm",
    "yarn",
    "pnpm",
    "go",
    "xx-go",
    "cargo",
    "xx-cargo",
    "mvn",
    "mvnw",
    "gradle",
    "gradlew",
    "bundle",
    "gem",
    "composer",
    "dotnet",
    "conda",
    "mamba",
    "micromamba",
];

/// Whether a deletion argument may be a cache directory or a parent of one
/// (a word it cannot read counts when it names a home or a cache).
fn names_cache_dir(word: &str) -> bool {
    let Some(path) = crate::shell::literal(word) else {
        return word.contains("HOME") || word.contains('~') || word.contains("cache");
    };
    if path.starts_with('-') {
        return false;
    }
    let path = path.replacen('~', "/root", 1);
    // `dir/*` deletes what is inside `dir`, not `dir` itself.
    let inside_only = path.ends_with("/*");
    let path = path.trim_end_matches('*').trim_end_matches('/');
    if path.is_empty() {
        return true;
    }
    crate::cache_dirs::declared_cache_dirs()
        .iter()
        .any(|d| (!inside_only && *d == path) || d.starts_with(&format!("{path}/")))
}

/// The weight of a part's script.
pub(crate) fn weigh(script: &Script) -> Weight {
    let mut w = Weight {
        index_only: true,
        ..Weight::default()
    };
    for c in &script.cmds {
        let Some(name) = script.base_name(c) else {
            // A command name from a variable: anything.
            w.expensive = true;
            w.index_only = false;
            continue;
        };
        let args = script.args(c);
        w.cache_tool |= CACHE_TOOLS.contains(&name.as_str());
        if matches!(name.as_str(), "rm" | "rmdir") {
            w.deletes_cache_dir |= c.argv[1..].iter().any(|&t| names_cache_dir(script.word(t)));
        }
        let kind = kind_of(&name, &args, &mut w, 0);
        match kind {
            Kind::Cheap => {}
            Kind::Shrink => w.shrinks = true,
            Kind::Index => w.expensive = true,
            Kind::Expensive => {
                w.expensive = true;
                w.index_only = false;
            }
        }
        if SHRINKING.contains(&name.as_str())
            || (name == "find"
                && args
                    .iter()
                    .any(|a| matches!(a.as_deref(), Some("-delete" | "-exec" | "-execdir"))))
        {
            w.shrinks = true;
        }
    }
    if !w.expensive {
        w.index_only = false;
    }
    w
}

/// What a command runs: itself, or (through `sudo`, `env`, `gosu`, `sh -c`)
/// another command or script.
enum Launched {
    Itself,
    Command(String, Vec<Option<String>>),
    Script(String),
    Unknown,
}

fn launched(name: &str, args: &[Option<String>]) -> Launched {
    let (with_value, positional): (&[&str], usize) = match name {
        "sudo" | "doas" => (
            &["-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U", "-R"],
            0,
        ),
        "env" => (&["-u", "-C", "-S", "--unset", "--chdir"], 0),
        "gosu" | "su-exec" => (&[], 1),
        "nice" => (&["-n"], 0),
        "time" => (&[], 0),
        "sh" | "bash" | "dash" | "ash" => {
            return match args {
                [Some(c), Some(script), ..] if c == "-c" => Launched::Script(script.clone()),
                _ => Launched::Unknown,
            };
        }
        _ => return Launched::Itself,
    };
    let mut skipped = 0;
    let mut k = 0;
    while k < args.len() {
        let Some(a) = args[k].as_deref() else {
            return Launched::Unknown;
        };
        if with_value.contains(&a) {
            k += 2;
        } else if a.starts_with('-') || (name == "env" && a.contains('=')) {
            k += 1;
        } else if skipped < positional {
            skipped += 1;
            k += 1;
        } else {
            let inner = a.rsplit('/').next().unwrap_or(a).to_string();
            return Launched::Command(inner, args[k + 1..].to_vec());
        }
    }
    // `env` alone prints the environment.
    Launched::Command(":".into(), Vec::new())
}

/// The kind of `name args…`, looking through launchers; a script run
/// with `sh -c` may set `w.shrinks`.
fn kind_of(name: &str, args: &[Option<String>], w: &mut Weight, depth: usize) -> Kind {
    if depth > 4 {
        return Kind::Expensive;
    }
    match launched(name, args) {
        Launched::Command(inner, rest) => kind_of(&inner, &rest, w, depth + 1),
        Launched::Script(text) => match Script::parse(&text) {
            Ok(inner) => {
                let iw = weigh(&inner);
                w.shrinks |= iw.shrinks;
                match (iw.expensive, iw.index_only) {
                    (false, _) => Kind::Cheap,
                    (true, true) => Kind::Index,
                    (true, false) => Kind::Expensive,
                }
            }
            Err(_) => Kind::Expensive,
        },
        Launched::Unknown => Kind::Expensive,
        Launched::Itself => classify(name, args),
    }
}

enum Kind {
    Cheap,
    Shrink,
    Index,
    Expensive,
}

/// The first argument that is not an option (a package manager's subcommand).
fn subcommand(args: &[Option<String>]) -> Option<&str> {
    args.iter()
        .map(|a| a.as_deref())
        .find(|a| a.is_none_or(|a| !a.starts_with('-')))
        .flatten()
}

fn classify(name: &str, args: &[Option<String>]) -> Kind {
    let sub = subcommand(args);
    match name {
        "apt-get" | "apt" => match sub {
            Some("update") => Kind::Index,
            Some("clean" | "autoclean" | "autoremove" | "purge" | "remove") => Kind::Shrink,
            _ => Kind::Expensive,
        },
        "apk" => match sub {
            Some("update") => Kind::Index,
            Some("del") => Kind::Shrink,
            Some("cache") if args.iter().any(|a| a.as_deref() == Some("clean")) => Kind::Shrink,
            _ => Kind::Expensive,
        },
        "dnf" | "yum" | "microdnf" | "dnf5" => match sub {
            Some("makecache") => Kind::Index,
            Some("clean" | "remove" | "erase" | "autoremove") => Kind::Shrink,
            _ => Kind::Expensive,
        },
        "pip" | "pip3" if matches!(sub, Some("uninstall")) => Kind::Shrink,
        "pip" | "pip3" | "npm" | "yarn" | "pnpm" | "poetry" | "uv"
            if sub == Some("cache")
                && args.iter().any(|a| {
                    matches!(a.as_deref(), Some("purge" | "clean" | "clear" | "remove"))
                }) =>
        {
            Kind::Shrink
        }
        n if CHEAP.contains(&n) => Kind::Cheap,
        _ => Kind::Expensive,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn w(text: &str) -> Weight {
        weigh(&Script::parse(text).expect("readable"))
    }

    #[test]
    fn weights() {
        assert!(!w("mkdir -p /app && chmod 755 /app").expensive);
        assert!(w("mkdir -p /app && chmod 755 /app").shrinks);
        assert!(!w("echo hi > /x").shrinks);
        assert!(w("apt-get install -y curl").heavy());
        assert!(!w("apt-get update").heavy());
        assert!(w("apt-get update").expensive && w("apt-get update").index_only);
        assert!(w("apt-get update && apt-get install -y a").heavy());
        assert!(w("apt-get install -y b && rm -rf /var/lib/apt/lists/*").shrinks);
        assert!(w("./build.sh").heavy(), "unknown commands are expensive");
        assert!(w("$CC -o x x.c").heavy(), "dynamic names are expensive");
        assert!(!w("apt-get clean").expensive && w("apt-get clean").shrinks);
        assert!(w("find /tmp -name '*.o' -delete").shrinks);
        assert!(!w("find / -name x").shrinks);
        assert!(!w("[[ -f /x ]] || true").expensive);
        assert!(!w("sudo -u nobody echo hello").expensive);
        assert!(!w("env LANG=C.UTF-8 sh -c 'echo ok'").expensive);
        assert!(w("gosu app sh -c 'make all'").heavy());
        assert!(w("sh -c \"$CMD\"").heavy());
        assert!(w("rm -rf /root/.cache").deletes_cache_dir);
        assert!(w("rm -rf ~/.cache/*").deletes_cache_dir);
        assert!(!w("rm -rf /var/lib/apt/lists/*").deletes_cache_dir);
        assert!(!w("rm -rf /var/tmp/* /src/build").deletes_cache_dir);
        // composer's cache is `/tmp/cache` in the official image.
        assert!(w("rm -rf /tmp/*").deletes_cache_dir);
        assert!(w("pip install x").cache_tool && !w("make").cache_tool);
    }
}
