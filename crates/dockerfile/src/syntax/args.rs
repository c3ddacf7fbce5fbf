//! Per-keyword argument parsers, BuildKit's `line_parsers.go` `dispatch` table.
//!
//! Each parser gets the argument text (after flags, trimmed) as a range of the
//! logical line and returns [`Args`] plus whether it was a JSON array. Offsets
//! stay relative to the logical line; `Ctx` turns them into source spans.

use super::ast::{Args, Pair, Word};
use super::json::{self, ArrayError};
use super::lines::{is_ascii_space, is_space, LogicalLine};

pub(crate) const NOT_STRING_ARRAY: &str =
    "when using JSON array syntax, arrays must be comprised of strings only";

/// The logical line being parsed and the escape character in force.
pub(crate) struct Ctx<'a> {
    pub line: &'a LogicalLine,
    pub escape: char,
}

impl Ctx<'_> {
    pub fn text(&self, start: usize, end: usize) -> &str {
        &self.line.text[start..end]
    }

    pub fn word(&self, text: impl Into<String>, start: usize, end: usize) -> Word {
        Word {
            text: text.into(),
            span: self.line.span(start, end),
        }
    }
}

/// What an argument parser produced.
pub(crate) struct Parsed {
    pub args: Args,
    pub json: bool,
}

impl Parsed {
    fn plain(args: Args) -> Parsed {
        Parsed { args, json: false }
    }
}

/// The argument shape of each known keyword; `None` for unknown keywords.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Shape {
    MaybeJson,
    MaybeJsonToList,
    WhitespaceList,
    String,
    NameVal(&'static str),
    NameOrNameVal,
    Health,
    SubCommand,
}

pub(crate) fn shape_of(keyword: &str) -> Option<Shape> {
    Some(match keyword {
        "add" | "copy" | "volume" => Shape::MaybeJsonToList,
        "arg" => Shape::NameOrNameVal,
        "cmd" | "entrypoint" | "run" | "shell" => Shape::MaybeJson,
        "env" => Shape::NameVal("ENV"),
        "label" => Shape::NameVal("LABEL"),
        "expose" | "from" => Shape::WhitespaceList,
        "healthcheck" => Shape::Health,
        "maintainer" | "stopsignal" | "user" | "workdir" => Shape::String,
        "onbuild" => Shape::SubCommand,
        _ => return None,
    })
}

/// `[\t\v\f\r ]`, BuildKit's `reWhitespace` class.
fn is_blank(c: char) -> bool {
    matches!(c, '\t' | '\x0b' | '\x0c' | '\r' | ' ')
}

/// [`is_blank`] for a byte: the class is ASCII, so scanning bytes finds the
/// same positions as scanning characters (and they are character boundaries).
fn is_blank_byte(b: u8) -> bool {
    matches!(b, b'\t' | b'\x0b' | b'\x0c' | b'\r' | b' ')
}

/// `reWhitespace.Split(text, -1)` as ranges.
pub(crate) fn whitespace_list(ctx: &Ctx, start: usize, end: usize) -> Args {
    if start == end {
        return Args::Empty;
    }
    // The first push would reserve room for four words anyway; asking for it
    // up front skips the growth path.
    let mut words = Vec::with_capacity(4);
    let text = ctx.text(start, end);
    let mut word_start = 0;
    let mut in_blank = false;
    for (i, &b) in text.as_bytes().iter().enumerate() {
        if is_blank_byte(b) {
            if !in_blank {
                words.push(ctx.word(&text[word_start..i], start + word_start, start + i));
                in_blank = true;
            }
        } else if in_blank {
            word_start = i;
            in_blank = false;
        }
    }
    if in_blank {
        words.push(ctx.word("", end, end));
    } else {
        words.push(ctx.word(&text[word_start..], start + word_start, end));
    }
    Args::Words(words)
}

