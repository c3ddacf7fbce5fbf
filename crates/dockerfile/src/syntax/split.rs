//! Splitting a logical line into keyword, builder flags and argument text.
//!
//! Mirrors BuildKit's `splitCommand` and `extractBuilderFlags`: the keyword is
//! the first run of non-blank characters; then every following word that
//! starts with `--` is a flag (quotes and the escape character are processed
//! inside it) until the first other word or a bare `--`.
//!
//! Deviation, on purpose: BuildKit walks flag text byte by byte and turns each
//! byte into a rune, which corrupts non-ASCII characters in flag values (and
//! treats the UTF-8 continuation bytes 0x85/0xA0 as spaces). We keep UTF-8
//! intact; ASCII input behaves identically.

use super::lines::{is_ascii_space, trim_end_space, trim_start_space};

/// Byte ranges into the logical line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Split {
    pub keyword: (usize, usize),
    /// Processed flag text with the range of the raw word.
    pub flags: Vec<(String, usize, usize)>,
    /// Argument text range (trimmed).
    pub args: (usize, usize),
}

/// BuildKit's `reWhitespace`: `[\t\v\f\r ]`.
fn is_blank(b: u8) -> bool {
    matches!(b, b'\t' | b'\x0b' | b'\x0c' | b'\r' | b' ')
}

/// Go's `strings.TrimSpace` as a range.
fn trim_space(line: &str, start: usize, end: usize) -> (usize, usize) {
    let text = &line[start..end];
    let left = text.len() - trim_start_space(text).len();
    if left == text.len() {
        return (end, end);
    }
    (start + left, start + trim_end_space(text).len())
}

pub fn split_command(line: &str, escape: char) -> Split {
    let (start, end) = trim_space(line, 0, line.len());
    let bytes = line.as_bytes();
    let keyword_end = (start..end).find(|&i| is_blank(bytes[i])).unwrap_or(end);
    let keyword = (start, keyword_end);
    if keyword_end == end {
        return Split {
            keyword,
            flags: Vec::new(),
            args: (end, end),
        };
    }
    let mut rest_start = keyword_end;
    while rest_start < end && is_blank(bytes[rest_start]) {
        rest_start += 1;
    }
    let (flags, args_start) = extract_flags(line, rest_start, end, escape as u8);
    let args = trim_space(line, args_start, end);
    Split {
        keyword,
        flags,
        args,
    }
}

#[derive(PartialEq)]
enum Phase {
    Spaces,
    Word,
    Quote(u8),
}

/// Returns the flags and the offset where the arguments start.
fn extract_flags(
    line: &str,
    start: usize,
    end: usize,
    escape: u8,
) -> (Vec<(String, usize, usize)>, usize) {
    let bytes = line.as_bytes();
    let mut flags = Vec::new();
    // Only flags with quotes or escapes need this buffer: it is allocated for
    // the first of them, large enough for every flag of the line.
    let mut word: Vec<u8> = Vec::new();
    let mut word_start = start;
    let mut blank_ok = false;
    let mut phase = Phase::Spaces;
    let mut pos = start;
    // The word is valid UTF-8 (only ASCII bytes are ever dropped), so the
    // lossy conversion is a fallback that never runs; checking first is faster.
    let finish = |word: &Vec<u8>| match std::str::from_utf8(word) {
        Ok(text) => text.to_owned(),
        Err(_) => String::from_utf8_lossy(word).into_owned(),
    };
    loop {
        if pos == end {
            if phase != Phase::Spaces && word.as_slice() != b"--" && (blank_ok || !word.is_empty())
            {
                flags.push((finish(&word), word_start, end));
            }
            return (flags, end);
        }
        let ch = bytes[pos];
        match phase {
            Phase::Spaces => {
                if is_ascii_space(ch) {
                    pos += 1;
                    continue;
                }
                if ch != b'-' || pos + 1 == end || bytes[pos + 1] != b'-' {
                    return (flags, pos);
                }
                // Usually the flag has no quotes or escapes: it is then the
                // word as written, taken in one piece.
                let word_end = bytes[pos..end]
                    .iter()
                    .position(|&b| is_ascii_space(b))
                    .map_or(end, |i| pos + i);
                let raw = &bytes[pos..word_end];
                if !raw.iter().any(|&b| b == b'\'' || b == b'"' || b == escape) {
                    if raw == b"--" {
                        return (flags, word_end);
                    }
                    flags.push((line[pos..word_end].to_string(), pos, word_end));
                    pos = word_end;
                    continue;
                }
                if word.capacity() == 0 {
                    word.reserve(end - pos);
                }
                phase = Phase::Word;
                word_start = pos;
            }
            Phase::Word => {
                if is_ascii_space(ch) {
                    phase = Phase::Spaces;
                    if word.as_slice() == b"--" {
                        return (flags, pos);
                    }
                    if blank_ok || !word.is_empty() {
                        flags.push((finish(&word), word_start, pos));
                    }
                    word.clear();
                    blank_ok = false;
                    pos += 1;
                    continue;
                }
                if ch == b'\'' || ch == b'"' {
                    phase = Phase::Quote(ch);
                    blank_ok = true;
                    pos += 1;
                    continue;
                }
                if ch == escape {
                    if pos + 1 == end {
                        pos += 1;
                        continue;
                    }
                    pos += 1;
                }
                word.push(bytes[pos]);
                pos += 1;
            }
            Phase::Quote(quote) => {
                if ch == quote {
                    phase = Phase::Word;
                    pos += 1;
                    continue;
                }
                if ch == escape {
                    if pos + 1 == end {
                        phase = Phase::Word;
                        pos += 1;
                        continue;
                    }
                    pos += 1;
                }
                word.push(bytes[pos]);
                pos += 1;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(line: &str) -> (Vec<String>, String) {
        let s = split_command(line, '\\');
        (
            s.flags.into_iter().map(|f| f.0).collect(),
            line[s.args.0..s.args.1].to_string(),
        )
    }

    #[test]
    fn flags_and_args() {
        assert_eq!(
            flags("RUN --mount=type=cache,target=/x  --network=none echo hi "),
            (
                vec![
                    "--mount=type=cache,target=/x".into(),
                    "--network=none".into()
                ],
                "echo hi".into()
            )
        );
        assert_eq!(
            flags("COPY --chown=\"a b\" x y"),
            (vec!["--chown=a b".into()], "x y".into())
        );
        assert_eq!(
            flags("RUN -- --not-a-flag"),
            (vec![], "--not-a-flag".into())
        );
        assert_eq!(flags("RUN --x=\"\""), (vec!["--x=".into()], "".into()));
        assert_eq!(flags("FROM"), (vec![], "".into()));
    }
}
