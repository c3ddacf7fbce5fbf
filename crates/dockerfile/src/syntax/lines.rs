//! Physical lines of the source, and logical lines built from continuations.
//!
//! BuildKit reads the file with a `bufio.Scanner` that splits after each `\n`
//! and refuses lines longer than 64 KiB. [`PhysicalLines`] does the same over
//! byte offsets; [`LogicalLine`] joins continuation parts while remembering
//! where each byte came from, so spans stay exact across `\` continuations.

use crate::span::{newline_mask, Span};

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
        PhysicalLines {
            source,
            pos: 0,
            too_long: None,
        }
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
        let newline = find_newline(&bytes[start..]).map(|i| start + i);
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
        Some(PhysicalLine {
            start,
            content_end,
            end,
        })
    }
}

/// `bytes.iter().position(|&b| b == b'\n')`, eight bytes at a time.
///
/// Every byte of the file passes through here, and testing one byte per step
/// was a visible share of the parse. [`newline_mask`] marks the newlines of a
/// word (the same test `LineIndex` uses), so the lowest mark is the first one.
fn find_newline(bytes: &[u8]) -> Option<usize> {
    let mut chunks = bytes.chunks_exact(8);
    let mut offset = 0;
    for chunk in &mut chunks {
        let mask = newline_mask(u64::from_le_bytes(
            chunk.try_into().expect("chunks of eight bytes"),
        ));
        if mask != 0 {
            return Some(offset + mask.trailing_zeros() as usize / 8);
        }
        offset += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&b| b == b'\n')
        .map(|i| offset + i)
}

/// A logical line: text joined from pieces of physical lines, with an offset map.
#[derive(Clone, Debug, Default)]
pub struct LogicalLine {
    pub text: String,
    /// `(offset in text, offset in source)` for the start of each piece.
    pieces: Vec<(usize, usize)>,
}

impl LogicalLine {
    /// An empty line with room for `text` bytes in `pieces` pieces. The parser
    /// reuses one line for a whole file; starting at a typical size saves
    /// growing it step by step on the first instructions.
    pub(crate) fn with_capacity(text: usize, pieces: usize) -> Self {
        LogicalLine {
            text: String::with_capacity(text),
            pieces: Vec::with_capacity(pieces),
        }
    }

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
        let pieces = &self.pieces;
        // Offsets nearly always fall in the last piece (where arguments end)
        // or the first (keyword, flags): try those before searching.
        let index = if pieces.last().is_some_and(|&(text, _)| text <= offset) {
            pieces.len() - 1
        } else if pieces.len() >= 2 && pieces[0].0 <= offset && offset < pieces[1].0 {
            0
        } else {
            match pieces.binary_search_by_key(&offset, |&(text, _)| text) {
                Ok(i) => i,
                Err(0) => return pieces.first().map_or(offset, |&(_, src)| src),
                Err(i) => i - 1,
            }
        };
        let (text, src) = self.pieces[index];
        src + (offset - text)
    }

    /// The source span of `text[start..end]`. An end on a piece boundary stays
    /// in the earlier piece, so a span never swallows the gap between pieces.
    pub fn span(&self, start: usize, end: usize) -> Span {
        // A single piece maps offsets by one shift (the common case, worth the shortcut).
        if let [(0, src)] = self.pieces[..] {
            return Span::new(src + start, src + end);
        }
        let source_start = self.source_offset(start);
        let source_end = if end > start {
            self.source_offset(end - 1) + 1
        } else {
            source_start
        };
        Span::new(source_start, source_end)
    }
}

/// Go's `unicode.IsSpace`; Rust's `char::is_whitespace` uses the same property.
pub fn is_space(c: char) -> bool {
    c.is_whitespace()
}

/// The ASCII characters [`is_space`] accepts (`unicode.IsSpace(rune(b))` for a byte).
pub(crate) fn is_ascii_space(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r' | b' ')
}

/// `s.trim_start_matches(is_space)`. Lines are nearly always ASCII, so ASCII
/// bytes are tested directly; a non-ASCII character (which may be a Unicode
/// space such as U+00A0) hands over to the character-by-character trim.
pub(crate) fn trim_start_space(s: &str) -> &str {
    let bytes = s.as_bytes();
    let start = bytes
        .iter()
        .position(|&b| !is_ascii_space(b))
        .unwrap_or(bytes.len());
    if bytes.get(start).is_some_and(|b| !b.is_ascii()) {
        return s[start..].trim_start_matches(is_space);
    }
    &s[start..]
}

/// `s.trim_end_matches(is_space)`, with the same ASCII fast path as [`trim_start_space`].
pub(crate) fn trim_end_space(s: &str) -> &str {
    let bytes = s.as_bytes();
    let end = bytes
        .iter()
        .rposition(|&b| !is_ascii_space(b))
        .map_or(0, |i| i + 1);
    if end > 0 && !bytes[end - 1].is_ascii() {
        return s[..end].trim_end_matches(is_space);
    }
    &s[..end]
}

/// Go's `bytes.TrimLeftFunc(s, unicode.IsSpace)`, as an offset into `s`.
pub fn leading_space_len(s: &str) -> usize {
    s.len() - trim_start_space(s).len()
}

/// BuildKit's `isComment`: the first non-space character is `#`.
pub fn is_comment(line: &str) -> bool {
    trim_start_space(line).starts_with('#')
}

/// BuildKit's line-continuation regex `([^E])E[ \t]*$|^E[ \t]*$` for escape
/// character `E`. Returns the length of the text kept when `line` continues.
pub fn continuation_cut(line: &str, escape: char) -> Option<usize> {
    if escape.is_ascii() {
        return continuation_cut_ascii(line.as_bytes(), escape as u8);
    }
    let trimmed = line.trim_end_matches([' ', '\t']);
    let before = trimmed.strip_suffix(escape)?;
    if before.ends_with(escape) {
        // `\\` at the end is an escaped escape, not a continuation.
        return None;
    }
    Some(before.len())
}

/// [`continuation_cut`] for an ASCII escape character (always the case in a
/// Dockerfile: `\\` or `` ` ``), over bytes. Every byte it compares with is
/// ASCII, so it finds what the character-based version finds.
fn continuation_cut_ascii(line: &[u8], escape: u8) -> Option<usize> {
    let trimmed = line
        .iter()
        .rposition(|&b| b != b' ' && b != b'\t')
        .map_or(0, |i| i + 1);
    let before = trimmed.checked_sub(1).filter(|&i| line[i] == escape)?;
    if before > 0 && line[before - 1] == escape {
        // `\\` at the end is an escaped escape, not a continuation.
        return None;
    }
    Some(before)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn find_newline_matches_a_byte_search() {
        let mut cases: Vec<Vec<u8>> = vec![
            b"".to_vec(),
            b"\n".to_vec(),
            b"no newline here at all".to_vec(),
        ];
        // Every position within and across 8-byte words, with bytes that
        // could confuse the word trick around it (0x0b, 0x09, 0x8a, 0xff).
        for len in 0..40 {
            for at in 0..len {
                let mut bytes: Vec<u8> = (0..len)
                    .map(|i| [b'a', 0x0b, 0x09, 0x8a, 0xff, 0x00][i % 6])
                    .collect();
                bytes[at] = b'\n';
                cases.push(bytes.clone());
                if at + 1 < len {
                    bytes[at + 1] = b'\n';
                    cases.push(bytes);
                }
            }
        }
        for bytes in cases {
            assert_eq!(
                find_newline(&bytes),
                bytes.iter().position(|&b| b == b'\n'),
                "{bytes:?}"
            );
        }
    }
}
