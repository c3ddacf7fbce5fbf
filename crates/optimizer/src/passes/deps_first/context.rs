//! Reading the build-context facts the caller gave, and asking for the ones
//! it did not: every lookup of a fact that is not there records a query.

use std::collections::BTreeSet;

use crate::options::{ContextFacts, ContextQuery};

/// Why the pass did not fire for one COPY/RUN pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Decline {
    /// A fact is not known yet (a query was recorded).
    Missing,
    /// A safety condition does not hold.
    Refused(&'static str),
    /// The pair is not what the pass rewrites after all (the source of
    /// `COPY <src>/ <dir>` is not a directory of the context): nothing to say.
    NotApplicable,
}

pub(super) type Checked<T> = Result<T, Decline>;

/// The context facts, and the queries of the lookups they could not answer.
pub(super) struct Reader<'a> {
    pub facts: &'a ContextFacts,
    pub queries: BTreeSet<ContextQuery>,
}

impl<'a> Reader<'a> {
    pub fn new(facts: &'a ContextFacts) -> Reader<'a> {
        Reader {
            facts,
            queries: BTreeSet::new(),
        }
    }

    /// The contents of a context file: `Ok(None)` when it is not a regular
    /// file of the context; `Err(Missing)` (and a query) when not read yet.
    pub fn file(&mut self, path: &str) -> Checked<Option<&'a [u8]>> {
        match self.facts.files.get(path) {
            Some(contents) => Ok(contents.as_deref()),
            None => {
                self.queries.insert(ContextQuery::File(path.to_string()));
                Err(Decline::Missing)
            }
        }
    }

    /// A file's contents as text; a file that is not UTF-8 refuses.
    pub fn text(&mut self, path: &str) -> Checked<Option<&'a str>> {
        match self.file(path)? {
            None => Ok(None),
            Some(bytes) => std::str::from_utf8(bytes)
                .map(Some)
                .map_err(|_| Decline::Refused("a manifest is not UTF-8 text")),
        }
    }

    /// The texts of those of `names` in context directory `dir` that the
    /// context has, as `(name, text)`. Every file is asked for before
    /// deciding, so one round of queries answers them all: `Err(Missing)`
    /// when one is not read yet; a file that is not UTF-8 refuses. A name
    /// the context has as something else than a regular file (a symbolic
    /// link to a config elsewhere in the tree, a directory) refuses: the
    /// installer would read through it, and a manifest COPY of the link
    /// alone would leave it dangling.
    pub fn texts_present<'n>(
        &mut self,
        dir: &str,
        names: &[&'n str],
    ) -> Checked<Vec<(&'n str, &'a str)>> {
        let mut present = Vec::new();
        let mut missing = false;
        for name in names {
            let path = join(dir, name).unwrap_or_else(|| name.to_string());
            match self.text(&path) {
                Ok(Some(text)) => present.push((*name, text)),
                Ok(None) => match self.listed(&path) {
                    Ok(false) => {}
                    Ok(true) => {
                        return Err(Decline::Refused(
                            "a manifest is a symbolic link or a directory",
                        ))
                    }
                    Err(_) => missing = true,
                },
                Err(Decline::Missing) => missing = true,
                Err(refused) => return Err(refused),
            }
        }
        if missing {
            Err(Decline::Missing)
        } else {
            Ok(present)
        }
    }

    /// Whether the listing of a context path's directory has an entry of
    /// that name, whatever its kind.
    fn listed(&mut self, path: &str) -> Checked<bool> {
        let (dir, name) = path.rsplit_once('/').unwrap_or(("", path));
        Ok(self.dir(dir)?.is_some_and(|entries| {
            entries
                .iter()
                .any(|entry| entry.strip_suffix('/').unwrap_or(entry) == name)
        }))
    }

    /// The entries of a context directory (`None`: not a directory).
    pub fn dir(&mut self, path: &str) -> Checked<Option<&'a [String]>> {
        match self.facts.dirs.get(path) {
            Some(entries) => Ok(entries.as_deref()),
            None => {
                self.queries.insert(ContextQuery::Dir(path.to_string()));
                Err(Decline::Missing)
            }
        }
    }
}

/// Joins a relative path onto a context directory, resolving `.` and `..`;
/// `None` when the path is absolute, leaves the context, or is empty.
pub(super) fn join(dir: &str, path: &str) -> Option<String> {
    if path.starts_with('/') || path.is_empty() {
        return None;
    }
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    let joined = parts.join("/");
    (!joined.is_empty()).then_some(joined)
}

/// Whether `dir` and every directory above it are directories of the
/// context, each listed as one in its parent (`""`, the root, always is). A
/// symbolic link on the way would make the manifest COPY create a directory
/// where the full COPY then writes the link.
pub(super) fn real_directories(reader: &mut Reader, dir: &str) -> Checked<bool> {
    let mut above = String::new();
    let mut missing = false;
    for part in dir.split('/').filter(|p| !p.is_empty()) {
        match reader.dir(&above) {
            Ok(Some(entries)) => {
                if !entries.iter().any(|e| e.strip_suffix('/') == Some(part)) {
                    return Ok(false);
                }
            }
            Ok(None) => return Ok(false),
            Err(_) => missing = true,
        }
        above = if above.is_empty() {
            part.to_string()
        } else {
            format!("{above}/{part}")
        };
    }
    if missing {
        Err(Decline::Missing)
    } else {
        Ok(true)
    }
}

/// The directory of a context path (`""` for the root).
pub(super) fn parent(path: &str) -> &str {
    path.rsplit_once('/').map_or("", |(dir, _)| dir)
}

/// An absolute path without `.`/`..` components or trailing `/`; `None` when
/// relative or when `..` climbs above `/`.
pub(super) fn normalize_absolute(path: &str) -> Option<String> {
    let rest = path.strip_prefix('/')?;
    let mut parts: Vec<&str> = Vec::new();
    for part in rest.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            p => parts.push(p),
        }
    }
    Some(format!("/{}", parts.join("/")))
}

/// Whether a context path can be written as a COPY source as is: no
/// whitespace, wildcards, variables, quotes or escapes, and not a flag.
pub(super) fn plain_source(path: &str) -> bool {
    !path.is_empty()
        && !path.starts_with('-')
        && !path.chars().any(|c| {
            c.is_whitespace() || matches!(c, '*' | '?' | '[' | ']' | '$' | '\'' | '"' | '\\' | '`')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn joins_inside_the_context_only() {
        assert_eq!(
            join("", "requirements.txt").as_deref(),
            Some("requirements.txt")
        );
        assert_eq!(
            join("app", "./req/base.txt").as_deref(),
            Some("app/req/base.txt")
        );
        assert_eq!(
            join("app/req", "../other.txt").as_deref(),
            Some("app/other.txt")
        );
        assert_eq!(join("", "../x.txt"), None);
        assert_eq!(join("", "/etc/x.txt"), None);
        assert_eq!(
            normalize_absolute("/app/./src/").as_deref(),
            Some("/app/src")
        );
        assert_eq!(normalize_absolute("/").as_deref(), Some("/"));
        assert_eq!(normalize_absolute("app"), None);
    }
}
