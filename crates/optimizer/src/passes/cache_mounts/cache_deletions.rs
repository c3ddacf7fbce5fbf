//! Deletions in a RUN (`rm`, `rmdir`, `find -delete`) and how each relates to
//! a cache directory: a deletion inside it can be dropped once it is mounted
//! (it would only empty the cache); one of the directory itself, a parent, or
//! a path not known makes the mount unsafe (`rm -rf ~/.cache` with
//! `~/.cache/pip` mounted fails with "device busy"), and so does one inside
//! without `-f` (it fails on an empty cache where it did not before).
//!
//! Those checks count every deletion, wherever it is. A rule that relies on
//! a deletion to prove the image never kept a directory (apt's lists, apk's
//! cache) counts only deletions that surely ran when the RUN succeeded
//! ([`Deletion::always`], `Script::always_runs` in the `shell` module): one
//! under `if`, `case`, a loop, or a condition (`[ -n "$SLIM" ] && rm …`
//! before the end of the RUN) may not have run, and then the image kept
//! what it would have deleted.

use crate::facts::{normalize, CmdFacts};
use crate::shell::{literal, path_pattern, PathPattern, Script};

/// A deletion argument (`rm`, `rmdir`, `find`).
#[derive(Clone, Debug)]
pub(super) struct Deletion {
    pub cmd: usize,
    pub tok: usize,
    /// `None`: the path is not known.
    pub pattern: Option<PathPattern>,
    /// A relative path with an unknown working directory.
    pub floating: bool,
    /// `rm -f` (missing files are fine, it never fails on them).
    pub force: bool,
    /// From `rm` (its arguments can be dropped one by one).
    pub rm: bool,
    /// The command surely ran when the RUN succeeded.
    pub always: bool,
}

pub(super) enum Relation {
    Inside,
    Dangerous,
    Unrelated,
}

/// Whether `path` is strictly inside `dir`.
pub(super) fn is_inside(path: &str, dir: &str) -> bool {
    dir == "/"
        || path
            .strip_prefix(dir)
            .is_some_and(|rest| rest.starts_with('/'))
}

/// Ancestors of `path` and itself (`/var/lib` → `/`, `/var`, `/var/lib`).
fn ancestors_or_self(path: &str) -> Vec<String> {
    let mut out = vec!["/".to_string()];
    let mut cur = String::new();
    for part in path.split('/').filter(|p| !p.is_empty()) {
        cur.push('/');
        cur.push_str(part);
        out.push(cur.clone());
    }
    out
}

pub(super) fn relation(del: &Deletion, target: &str) -> Relation {
    let Some(p) = &del.pattern else {
        return Relation::Dangerous;
    };
    if del.floating {
        if p.text.is_empty()
            || p.text == "."
            || p.text == ".."
            || p.text.starts_with("../")
            || p.text.starts_with("./")
        {
            return Relation::Dangerous;
        }
        for a in ancestors_or_self(target) {
            let parts: Vec<&str> = a.split('/').filter(|x| !x.is_empty()).collect();
            for k in 0..parts.len() {
                let suffix = parts[k..].join("/");
                if p.matches(&suffix) || p.matches(&format!("{suffix}/")) {
                    return Relation::Dangerous;
                }
            }
        }
        return Relation::Unrelated;
    }
    let text = p.text.trim_end_matches('/');
    let text = if text.is_empty() { "/" } else { text };
    let literal_prefix = p.literal_prefix();
    if p.wild.is_empty() {
        let n = normalize(text);
        if n == target || is_inside(&n, target) {
            return if del.force && del.rm {
                Relation::Inside
            } else {
                Relation::Dangerous
            };
        }
        if is_inside(target, &n) {
            return Relation::Dangerous;
        }
        return Relation::Unrelated;
    }
    if literal_prefix.starts_with(&format!("{target}/")) {
        return if del.force && del.rm {
            Relation::Inside
        } else {
            Relation::Dangerous
        };
    }
    for a in ancestors_or_self(target) {
        if p.matches(&a) || p.matches(&format!("{a}/")) {
            return Relation::Dangerous;
        }
    }
    Relation::Unrelated
}

