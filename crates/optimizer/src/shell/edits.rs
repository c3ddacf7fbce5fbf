//! Text edits on a command line, and edits that remove simple commands.

use super::script::Script;
use super::tokens::TokKind;

/// A text edit on a command line: replace `start..end` with `text`.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Edit {
    pub start: usize,
    pub end: usize,
    pub text: String,
}

impl Edit {
    pub fn insert(at: usize, text: impl Into<String>) -> Edit {
        Edit {
            start: at,
            end: at,
            text: text.into(),
        }
    }
    pub fn replace(start: usize, end: usize, text: impl Into<String>) -> Edit {
        Edit {
            start,
            end,
            text: text.into(),
        }
    }
}

/// Applies non-overlapping edits (sorted here); `None` if two overlap.
pub(crate) fn apply_edits(text: &str, edits: &[Edit]) -> Option<String> {
    let mut edits = edits.to_vec();
    edits.sort_by_key(|e| (e.start, e.end));
    let mut out = String::with_capacity(text.len());
    let mut pos = 0;
    for e in &edits {
        if e.start < pos || e.end > text.len() {
            return None;
        }
        out.push_str(&text[pos..e.start]);
        out.push_str(&e.text);
        pos = e.end;
    }
    out.push_str(&text[pos..]);
    Some(out)
}

impl Script {
    /// The elements of a scope's list: token ranges between its separators
    /// (`;` `&&` `||` `|` `|&` `&` newline), comments excluded.
    fn elements(&self, scope: usize) -> Vec<(usize, usize)> {
        let sc = self.scopes[scope];
        let from = sc.open.map_or(0, |o| o + 1);
        let to = sc.close.unwrap_or(self.toks.len());
        let mut out = Vec::new();
        let mut start: Option<usize> = None;
        let mut last = from;
        for i in from..to {
            let t = self.toks[i];
            let is_sep = self.owner[i] == Some(scope)
                && t.kind == TokKind::Op
                && !matches!(t.text(&self.text), "(" | ")");
            if is_sep || t.kind == TokKind::Comment {
                if let Some(s) = start.take() {
                    out.push((s, last + 1));
                }
                continue;
            }
            start.get_or_insert(i);
            last = i;
        }
        if let Some(s) = start {
            out.push((s, last + 1));
        }
        out
    }

    /// Edits that remove the given simple commands (by index into `cmds`).
    /// A command that forms a whole element of a list (the top level, or the
    /// inside of a subshell or group) between `;`/`&&` separators or the list's
    /// ends is removed together with one separator; a list left with no
    /// element gets `true`. Anywhere else the command is replaced by `true`
    /// (an always successful command).
    pub fn removal_edits(&self, remove: &[usize]) -> Vec<Edit> {
        let mut edits = Vec::new();
        let mut handled = vec![false; remove.len()];
        for scope in 0..self.scopes.len() {
            let sc = self.scopes[scope];
            let elements = self.elements(scope);
            let boundary_ok = |tok: Option<usize>| match tok {
                None => true,
                Some(t) if Some(t) == sc.open || Some(t) == sc.close => true,
                Some(t) => {
                    let tk = self.toks[t];
                    tk.kind == TokKind::Comment
                        || (tk.kind == TokKind::Op
                            && matches!(tk.text(&self.text), ";" | "&&" | "\n"))
                }
            };
            let removable: Vec<Option<usize>> = elements
                .iter()
                .map(|&(first, last)| {
                    let hit = remove.iter().position(|&ci| {
                        let c = &self.cmds[ci];
                        c.scope == Some(scope) && c.first == first && c.last == last
                    })?;
                    let before = first.checked_sub(1);
                    let after = (last < self.toks.len()).then_some(last);
                    (boundary_ok(before) && boundary_ok(after)).then_some(hit)
                })
                .collect();
            if elements.is_empty() || removable.iter().all(Option::is_none) {
                continue;
            }
            for r in removable.iter().flatten() {
                handled[*r] = true;
            }
            if removable.iter().all(Option::is_some) {
                let start = self.toks[elements[0].0].start;
                let end = self.toks[elements[elements.len() - 1].1 - 1].end;
                edits.push(Edit::replace(start, end, "true"));
                continue;
            }
            for (i, &(first, last)) in elements.iter().enumerate() {
                if removable[i].is_none() {
                    continue;
                }
                if removable[i + 1..].iter().any(Option::is_none) {
                    let next = elements[i + 1].0;
                    edits.push(Edit::replace(
                        self.toks[first].start,
                        self.toks[next].start,
                        "",
                    ));
                } else {
                    let k = (0..i)
                        .rev()
                        .find(|&k| removable[k].is_none())
                        .expect("some element is kept");
                    edits.push(Edit::replace(
                        self.toks[elements[k].1 - 1].end,
                        self.toks[last - 1].end,
                        "",
                    ));
                }
            }
        }
        for (n, &ci) in remove.iter().enumerate() {
            if !handled[n] {
                let c = &self.cmds[ci];
                edits.push(Edit::replace(
                    self.toks[c.first].start,
                    self.toks[c.last - 1].end,
                    "true",
                ));
            }
        }
        merge_adjacent_deletions(edits)
    }

    /// An edit removing one word (and the blanks before it).
    pub fn remove_word(&self, tok: usize) -> Edit {
        let start = if tok > 0 {
            self.toks[tok - 1].end
        } else {
            self.toks[tok].start
        };
        Edit::replace(start, self.toks[tok].end, "")
    }
}

/// Deletions produced per command may touch; merge overlapping ones.
fn merge_adjacent_deletions(mut edits: Vec<Edit>) -> Vec<Edit> {
    edits.sort();
    let mut out: Vec<Edit> = Vec::new();
    for e in edits {
        if let Some(last) = out.last_mut() {
            if last.text.is_empty() && e.text.is_empty() && e.start <= last.end {
                last.end = last.end.max(e.end);
                continue;
            }
        }
        out.push(e);
    }
    out
}