pub(crate) fn string(ctx: &Ctx, start: usize, end: usize) -> Args {
    if start == end {
        return Args::Empty;
    }
    Args::Words(vec![ctx.word(ctx.text(start, end), start, end)])
}

fn json_array(ctx: &Ctx, start: usize, end: usize) -> Result<Option<Parsed>, String> {
    let text = ctx.text(start, end);
    // Every element spans the whole array (decoded text has no source range of its own).
    match json::parse_string_array_with(text, |text| ctx.word(text, start, end)) {
        Ok(words) => {
            let args = if words.is_empty() {
                Args::Empty
            } else {
                Args::Words(words)
            };
            Ok(Some(Parsed { args, json: true }))
        }
        Err(ArrayError::NotStrings) => Err(NOT_STRING_ARRAY.to_string()),
        Err(ArrayError::Invalid) => Ok(None),
    }
}

pub(crate) fn maybe_json(ctx: &Ctx, start: usize, end: usize) -> Result<Parsed, String> {
    if start == end {
        return Ok(Parsed::plain(Args::Empty));
    }
    Ok(json_array(ctx, start, end)?.unwrap_or_else(|| Parsed::plain(string(ctx, start, end))))
}

pub(crate) fn maybe_json_to_list(ctx: &Ctx, start: usize, end: usize) -> Result<Parsed, String> {
    Ok(json_array(ctx, start, end)?
        .unwrap_or_else(|| Parsed::plain(whitespace_list(ctx, start, end))))
}

/// BuildKit's `parseWords`: splits on Unicode space outside quotes; quotes and
/// escape characters are kept in the words (the lexer handles them later), so
/// every word is a slice of the text, except that an escape character ending
/// the text is dropped. Returns the words as ranges of the logical line, so
/// callers copy only the text they keep.
pub(crate) fn words(ctx: &Ctx, start: usize, end: usize) -> Vec<(usize, usize)> {
    #[derive(Clone, Copy, PartialEq)]
    enum Phase {
        Spaces,
        Word,
        Quote(char),
    }
    let text = ctx.text(start, end);
    let bytes = text.as_bytes();
    let escape = ctx.escape;
    // Bytes that change nothing but the end of the current word, so runs of
    // them are skipped at once. Only ASCII qualifies: another character may be
    // a Unicode space, and goes through the character-by-character path.
    let plain = |b: u8, phase: Phase| {
        let c = char::from(b);
        b.is_ascii()
            && match phase {
                Phase::Word => !is_ascii_space(b) && c != '\'' && c != '"' && c != escape,
                Phase::Quote(quote) => c != quote && (quote == '\'' || c != escape),
                Phase::Spaces => false,
            }
    };
    // Room for four words, as the first push would reserve, without the growth path.
    let mut out = Vec::with_capacity(4);
    let mut word_start = 0;
    let mut blank_ok = false;
    let mut phase = Phase::Spaces;
    let push = |out: &mut Vec<(usize, usize)>, from: usize, to: usize, blank_ok: bool| {
        if blank_ok || to > from {
            out.push((start + from, start + to));
        }
    };
    // Where the current word ends if the text ends now (a final escape is dropped).
    let mut word_end = 0;
    let mut i = 0;
    while let Some(ch) = text[i..].chars().next() {
        let next = i + ch.len_utf8();
        if phase == Phase::Spaces {
            if is_space(ch) {
                i = next;
                continue;
            }
            phase = Phase::Word;
            word_start = i;
        }
        match phase {
            Phase::Word if is_space(ch) => {
                push(&mut out, word_start, i, blank_ok);
                phase = Phase::Spaces;
                blank_ok = false;
                i = next;
                continue;
            }
            Phase::Word => {
                if ch == '\'' || ch == '"' {
                    phase = Phase::Quote(ch);
                    blank_ok = true;
                }
                if ch == escape {
                    match text[next..].chars().next() {
                        // The escaped character belongs to the word, even a quote or a space.
                        Some(escaped) => {
                            word_end = next + escaped.len_utf8();
                            i = word_end;
                        }
                        None => {
                            word_end = i;
                            i = next;
                        }
                    }
                    continue;
                }
            }
            Phase::Quote(quote) => {
                if ch == quote {
                    phase = Phase::Word;
                }
                if ch == escape && quote != '\'' {
                    match text[next..].chars().next() {
                        Some(escaped) => {
                            word_end = next + escaped.len_utf8();
                            i = word_end;
                        }
                        None => {
                            phase = Phase::Word;
                            word_end = i;
                            i = next;
                        }
                    }
                    continue;
                }
            }
            Phase::Spaces => {}
        }
        let run = bytes[next..]
            .iter()
            .position(|&b| !plain(b, phase))
            .unwrap_or(bytes.len() - next);
        word_end = next + run;
        i = word_end;
    }
    if phase != Phase::Spaces {
        push(&mut out, word_start, word_end, blank_ok);
    }
    out
}

