//! Splitting a command line into tokens: words (with their quotes and
//! substitutions), control operators, redirections and comments.

use super::arith;
use super::Unsupported;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum TokKind {
    /// A word (quotes, escapes and substitutions included).
    Word,
    /// A control operator: `;` `&` `&&` `||` `|` `|&` `(` `)` `;;` or a newline.
    Op,
    /// A redirection operator, with its io-number if any (`2>`, `<`, `&>`).
    Redirect,
    /// A comment, from `#` to the end of the line.
    Comment,
    /// A whole arithmetic command `(( … ))` (see `arith.rs`).
    Arith,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Tok {
    pub kind: TokKind,
    pub start: usize,
    pub end: usize,
}

impl Tok {
    pub fn text(self, s: &str) -> &str {
        &s[self.start..self.end]
    }
}

fn is_meta(b: u8) -> bool {
    matches!(
        b,
        b' ' | b'\t' | b'\n' | b';' | b'&' | b'|' | b'(' | b')' | b'<' | b'>'
    )
}

fn char_len(s: &str, i: usize) -> usize {
    s[i..].chars().next().map_or(1, char::len_utf8)
}

/// Splits `s` into tokens.
#[cfg(test)]
pub(crate) fn tokenize(s: &str) -> Result<Vec<Tok>, Unsupported> {
    Ok(tokenize_with_substitutions(s)?.0)
}

/// A command substitution's body: `$(` … `)` or a backquoted one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Substitution {
    /// Byte range of the text between the delimiters.
    pub start: usize,
    pub end: usize,
    /// Backquoted (its body may hold backslash escapes).
    pub backquoted: bool,
}

/// Splits `s` into tokens, and lists the command substitutions found in its
/// words, outermost ones only (a nested one is inside its outer one's body).
pub(crate) fn tokenize_with_substitutions(
    s: &str,
) -> Result<(Vec<Tok>, Vec<Substitution>), Unsupported> {
    let mut subs = Vec::new();
    let (toks, _) = tokenize_from(s, 0, false, 0, &mut subs)?;
    // Bodies nest or are disjoint: an outer one comes first by start.
    subs.sort_by_key(|b| (b.start, std::cmp::Reverse(b.end)));
    let mut outer: Vec<Substitution> = Vec::new();
    for b in subs {
        if outer.last().is_none_or(|o| b.start >= o.end) {
            outer.push(b);
        }
    }
    Ok((toks, outer))
}

const MAX_DEPTH: usize = 64;

