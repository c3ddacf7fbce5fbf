//! `missing-dockerignore`: `COPY .` or `ADD .` with no `.dockerignore` next to
//! the Dockerfile.
//!
//! **Why.** Without an ignore file, the whole directory is sent to the builder
//! and copied: `.git`, `node_modules`, build outputs, local secrets. Any change
//! to any of them (a commit, a rebuilt artifact) invalidates the COPY and every
//! later step, and the files bloat the image.
//!
//! **Example.** A `Dockerfile` with `COPY . /app` in a directory without
//! `.dockerignore` (or `Dockerfile.dockerignore`) is a finding; add one:
//! ```text
//! .git
//! node_modules
//! target
//! ```
//!
//! Skipped for a Dockerfile read from standard input (there is no directory to look in).

use super::super::{Context, Finding};
use super::copies_whole_context;

pub const ID: &str = "missing-dockerignore";
pub const SUMMARY: &str = "`COPY .`/`ADD .` without a `.dockerignore` next to the Dockerfile";

pub fn check(cx: &Context) -> Vec<Finding> {
    let Some(path) = cx.path else {
        return Vec::new();
    };
    if crate::dockerignore::find(path).is_some() {
        return Vec::new();
    }
    let Some((command, keyword)) = cx
        .commands()
        .find_map(|(_, c)| copies_whole_context(c).map(|k| (c, k)))
    else {
        return Vec::new();
    };
    let dir = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty())
        .map_or_else(|| ".".to_string(), |d| d.display().to_string());
    vec![Finding {
        rule: ID,
        spans: vec![command.span],
        message: format!("`{keyword}` copies the whole build context, and {dir}/.dockerignore does not exist"),
        fix: format!(
            "create {dir}/.dockerignore listing what the image does not need (.git, node_modules, build outputs, secrets)"
        ),
    }]
}
