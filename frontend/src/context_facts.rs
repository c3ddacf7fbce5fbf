//! Facts the passes ask for from the build context (file contents, directory
//! listings), read over the gateway from the context the build itself uses.
//!
//! The context is solved as the build will solve it — the client's directory with
//! the `.dockerignore` excludes and the build's shared key (the same source op the
//! lowering emits, so the daemon transfers it once), or the remote, input or
//! scoped context graph — and read with `ReadFile`/`ReadDir` on that result. A path
//! that is not in the context is answered as absent (`None`), which makes the asking
//! pass refrain; a path that leaves the context (`..`, absolute) is never read, nor
//! a file its directory does not list as a regular file (a symbolic link).

use std::collections::BTreeMap;

use dfopt_llb::{Local, OpOptions, State};
use dfopt_optimizer::{ContextFacts, ContextQuery};

use crate::bridge::{DirEntry, EntryKind};
use crate::errors::BuildError;
use crate::session::Session;

/// The most rounds of queries (a requirements file including another, …) before
/// the remaining ones are answered as unknown.
pub(crate) const MAX_CONTEXT_ROUNDS: usize = 8;

/// The build context, solved once per build and read as the passes ask.
pub(crate) struct ContextReader {
    reference: Option<String>,
}

impl ContextReader {
    pub(crate) fn new() -> Self {
        ContextReader { reference: None }
    }

    /// Answers `queries` into `facts` (solving the context on first use).
    pub(crate) async fn answer(
        &mut self,
        session: &Session<'_>,
        queries: &[ContextQuery],
        facts: &mut ContextFacts,
    ) -> Result<(), BuildError> {
        if queries.is_empty() {
            return Ok(());
        }
        let reference = match &self.reference {
            Some(reference) => reference.clone(),
            None => {
                let reference = solve_context(session).await?;
                self.reference = Some(reference.clone());
                reference
            }
        };
        let mut listings = BTreeMap::new();
        for query in queries {
            match query {
                ContextQuery::File(path) => {
                    let data = match inside_context(path) {
                        Some(path) => {
                            let (dir, name) = path.rsplit_once('/').unwrap_or(("", path.as_str()));
                            let entries = list(session, &reference, dir, &mut listings).await?;
                            let regular = entries.iter().flatten().any(|entry| {
                                entry.name == name && entry.kind == EntryKind::RegularFile
                            });
                            if regular {
                                session
                                    .bridge
                                    .read_file(&reference, &path)
                                    .await
                                    .map_err(|e| read_error(path.as_str(), &e))?
                            } else {
                                None
                            }
                        }
                        None => None,
                    };
                    facts.files.insert(path.clone(), data);
                }
                ContextQuery::Dir(path) => {
                    let entries = match inside_context(path) {
                        Some(dir) => list(session, &reference, &dir, &mut listings).await?,
                        None => None,
                    };
                    let names = entries.map(|entries| {
                        entries
                            .into_iter()
                            .map(|entry| match entry.kind {
                                EntryKind::Directory => format!("{}/", entry.name),
                                _ => entry.name,
                            })
                            .collect()
                    });
                    facts.dirs.insert(path.clone(), names);
                }
            }
        }
        Ok(())
    }
}

/// The entries of a context directory (`""`: the root), listed once per
/// round. A file is read only when its directory lists it as a regular file,
/// as the CLI does: `ReadFile` would follow a symbolic link, which a COPY of
/// the whole directory copies as a link.
async fn list(
    session: &Session<'_>,
    reference: &str,
    dir: &str,
    listings: &mut BTreeMap<String, Option<Vec<DirEntry>>>,
) -> Result<Option<Vec<DirEntry>>, BuildError> {
    if let Some(entries) = listings.get(dir) {
        return Ok(entries.clone());
    }
    let entries = session
        .bridge
        .read_dir(reference, if dir.is_empty() { "." } else { dir })
        .await
        .map_err(|e| read_error(dir, &e))?;
    listings.insert(dir.to_string(), entries.clone());
    Ok(entries)
}

/// `path` as a relative path inside the context, or `None` when it would leave it.
fn inside_context(path: &str) -> Option<String> {
    if path.starts_with('/') {
        return None;
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => return None,
            part => parts.push(part),
        }
    }
    Some(parts.join("/"))
}

fn read_error(path: &str, error: &crate::bridge::BridgeError) -> BuildError {
    BuildError::new(format!(
        "failed to read {path} from the build context: {error}"
    ))
    .with_code(error.code())
}

/// Solves the build context as the build reads it; returns the result's ref.
async fn solve_context(session: &Session<'_>) -> Result<String, BuildError> {
    let definition = match &session.contexts.main {
        Some(definition) => definition.clone(),
        None => {
            let options = &session.env.options;
            let name = if options.context_key.is_empty() {
                "context"
            } else {
                options.context_key.as_str()
            };
            let state = local_context(name, &session.env.session_id, session)
                .map_err(|e| BuildError::new(format!("build context: {e}")))?;
            state
                .marshal(&session.caps.llb)
                .map_err(|e| BuildError::new(format!("build context: {e}")))?
        }
    };
    session.bridge.solve(definition).await.map_err(|error| {
        BuildError::new(format!("failed to read the build context: {error}"))
            .with_code(error.code())
    })
}

/// The client's directory, as the lowering reads it (`[internal] load build context`).
fn local_context(
    name: &str,
    session_id: &str,
    session: &Session<'_>,
) -> Result<State, dfopt_llb::Error> {
    let mut local = Local::new(name)?;
    if !session_id.is_empty() {
        local = local.session(session_id.to_owned());
    }
    Ok(local
        .exclude_patterns(session.loaded.dockerignore.clone())
        .shared_key_hint(name)
        .custom_name("[internal] load build context")
        .build())
}

#[cfg(test)]
mod tests {
    use super::inside_context;

    #[test]
    fn paths_stay_inside_the_context() {
        assert_eq!(inside_context("a/./b.txt").as_deref(), Some("a/b.txt"));
        assert_eq!(inside_context("").as_deref(), Some(""));
        assert_eq!(inside_context("./").as_deref(), Some(""));
        assert_eq!(inside_context("../etc/passwd"), None);
        assert_eq!(inside_context("a/../../b"), None);
        assert_eq!(inside_context("/etc/passwd"), None);
    }
}