pub(crate) fn name_or_name_val(ctx: &Ctx, start: usize, end: usize) -> Args {
    let words = words(ctx, start, end);
    if words.is_empty() {
        return Args::Empty;
    }
    Args::Words(
        words
            .into_iter()
            .map(|(s, e)| ctx.word(ctx.text(s, e), s, e))
            .collect(),
    )
}

/// ENV and LABEL: the legacy `KEY value` form or `k=v …`.
pub(crate) fn name_val(ctx: &Ctx, start: usize, end: usize, key: &str) -> Result<Args, String> {
    let found = words(ctx, start, end);
    let Some(&(first_start, first_end)) = found.first() else {
        return Ok(Args::Empty);
    };
    if !ctx.text(first_start, first_end).contains('=') {
        let text = ctx.text(start, end);
        let Some(blank) = text.find(is_blank) else {
            return Err(format!("{key} must have two arguments"));
        };
        let value_start =
            blank + text[blank..].len() - text[blank..].trim_start_matches(is_blank).len();
        let key_word = ctx.word(&text[..blank], start, start + blank);
        let value = ctx.word(&text[value_start..], start + value_start, end);
        return Ok(Args::Pairs(vec![Pair {
            key: key_word,
            value,
            legacy: true,
        }]));
    }
    let mut pairs = Vec::with_capacity(found.len());
    for (s, e) in found {
        let word = ctx.text(s, e);
        let Some(eq) = word.find('=') else {
            return Err(format!(
                "Syntax error - can't find = in {}. Must be of the form: name=value",
                crate::go_quote(word)
            ));
        };
        // The word is a slice of the line (parseWords keeps quotes and escapes).
        let key = ctx.word(&word[..eq], s, s + eq);
        let value = ctx.word(&word[eq + 1..], s + eq + 1, e);
        pairs.push(Pair {
            key,
            value,
            legacy: false,
        });
    }
    Ok(Args::Pairs(pairs))
}

/// HEALTHCHECK: a type word (`CMD`, `NONE`, …) followed by a maybe-JSON command.
pub(crate) fn health(ctx: &Ctx, start: usize, end: usize) -> Result<Parsed, String> {
    let text = ctx.text(start, end);
    let is_ascii_space = |b: u8| matches!(b, b'\t' | b'\n' | b'\x0b' | b'\x0c' | b'\r' | b' ');
    let sep = text.bytes().position(is_ascii_space).unwrap_or(text.len());
    if sep == 0 {
        return Ok(Parsed::plain(Args::Empty));
    }
    let next = sep
        + text[sep..]
            .bytes()
            .take_while(|&b| is_ascii_space(b))
            .count();
    let kind = ctx.word(&text[..sep], start, start + sep);
    let cmd = maybe_json(ctx, start + next, end)?;
    let mut words = vec![kind];
    if let Args::Words(rest) = cmd.args {
        words.extend(rest);
    }
    Ok(Parsed {
        args: Args::Words(words),
        json: cmd.json,
    })
}