/// `Err(what)` when some deletion makes mounting `target` unsafe.
pub(super) fn relation_all(dels: &[Deletion], target: &str) -> Result<(), String> {
    for d in dels {
        if let Relation::Dangerous = relation(d, target) {
            let what = match &d.pattern {
                Some(p) if !d.floating => format!("`{}`", p.text),
                Some(p) => format!("`{}` relative to an unknown directory", p.text),
                None => "a path that is not known before the build".to_string(),
            };
            return Err(what);
        }
    }
    Ok(())
}

/// Deletion arguments of `rm`, `rmdir` and `find` in the script.
pub(super) fn deletions(script: &Script, facts: &CmdFacts) -> Vec<Deletion> {
    let home = facts.home();
    let mut out = Vec::new();
    let mut cwd_known = facts.workdir.clone();
    for (ci, c) in script.cmds.iter().enumerate() {
        let name = script.base_name(c);
        if matches!(name.as_deref(), Some("cd" | "pushd" | "popd")) {
            cwd_known = None;
            continue;
        }
        let (rm, rmdir, find) = match name.as_deref() {
            Some("rm") => (true, false, false),
            Some("rmdir") => (false, true, false),
            Some("find") => (false, false, true),
            None if c.argv.is_empty() => continue,
            None => {
                // An unknown command name could be anything; it is not a deletion we can see.
                continue;
            }
            _ => continue,
        };
        if find {
            // Only a find that deletes or runs commands can touch the directory.
            let acts = script.args(c).iter().any(|a| {
                a.as_deref().is_none_or(|a| {
                    matches!(a, "-delete" | "-exec" | "-execdir" | "-ok" | "-okdir")
                })
            });
            if !acts {
                continue;
            }
        }
        let mut force = false;
        let mut options_done = false;
        for &tok in &c.argv[1..] {
            let word = script.word(tok);
            let lit = literal(word);
            if rm || rmdir {
                if !options_done {
                    match lit.as_deref() {
                        Some("--") => {
                            options_done = true;
                            continue;
                        }
                        Some(o) if o.starts_with("--") => {
                            if o == "--force" {
                                force = true;
                            }
                            continue;
                        }
                        Some(o) if o.starts_with('-') && o.len() > 1 => {
                            if o.contains('f') {
                                force = true;
                            }
                            continue;
                        }
                        _ => {}
                    }
                }
            } else if find {
                // Start paths come before the first expression word.
                if lit
                    .as_deref()
                    .is_some_and(|l| l.starts_with('-') || l == "(" || l == "!" || l == "\\(")
                {
                    break;
                }
            }
            let pattern = path_pattern(word, home.as_deref());
            let (pattern, floating) = match pattern {
                Some(p) if p.text.starts_with('/') => (Some(p), false),
                Some(p) => match &cwd_known {
                    Some(cwd) => {
                        let shift = cwd.len() + 1;
                        let text = format!("{cwd}/{}", p.text);
                        let wild = p.wild.iter().map(|w| w + shift).collect();
                        (Some(PathPattern { text, wild }), false)
                    }
                    None => (Some(p), true),
                },
                None => (None, false),
            };
            out.push(Deletion {
                cmd: ci,
                tok,
                pattern,
                floating,
                force: force && rm,
                rm,
                always: script.always_runs(ci),
            });
        }
    }
    out
}

/// Whether a deletion inside `target` surely ran when the RUN succeeded,
/// after command `after` (the last one that writes there) if any.
pub(super) fn surely_deletes_inside(dels: &[Deletion], target: &str, after: Option<usize>) -> bool {
    dels.iter().any(|d| {
        d.always
            && after.is_none_or(|w| d.cmd > w)
            && matches!(relation(d, target), Relation::Inside)
    })
}
