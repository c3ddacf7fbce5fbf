//! Change records: every rewrite, and every finding a pass reports, is one
//! [`Change`] with the original source ranges it concerns and why.

use dfopt_dockerfile::{LineIndex, Span};

/// What a change record stands for.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum ChangeKind {
    /// The Dockerfile was rewritten (the rendered output differs).
    Rewrite,
    /// Information only: nothing was rewritten (an unreachable stage, an
    /// unused ARG, or a rewrite a pass declined and why).
    Report,
}

/// One explained change.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Change {
    /// The pass id (`deps-first`, `merge-runs`, `cache-mounts`, `prune-stages`).
    pub pass: &'static str,
    pub kind: ChangeKind,
    /// Ranges of the original source this change concerns (instructions).
    pub ranges: Vec<Span>,
    /// What was done (or found), one sentence.
    pub title: String,
    /// Why it is safe (for rewrites) or why it matters / was declined (reports).
    pub reason: String,
    /// A short tag for progress output, e.g. `3 RUNs merged` or `apt cache`
    /// (empty for reports).
    pub note: String,
}

impl Change {
    /// The first and last 1-based line of every range, for display.
    pub fn line_ranges(&self, index: &LineIndex) -> Vec<(u32, u32)> {
        self.ranges.iter().map(|&s| index.lines(s)).collect()
    }

    pub fn is_rewrite(&self) -> bool {
        self.kind == ChangeKind::Rewrite
    }
}

/// The progress suffix for a command, from the changes that rewrote it:
/// `(dfopt: 3 RUNs merged, apt cache)`. `None` when no rewrite touched it.
pub fn progress_note<'a>(changes: impl IntoIterator<Item = &'a Change>) -> Option<String> {
    let mut notes: Vec<&str> = Vec::new();
    for change in changes {
        if change.is_rewrite() && !change.note.is_empty() && !notes.contains(&change.note.as_str())
        {
            notes.push(&change.note);
        }
    }
    if notes.is_empty() {
        return None;
    }
    Some(format!("(dfopt: {})", notes.join(", ")))
}
