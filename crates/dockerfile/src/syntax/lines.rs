//! Physical lines of the source, and logical lines built from continuations.
//!
//! BuildKit reads the file with a `bufio.Scanner` that splits after each `\n`
//! and refuses lines longer than 64 KiB. [`PhysicalLines`] does the same over
//! byte offsets; [`LogicalLine`] joins continuation parts while remembering
//! where each byte came from, so spans stay exact across `\` continuations.

use crate::span::Span;

/// BuildKit's `bufio.MaxScanTokenSize - 1`: the longest line content accepted.
pub const MAX_LINE_LEN: usize = 65535;

/// One physical line: `start..content_end` is the text without trailing
/// `\r`/`\n` characters (BuildKit's `trimNewline`), `start..end` includes them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PhysicalLine {
    pub start: usize,
    pub content_end: usize,
    pub end: usize,
}

impl PhysicalLine {
    pub fn content(self, source: &str) -> &str {
        &source[self.start..self.content_end]
    }

    pub fn with_newline(self, source: &str) -> &str {
        &source[self.start..self.end]
    }
}

/// Iterates physical lines; stops (and remembers the offset) at a line that is too long.
pub struct PhysicalLines<'a> {
    source: &'a str,
    pos: usize,
    /// Offset of the first line that exceeded [`MAX_LINE_LEN`], if any.
    pub too_long: Option<usize>,
}

impl<'a> PhysicalLines<'a> {
    pub fn new(source: &'a str) -> Self {
        PhysicalLines { source, pos: 0, too_long: None }
    }
}

impl Iterator for PhysicalLines<'_> {
    type Item = PhysicalLine;

    fn next(&mut self) -> Option<PhysicalLine> {
        if self.pos >= self.source.len() || self.too_long.is_some() {
            return None;
        }
        let bytes = self.source.as_bytes();
        let start = self.pos;
        let newline = bytes[start..].iter().position(|&b| b == b'\n').map(|i| start + i);
        let without_newline = newline.unwrap_or(bytes.len());
        if without_newline - start > MAX_LINE_LEN {
            self.too_long = Some(start);
            return None;
        }
        let end = newline.map_or(bytes.len(), |i| i + 1);
        let mut content_end = end;
        while content_end > start && matches!(bytes[content_end - 1], b'\r' | b'\n') {
            content_end -= 1;
        }
        self.pos = end;
        Some(PhysicalLine { start, content_end, end })
    }
}

/// A logical line: text joined from pieces of physical lines, with an offset map.
#[derive(Clone, Debug, Default)]
pub struct LogicalLine {
    pub text: String,
    /// `(offset in text, offset in source)` for the start of each piece.
    pieces: Vec<(usize, usize)>,
}

impl LogicalLine {
    /// Empties the line, keeping its buffers.
    pub fn clear(&mut self) {
        self.text.clear();
        self.pieces.clear();
    }

    /// Appends `source[range]`.
    pub fn push(&mut self, source: &str, start: usize, end: usize) {
        if end <= start {
            return;
        }
        self.pieces.push((self.text.len(), start));
        self.text.push_str(&source[start..end]);
    }

    /// The source offset of a byte offset in `text`.
    pub fn source_offset(&self, offset: usize) -> usize {
        let index = match self.pieces.binary_search_by_key(&offset, |&(text, _)| text) {
            Ok(i) => i,
            Err(0) => return self.pieces.first().map_or(offset, |&(_, src)| src),
            Err(i) => i - 1,
        };
        let (text, src) = self.pieces[index];
        src + (offset - text)
    }

    /// The source span of `text[start..end]`. An end on a piece boundary stays
    /// in the earlier piece, so a span never swallows the gap between pieces.
    pub fn span(&self, start: usize, end: usize) -> Span {
        let source_start = self.source_offset(start);
        let source_end = if end > start { self.source_offset(end - 1) + 1 } else { source_start };
        Span::new(source_start, source_end)
    }
}

/// Go's `unicode.IsSpace`; Rust's `char::is_whitespace` uses the same property.
pub fn is_space(c: char) -> bool {
    c.is_whitespace()
}

/// Go's `bytes.TrimLeftFunc(s, unicode.IsSpace)`, as an offset into `s`.
pub fn leading_space_len(s: &str) -> usize {
    s.len() - s.trim_start_matches(is_space).len()
}

/// BuildKit's `isComment`: the first non-space character is `#`.
pub fn is_comment(line: &str) -> bool {
    line.trim_start_matches(is_space).starts_with('#')
}

/// BuildKit's line-continuation regex `([^E])E[ \t]*$|^E[ \t]*$` for escape
/// character `E`. Returns the length of the text kept when `line` continues.
pub fn continuation_cut(line: &str, escape: char) -> Option<usize> {
    let trimmed = line.trim_end_matches([' ', '\t']);
    let before = trimmed.strip_suffix(escape)?;
    if before.ends_with(escape) {
        // `\\` at the end is an escaped escape, not a continuation.
        return None;
    }
    Some(before.len())
}
