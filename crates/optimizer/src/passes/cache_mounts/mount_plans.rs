//! What the pass plans for a RUN before rewriting it: per tool, the cache
//! directories wanted and the edits and dropped cleanups that go with them.
//! Edits and drops name the directories they need, so that a directory
//! declined later takes its edits with it.

use std::collections::BTreeMap;

use crate::cache_dirs::{dirs_of, Tool, CACHE_DIRS};
use crate::facts::CmdFacts;
use crate::shell::{Edit, Script};
use crate::work::Printed;

use super::cache_deletions::Deletion;

/// An edit that applies only if all the listed directories are mounted. Its
/// text may name a directory's target as `@<dir name>@` (`--cache-dir=@pip@`).
#[derive(Clone, Debug)]
pub(super) struct Gated {
    pub edit: Edit,
    pub requires: Vec<usize>,
}

/// A command to drop when the listed directories are mounted.
#[derive(Clone, Debug)]
pub(super) struct Drop {
    pub cmd: usize,
    pub requires: Vec<usize>,
}

/// What one tool's calls in a RUN need.
#[derive(Clone, Debug)]
pub(super) struct ToolPlan {
    pub tool: Tool,
    /// Directories wanted (indices into `CACHE_DIRS`).
    pub wants: Vec<usize>,
    pub edits: Vec<Gated>,
    pub drops: Vec<Drop>,
    /// Edits that send the tool's calls to the mount; applied only when a
    /// cleanup of the tool is dropped (what the cleanup emptied can then
    /// never have been written outside the mount).
    pub redirects: Vec<Gated>,
    /// Sentences for the change record.
    pub why: Vec<String>,
    /// The RUN works offline for this tool (state directories must not be mounted).
    pub offline: bool,
    /// The tool's directory may be mounted only if the RUN also cleaned it (apk).
    pub needs_cleanup: bool,
    /// The last command that writes state the RUN must delete for the mount
    /// to be allowed (apt's lists: `update`; apk's index: `update`, `-U`):
    /// only a deletion after it counts.
    pub last_writer: Option<usize>,
    /// The RUN prefetches into the directory (`go mod download`, `cargo fetch`,
    /// `mvn dependency:go-offline`, `gradle dependencies`, `pnpm fetch`,
    /// `npm ci --prefer-offline`): a later step exists to read what it put there.
    pub prefetch: bool,
}

/// A new plan for `tool`, wanting all its directories.
pub(super) fn tool_plan(tool: Tool) -> ToolPlan {
    ToolPlan {
        tool,
        wants: dirs_of(tool).map(|(i, _)| i).collect(),
        edits: Vec::new(),
        drops: Vec::new(),
        redirects: Vec::new(),
        why: Vec::new(),
        offline: false,
        needs_cleanup: false,
        last_writer: None,
        prefetch: false,
    }
}

/// What the pass plans for one RUN.
pub(super) struct RunPlan {
    pub stage: usize,
    pub index: usize,
    pub printed: Printed,
    pub script: Script,
    pub facts: CmdFacts,
    pub tools: Vec<ToolPlan>,
    /// Directory → target, for the directories still planned.
    pub targets: BTreeMap<usize, String>,
    pub deletions: Vec<Deletion>,
    pub network_none: bool,
}

/// The index in `CACHE_DIRS` of the directory named `name`.
pub(super) fn dir_index(name: &str) -> usize {
    CACHE_DIRS
        .iter()
        .position(|d| d.name == name)
        .expect("cache dir in table")
}

/// The text of command `ci`, in backquotes (for change records).
pub(super) fn cmd_text(script: &Script, ci: usize) -> String {
    let c = &script.cmds[ci];
    format!(
        "`{}`",
        &script.text[script.toks[c.first].start..script.toks[c.last - 1].end]
    )
}
