//! Code frames: the Dockerfile lines a change or finding concerns, with line
//! numbers and the concerned ranges underlined.
//!
//! ```text
//!   --> Dockerfile:4:1
//!    |
//!  4 | RUN apt-get update
//!    | ^^^^^^^^^^^^^^^^^^
//!  5 | RUN apt-get install -y curl
//!    | ^^^^^^^^^^^^^^^^^^^^^^^^^^^
//! ```
//!
//! Lines between two ranges are shown when the gap is short and elided
//! (`...`) otherwise; a range longer than [`MAX_RANGE_LINES`] lines shows its
//! first and last lines only. Tabs are expanded to four spaces so the
//! underline lines up.

use dfopt_dockerfile::{LineIndex, Span};

use crate::style::Style;

/// Ranges longer than this are shown by their head and tail.
pub const MAX_RANGE_LINES: usize = 8;
/// Unmarked lines between two ranges shown before eliding the gap.
const MAX_GAP: usize = 2;
const TAB: &str = "    ";

/// Byte ranges of every line of `source` (without the `\n`; a `\r` before it is dropped).
pub struct Lines<'a> {
    source: &'a str,
    lines: Vec<(usize, usize)>,
}

impl<'a> Lines<'a> {
    pub fn new(source: &'a str) -> Lines<'a> {
        let mut lines = Vec::new();
        let mut start = 0;
        for (i, b) in source.bytes().enumerate() {
            if b == b'\n' {
                let end = if i > start && source.as_bytes()[i - 1] == b'\r' {
                    i - 1
                } else {
                    i
                };
                lines.push((start, end));
                start = i + 1;
            }
        }
        lines.push((start, source.len()));
        Lines { source, lines }
    }

    fn text(&self, line: usize) -> &'a str {
        let (s, e) = self.lines[line - 1];
        &self.source[s..e]
    }

    fn count(&self) -> usize {
        self.lines.len()
    }
}

/// The frame for `spans` of `source`; the `-->` line names `name` and the
/// start of the first span (the primary one). Empty when there is no span.
pub fn render(source: &str, name: &str, spans: &[Span], style: Style) -> String {
    let mut spans: Vec<Span> = spans
        .iter()
        .copied()
        .filter(|s| s.start as usize <= source.len())
        .collect();
    let Some(&primary) = spans.first() else {
        return String::new();
    };
    spans.sort_by_key(|s| (s.start, s.end));
    let lines = Lines::new(source);
    let index = LineIndex::new(source);
    // Lines to show, in order; `None` is an elision.
    let mut shown: Vec<Option<usize>> = Vec::new();
    let mut marked_lines: Vec<(usize, usize)> = Vec::new();
    for span in &spans {
        let (a, b) = index.lines(*span);
        marked_lines.push((a as usize, (b as usize).min(lines.count())));
    }
    // Merge overlapping/adjacent line ranges.
    let mut merged: Vec<(usize, usize)> = Vec::new();
    for (a, b) in marked_lines {
        match merged.last_mut() {
            Some(last) if a <= last.1 + 1 => last.1 = last.1.max(b),
            _ => merged.push((a, b)),
        }
    }
    let mut prev_end: Option<usize> = None;
    for &(a, b) in &merged {
        if let Some(p) = prev_end {
            if a - p - 1 <= MAX_GAP {
                shown.extend((p + 1..a).map(Some));
            } else {
                shown.push(None);
            }
        }
        if b - a + 1 > MAX_RANGE_LINES {
            shown.extend((a..a + 3).map(Some));
            shown.push(None);
            shown.extend((b - 1..=b).map(Some));
        } else {
            shown.extend((a..=b).map(Some));
        }
        prev_end = Some(b);
    }
    let last_line = merged.last().map_or(1, |m| m.1);
    let width = last_line.to_string().len();
    let pad = " ".repeat(width);
    let first = index.line_col(source, primary.start);
    let mut out = String::new();
    out.push_str(&format!(
        "{pad}{} {name}:{}:{}\n",
        style.blue("-->"),
        first.line,
        first.column
    ));
    out.push_str(&format!("{pad} {}\n", style.blue("|")));
    for line in shown {
        let Some(line) = line else {
            out.push_str(&format!("{}\n", style.blue("...")));
            continue;
        };
        let text = lines.text(line);
        let display = text.replace('\t', TAB);
        let number = format!("{line:>width$}");
        if display.is_empty() {
            out.push_str(&format!("{} {}\n", style.blue(&number), style.blue("|")));
        } else {
            out.push_str(&format!(
                "{} {} {display}\n",
                style.blue(&number),
                style.blue("|")
            ));
        }
        if let Some((from, to)) = underline(&lines, line, &spans) {
            let marks = "^".repeat((to - from).max(1));
            out.push_str(&format!(
                "{pad} {} {}{}\n",
                style.blue("|"),
                " ".repeat(from),
                style.red(&marks)
            ));
        }
    }
    out
}

/// Display columns `[from, to)` of `line` covered by any span, without
/// leading and trailing whitespace.
fn underline(lines: &Lines, line: usize, spans: &[Span]) -> Option<(usize, usize)> {
    let (ls, le) = lines.lines[line - 1];
    let mut from: Option<usize> = None;
    let mut to = 0;
    for span in spans {
        let s = (span.start as usize).max(ls);
        let e = (span.end as usize).min(le);
        if s >= e {
            continue;
        }
        let piece = &lines.source[s..e];
        let lead = piece.len() - piece.trim_start().len();
        let trail = piece.len() - piece.trim_end().len();
        if lead + trail >= piece.len() {
            continue;
        }
        let (s, e) = (s + lead, e - trail);
        let col = |offset: usize| display_width(&lines.source[ls..offset]);
        let (cs, ce) = (col(s), col(e));
        from = Some(from.map_or(cs, |f: usize| f.min(cs)));
        to = to.max(ce);
    }
    from.map(|f| (f, to))
}

fn display_width(text: &str) -> usize {
    text.chars()
        .map(|c| if c == '\t' { TAB.len() } else { 1 })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span_of(source: &str, needle: &str) -> Span {
        let start = source.find(needle).expect("needle");
        Span::new(start, start + needle.len())
    }

    #[test]
    fn underlines_each_line_of_a_range() {
        let src = "FROM a\nRUN a \\\n    b\nCMD x\n";
        let out = render(
            src,
            "Dockerfile",
            &[span_of(src, "RUN a \\\n    b")],
            Style::plain(),
        );
        assert_eq!(
            out,
            " --> Dockerfile:2:1\n  |\n2 | RUN a \\\n  | ^^^^^^^\n3 |     b\n  |     ^\n"
        );
    }

    #[test]
    fn gaps_and_long_ranges_are_elided() {
        let mut src = String::from("FROM a\nRUN x\n");
        for i in 0..10 {
            src.push_str(&format!("# {i}\n"));
        }
        src.push_str("RUN y\n");
        let out = render(
            &src,
            "D",
            &[span_of(&src, "RUN x"), span_of(&src, "RUN y")],
            Style::plain(),
        );
        assert!(
            out.contains("...") && out.contains(" 2 | RUN x") && out.contains("13 | RUN y"),
            "{out}"
        );
        assert!(!out.contains("# 5"), "{out}");
        assert_eq!(render(&src, "D", &[], Style::plain()), "");
    }

    #[test]
    fn tabs_and_crlf() {
        let src = "FROM a\r\n\tRUN x\r\n";
        let out = render(src, "D", &[span_of(src, "RUN x")], Style::plain());
        assert_eq!(out, " --> D:2:2\n  |\n2 |     RUN x\n  |     ^^^^^\n");
    }
}
