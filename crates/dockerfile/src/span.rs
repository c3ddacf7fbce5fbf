//! Byte-offset spans, and the one place where offsets become line/column.
//!
//! Everything inside dfopt speaks in byte offsets into the Dockerfile text;
//! line and column numbers exist only at the edges (CLI output, BuildKit
//! source maps), computed by [`LineIndex`].

/// A half-open byte range `start..end` into the Dockerfile source.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Span {
    pub start: u32,
    pub end: u32,
}

impl Span {
    /// A span from `start` to `end`; `end` is clamped so it never precedes `start`.
    pub fn new(start: usize, end: usize) -> Span {
        let start = to_u32(start);
        Span {
            start,
            end: to_u32(end).max(start),
        }
    }

    /// The smallest span covering both.
    pub fn cover(self, other: Span) -> Span {
        Span {
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }

    pub fn len(self) -> usize {
        (self.end - self.start) as usize
    }

    pub fn is_empty(self) -> bool {
        self.start == self.end
    }

    /// The text this span covers in `source` (empty if out of bounds).
    pub fn text(self, source: &str) -> &str {
        source
            .get(self.start as usize..self.end as usize)
            .unwrap_or("")
    }
}

fn to_u32(offset: usize) -> u32 {
    u32::try_from(offset).unwrap_or(u32::MAX)
}

/// A 1-based line and 1-based column (counted in characters).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LineCol {
    pub line: u32,
    pub column: u32,
}

/// `0x80` in each byte of `word` that is `\n`, zero elsewhere. Exact (no false
/// positives from borrows, unlike the cheaper "has zero byte" test): the low seven
/// bits are added separately, so no carry crosses a byte.
pub(crate) fn newline_mask(word: u64) -> u64 {
    const LOW7: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let x = word ^ 0x0a0a_0a0a_0a0a_0a0a;
    !(((x & LOW7) + LOW7) | x | LOW7)
}

/// Maps byte offsets to lines and columns. Lines end at `\n` (like BuildKit's scanner).
#[derive(Clone, Debug)]
pub struct LineIndex {
    line_starts: Vec<u32>,
}

impl LineIndex {
    pub fn new(source: &str) -> LineIndex {
        let bytes = source.as_bytes();
        // Dockerfile lines average well over 16 bytes, so this rarely regrows.
        let mut line_starts = Vec::with_capacity(bytes.len() / 16 + 2);
        line_starts.push(0);
        // Eight bytes at a time: most words hold no newline and cost a few
        // instructions instead of eight compares; the rest are found bit by bit.
        let mut chunks = bytes.chunks_exact(8);
        let mut offset = 0usize;
        for chunk in &mut chunks {
            let word = u64::from_le_bytes(chunk.try_into().unwrap_or_default());
            let mut mask = newline_mask(word);
            while mask != 0 {
                let at = (mask.trailing_zeros() / 8) as usize;
                line_starts.push(to_u32(offset + at + 1));
                mask &= mask - 1;
            }
            offset += 8;
        }
        for (i, &b) in chunks.remainder().iter().enumerate() {
            if b == b'\n' {
                line_starts.push(to_u32(offset + i + 1));
            }
        }
        LineIndex { line_starts }
    }

    /// The 1-based line holding `offset`.
    pub fn line(&self, offset: u32) -> u32 {
        match self.line_starts.binary_search(&offset) {
            Ok(i) => to_u32(i + 1),
            Err(i) => to_u32(i),
        }
    }

    /// Line and column of `offset`; the column counts characters of `source`.
    pub fn line_col(&self, source: &str, offset: u32) -> LineCol {
        let line = self.line(offset);
        let start = self.line_starts[(line - 1) as usize] as usize;
        let end = (offset as usize).min(source.len());
        let column = source
            .get(start..end)
            .map_or(end.saturating_sub(start), |s| s.chars().count());
        LineCol {
            line,
            column: to_u32(column + 1),
        }
    }

    /// First and last 1-based lines of a span (the last byte decides the end line).
    pub fn lines(&self, span: Span) -> (u32, u32) {
        let start = self.line(span.start);
        let end = if span.end > span.start {
            self.line(span.end - 1)
        } else {
            start
        };
        (start, end)
    }

    /// Number of lines (a trailing newline opens a last, empty line).
    pub fn line_count(&self) -> usize {
        self.line_starts.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The word-at-a-time scan finds exactly the newlines a byte loop finds, at every
    /// alignment and next to bytes that could borrow (`\x0b`, `\x8a`, `\x09`).
    #[test]
    fn line_starts_match_byte_scan() {
        let pieces = [
            "\n",
            "a",
            "\u{8a}",
            "\x0b",
            "\t",
            "\n\n",
            "é",
            "FROM x\nRUN y\n",
        ];
        let mut source = String::new();
        for round in 0..200 {
            source.push_str(pieces[(round * 7 + round / 3) % pieces.len()]);
            let expected: Vec<u32> = std::iter::once(0)
                .chain(
                    source
                        .bytes()
                        .enumerate()
                        .filter(|&(_, b)| b == b'\n')
                        .map(|(i, _)| to_u32(i + 1)),
                )
                .collect();
            assert_eq!(LineIndex::new(&source).line_starts, expected, "{source:?}");
        }
    }
}