/// Tokenizes from `start`; with `in_subst`, stops after the `)` closing a
/// `$(` and returns the offset after it.
fn tokenize_from(
    s: &str,
    start: usize,
    in_subst: bool,
    depth: usize,
    subs: &mut Vec<Substitution>,
) -> Result<(Vec<Tok>, usize), Unsupported> {
    if depth > MAX_DEPTH {
        return Err(Unsupported("nesting too deep"));
    }
    let b = s.as_bytes();
    let mut toks = Vec::new();
    let mut parens = 0usize;
    let mut i = start;
    while i < b.len() {
        let c = b[i];
        let op = |len: usize| Tok {
            kind: TokKind::Op,
            start: i,
            end: i + len,
        };
        let redirect = |len: usize| Tok {
            kind: TokKind::Redirect,
            start: i,
            end: i + len,
        };
        let next = b.get(i + 1).copied();
        let tok = match c {
            b' ' | b'\t' => {
                i += 1;
                continue;
            }
            b'\n' => op(1),
            b'#' => {
                if in_subst {
                    return Err(Unsupported("comment inside a command substitution"));
                }
                let end = s[i..].find('\n').map_or(s.len(), |n| i + n);
                Tok {
                    kind: TokKind::Comment,
                    start: i,
                    end,
                }
            }
            b';' => match next {
                Some(b';') if b.get(i + 2) == Some(&b'&') => {
                    return Err(Unsupported("bash's `;;&` case terminator"))
                }
                Some(b'&') => return Err(Unsupported("bash's `;&` case terminator")),
                Some(b';') if in_subst => {
                    return Err(Unsupported("`case` inside a command substitution"))
                }
                Some(b';') => op(2),
                _ => op(1),
            },
            b'&' => match next {
                Some(b'&') => op(2),
                _ if in_subst => {
                    return Err(Unsupported(
                        "a background job inside a command substitution",
                    ))
                }
                Some(b'>') if b.get(i + 2) == Some(&b'>') => redirect(3),
                Some(b'>') => redirect(2),
                _ => op(1),
            },
            b'|' => match next {
                Some(b'|') | Some(b'&') => op(2),
                _ => op(1),
            },
            b'(' if next == Some(b'(') => Tok {
                kind: TokKind::Arith,
                start: i,
                end: arith::command_end(s, i)?,
            },
            b'(' => {
                parens += 1;
                op(1)
            }
            b')' => {
                if in_subst && parens == 0 {
                    return Ok((toks, i + 1));
                }
                parens = parens.saturating_sub(1);
                op(1)
            }
            b'<' | b'>' => redirect(redirect_len(b, i)?),
            _ => {
                let end = scan_word(s, i, depth, subs)?;
                let word = Tok {
                    kind: TokKind::Word,
                    start: i,
                    end,
                };
                // An io-number: digits directly followed by a redirection.
                if s[i..end].bytes().all(|d| d.is_ascii_digit())
                    && matches!(b.get(end), Some(b'<' | b'>'))
                {
                    let len = redirect_len(b, end)?;
                    Tok {
                        kind: TokKind::Redirect,
                        start: i,
                        end: end + len,
                    }
                } else {
                    word
                }
            }
        };
        i = tok.end;
        toks.push(tok);
    }
    if in_subst {
        return Err(Unsupported("unterminated command substitution"));
    }
    Ok((toks, i))
}

fn redirect_len(b: &[u8], i: usize) -> Result<usize, Unsupported> {
    let rest = &b[i..];
    if rest.starts_with(b"<<<") {
        return Ok(3);
    }
    if rest.starts_with(b"<<") {
        return Err(Unsupported("here-documents"));
    }
    for two in [&b"<&"[..], b"<>", b">>", b">&", b">|"] {
        if rest.starts_with(two) {
            return Ok(2);
        }
    }
    Ok(1)
}

/// The end of the word starting at `i`.
fn scan_word(
    s: &str,
    mut i: usize,
    depth: usize,
    subs: &mut Vec<Substitution>,
) -> Result<usize, Unsupported> {
    let b = s.as_bytes();
    while i < b.len() {
        match b[i] {
            c if is_meta(c) => break,
            b'\\' => i = skip_escape(s, i)?,
            b'\'' => i = scan_single(s, i)?,
            b'"' => i = scan_double(s, i, depth, subs)?,
            b'`' => i = scan_backtick(s, i, subs)?,
            b'$' => i = scan_dollar(s, i, depth, subs)?,
            _ => i += char_len(s, i),
        }
    }
    Ok(i)
}

fn skip_escape(s: &str, i: usize) -> Result<usize, Unsupported> {
    if i + 1 >= s.len() {
        return Err(Unsupported("a trailing backslash"));
    }
    Ok(i + 1 + char_len(s, i + 1))
}

fn scan_single(s: &str, i: usize) -> Result<usize, Unsupported> {
    match s[i + 1..].find('\'') {
        Some(n) => Ok(i + 1 + n + 1),
        None => Err(Unsupported("an unterminated single quote")),
    }
}

fn scan_double(
    s: &str,
    mut i: usize,
    depth: usize,
    subs: &mut Vec<Substitution>,
) -> Result<usize, Unsupported> {
    let b = s.as_bytes();
    i += 1;
    while i < b.len() {
        match b[i] {
            b'"' => return Ok(i + 1),
            b'\\' => i = skip_escape(s, i)?,
            b'`' => i = scan_backtick(s, i, subs)?,
            b'$' => i = scan_dollar(s, i, depth, subs)?,
            _ => i += char_len(s, i),
        }
    }
    Err(Unsupported("an unterminated double quote"))
}

fn scan_backtick(
    s: &str,
    mut i: usize,
    subs: &mut Vec<Substitution>,
) -> Result<usize, Unsupported> {
    let b = s.as_bytes();
    i += 1;
    let start = i;
    while i < b.len() {
        match b[i] {
            b'`' => {
                subs.push(Substitution {
                    start,
                    end: i,
                    backquoted: true,
                });
                return Ok(i + 1);
            }
            b'&' if b.get(i + 1) != Some(&b'&') && (i == 0 || b[i - 1] != b'&') => {
                return Err(Unsupported("a background job inside backquotes"));
            }
            b'\\' => i = skip_escape(s, i)?,
            _ => i += char_len(s, i),
        }
    }
    Err(Unsupported("an unterminated backquote"))
}

fn scan_dollar(
    s: &str,
    i: usize,
    depth: usize,
    subs: &mut Vec<Substitution>,
) -> Result<usize, Unsupported> {
    if depth > MAX_DEPTH {
        return Err(Unsupported("nesting too deep"));
    }
    let b = s.as_bytes();
    match b.get(i + 1) {
        Some(b'(') if b.get(i + 2) == Some(&b'(') => scan_arith(s, i + 3, depth, subs),
        Some(b'(') => {
            let (inner, end) = tokenize_from(s, i + 2, true, depth + 1, subs)?;
            subs.push(Substitution {
                start: i + 2,
                end: end - 1,
                backquoted: false,
            });
            if inner
                .iter()
                .any(|t| t.kind == TokKind::Word && matches!(t.text(s), "case" | "esac"))
            {
                return Err(Unsupported("`case` inside a command substitution"));
            }
            Ok(end)
        }
        Some(b'{') => scan_brace(s, i + 2, depth, subs),
        // bash/dash-0.5.12 `$'…'`: backslash escapes a quote inside, unlike '…'.
        Some(b'\'') => Err(Unsupported("`$'…'` quoting")),
        _ => Ok(i + 1),
    }
}

/// The end of an arithmetic expansion `$(( … ))` whose text starts at `i`;
/// substitutions inside are read like those of a word.
fn scan_arith(
    s: &str,
    mut i: usize,
    depth: usize,
    subs: &mut Vec<Substitution>,
) -> Result<usize, Unsupported> {
    let b = s.as_bytes();
    let mut open = 2usize;
    while i < b.len() {
        match b[i] {
            b'$' => {
                i = scan_dollar(s, i, depth + 1, subs)?;
                continue;
            }
            b'(' => open += 1,
            b')' => {
                open -= 1;
                if open == 0 {
                    return Ok(i + 1);
                }
            }
            b'\'' | b'"' | b'`' | b'\\' => return Err(Unsupported("quotes inside arithmetic")),
            _ => {}
        }
        i += char_len(s, i);
    }
    Err(Unsupported("unterminated arithmetic expansion"))
}

fn scan_brace(
    s: &str,
    mut i: usize,
    depth: usize,
    subs: &mut Vec<Substitution>,
) -> Result<usize, Unsupported> {
    let b = s.as_bytes();
    while i < b.len() {
        match b[i] {
            b'}' => return Ok(i + 1),
            b'\\' => i = skip_escape(s, i)?,
            b'\'' => i = scan_single(s, i)?,
            b'"' => i = scan_double(s, i, depth, subs)?,
            b'`' => i = scan_backtick(s, i, subs)?,
            b'$' => i = scan_dollar(s, i, depth + 1, subs)?,
            _ => i += char_len(s, i),
        }
    }
    Err(Unsupported("an unterminated `${`"))
}
