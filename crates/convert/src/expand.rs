//! Shell-word expansion as the converter needs it: against a stage's env or the global
//! ARGs read in place (no map is built per word), and without running the lexer over
//! words it would return unchanged.
//!
//! Conversion expands several words per instruction (the vertex name, every COPY
//! source, ENV keys and values, …); building a `BTreeMap` of the env for each of them
//! and lexing words like `/app` was most of the converter's work.

use std::borrow::Cow;

use dfopt_dockerfile::shell::{Env, Lexer, ShellError};
use dfopt_llb::State;

/// A stage's env (`d.state.Env()`) as the lexer reads it. A [`State`] never holds a key
/// twice (`with_env` replaces), so the first match is the value a map would hold.
pub(crate) struct StateEnv<'a>(pub(crate) &'a State);

impl Env for StateEnv<'_> {
    fn get(&self, name: &str) -> Option<&str> {
        self.0.get_env(name)
    }
}

/// BuildKit's `metaArgsToMap` read in place: a declared-without-value arg is `""`, and
/// of two entries with one key the later wins.
pub(crate) struct MetaArgs<'a>(pub(crate) &'a [MetaArg]);

/// One of BuildKit's `optMetaArgs`: a key (the predefined platform args' names are
/// static, not allocated per conversion) and its value, if any.
pub(crate) type MetaArg = (Cow<'static, str>, Option<String>);

impl Env for MetaArgs<'_> {
    fn get(&self, name: &str) -> Option<&str> {
        self.0
            .iter()
            .rev()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_deref().unwrap_or(""))
    }
}

/// How many leading bytes of `word` the lexer copies through unchanged, whatever its
/// options and env: everything before the first `$` (variables), quote, escape
/// character or `<` (heredoc markers); nothing if the word starts with a byte order
/// mark (which the lexer drops). The lexer reads a word left to right with one
/// character of look-ahead and copies such characters to its result one by one (see
/// `read_ordinary` in `dfopt_dockerfile::shell`); what it makes of the rest does not
/// depend on them (they only feed word splitting, which `ProcessWord` discards).
fn literal_prefix_len(lexer: &Lexer, word: &str) -> usize {
    if word.starts_with('\u{FEFF}') {
        return 0;
    }
    // Byte by byte through a table: every special character is ASCII, and the escape
    // is `\\` or a backquote (another one, which the parser never sets, is searched
    // as a char).
    let found = match lexer.escape {
        '\\' | '`' => {
            let escape = if lexer.escape == '`' { b'`' } else { b'\\' };
            word.bytes().position(|b| {
                MAYBE_SPECIAL[usize::from(b)] && (b == escape || !matches!(b, b'\\' | b'`'))
            })
        }
        _ => word.find(['$', '\'', '"', '<', lexer.escape]),
    };
    found.unwrap_or(word.len())
}

/// The bytes [`literal_prefix_len`] stops at: `$`, quotes, `<` and both escape
/// characters (only the lexer's own counts).
static MAYBE_SPECIAL: [bool; 256] = {
    let mut table = [false; 256];
    let mut i = 0;
    let special = b"$'\"<\\`";
    while i < special.len() {
        table[special[i] as usize] = true;
        i += 1;
    }
    table
};

/// A `$NAME` or `${NAME}` reference at the start of `s` whose name is ASCII
/// (`[A-Za-z_][A-Za-z0-9_]*`) and is not followed by a non-ASCII character (which the
/// lexer might read as part of the name): `(name, reference as written, rest)`.
/// `None` for every other use of `$` (positional and special parameters, modifiers,
/// a lone `$`), which only the lexer handles.
fn simple_reference(s: &str) -> Option<(&str, &str, &str)> {
    let b = s.as_bytes();
    let braced = b.get(1) == Some(&b'{');
    let start = if braced { 2 } else { 1 };
    let first = *b.get(start)?;
    if !(first.is_ascii_alphabetic() || first == b'_') {
        return None;
    }
    let end = start
        + b[start..]
            .iter()
            .take_while(|c| c.is_ascii_alphanumeric() || **c == b'_')
            .count();
    if b.get(end).is_some_and(|c| !c.is_ascii()) {
        return None;
    }
    if !braced {
        return Some((&s[start..end], &s[..end], &s[end..]));
    }
    if b.get(end) != Some(&b'}') {
        return None;
    }
    Some((&s[start..end], &s[..=end], &s[end + 1..]))
}

/// `ProcessWord` for words whose only special characters are simple references
/// ([`simple_reference`]), by far the most common case in instruction texts: each is
/// replaced by its value; an unset one by nothing, or kept as written with
/// `skip_unset_env`. Appends to `out` and returns `true`, or returns `false` when the
/// word needs the lexer (`out` may then hold part of the word: callers truncate it).
fn expand_simple(lexer: &Lexer, word: &str, env: &dyn Env, out: &mut String) -> bool {
    if word.starts_with('\u{FEFF}') {
        return false;
    }
    let mut rest = word;
    loop {
        let literal = literal_prefix_len(lexer, rest);
        out.push_str(&rest[..literal]);
        rest = &rest[literal..];
        if rest.is_empty() {
            return true;
        }
        if !rest.starts_with('$') {
            return false;
        }
        let Some((name, written, after)) = simple_reference(rest) else {
            return false;
        };
        match env.get(name) {
            Some(value) => out.push_str(value),
            None if lexer.skip_unset_env => out.push_str(written),
            None => {}
        }
        rest = after;
    }
}

/// `ProcessWord`. The lexer splits words as it goes, which costs an allocation per
/// word, and records every variable it looks up: words without special characters
/// or with only simple references are expanded here, and otherwise the lexer runs
/// only from the first character it could change.
pub(crate) fn process_word(lexer: &Lexer, word: &str, env: &dyn Env) -> Result<String, ShellError> {
    let literal = literal_prefix_len(lexer, word);
    if literal == word.len() {
        return Ok(word.to_owned());
    }
    let mut out = String::with_capacity(word.len());
    if expand_simple(lexer, word, env, &mut out) {
        return Ok(out);
    }
    out.clear();
    lex_word(lexer, word, literal, env, out)
}

/// [`process_word`] appended to `out` (which, on error, is left as it was): one buffer
/// for a vertex name and its prefix.
pub(crate) fn process_word_into(
    lexer: &Lexer,
    word: &str,
    env: &dyn Env,
    out: &mut String,
) -> Result<(), ShellError> {
    let literal = literal_prefix_len(lexer, word);
    if literal == word.len() {
        out.push_str(word);
        return Ok(());
    }
    let start = out.len();
    if expand_simple(lexer, word, env, out) {
        return Ok(());
    }
    out.truncate(start);
    let expanded = lex_word(lexer, word, literal, env, String::new())?;
    out.push_str(&expanded);
    Ok(())
}

/// The lexer's `ProcessWord` of `word`, run from byte `literal` (the end of
/// [`literal_prefix_len`]) on; `buf` is an empty buffer to reuse for the result.
fn lex_word(
    lexer: &Lexer,
    word: &str,
    literal: usize,
    env: &dyn Env,
    mut buf: String,
) -> Result<String, ShellError> {
    if literal == 0 {
        return lexer.process_word(word, env);
    }
    match lexer.process_word(&word[literal..], env) {
        Ok(rest) => {
            buf.reserve(literal + rest.len());
            buf.push_str(&word[..literal]);
            buf.push_str(&rest);
            Ok(buf)
        }
        // The error message quotes the whole word.
        Err(_) => lexer.process_word(word, env),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap;

    #[test]
    fn literal_words_are_what_the_lexer_returns() {
        let env = BTreeMap::from([("A".to_owned(), "1".to_owned())]);
        let lexers = [
            Lexer::new('\\'),
            Lexer::new('`'),
            Lexer::new('é'),
            Lexer {
                raw_quotes: true,
                skip_unset_env: true,
                ..Lexer::new('\\')
            },
            Lexer {
                skip_process_quotes: true,
                ..Lexer::new('\\')
            },
        ];
        let words = [
            "",
            "/app",
            "requirements.txt ./",
            "RUN apt-get update && apt-get install -y curl",
            "a  b\tc\n d",
            "é ü 日本 \u{2028}",
            "{A} A} ${A}",
            "$A",
            "RUN echo $A/x && ${A}y $UNSET ${UNSET} $ a$",
            "$Aé $A_ ${A} ${A:-x} $1 $@ $$",
            "'$A'",
            "\"x\"",
            "a\\ b",
            "a`b",
            "<<EOF",
            "\u{FEFF}x",
            "x\u{FEFF}",
        ];
        for lexer in &lexers {
            for word in words {
                let fast = process_word(lexer, word, &env).map_err(|e| e.message);
                let slow = lexer.process_word(word, &env).map_err(|e| e.message);
                assert_eq!(fast, slow, "{word:?} with {lexer:?}");
            }
        }
    }

    /// Random words over the characters the lexer treats specially: the result (or
    /// the error message) is always the lexer's own.
    #[test]
    fn random_words_are_what_the_lexer_returns() {
        let env = BTreeMap::from([
            ("A".to_owned(), "1 2".to_owned()),
            ("B".to_owned(), String::new()),
            ("a_0".to_owned(), "$A".to_owned()),
            ("Aé".to_owned(), "x".to_owned()),
            ("1".to_owned(), "one".to_owned()),
        ]);
        let alphabet: Vec<char> = "ab AB_09$$${{}}:-+?#%@/'\"\\`<\n\t=\u{FEFF}é٣ª"
            .chars()
            .collect();
        let lexers = [
            Lexer::new('\\'),
            Lexer::new('`'),
            Lexer {
                raw_quotes: true,
                skip_unset_env: true,
                ..Lexer::new('\\')
            },
            Lexer {
                skip_process_quotes: true,
                ..Lexer::new('\\')
            },
        ];
        // A fixed linear congruential generator: the same words on every run.
        let mut seed: u64 = 0x2545_f491_4f6c_dd1d;
        let mut next = move || {
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            usize::try_from(seed >> 33).unwrap_or(0)
        };
        for _ in 0..50_000 {
            let len = next() % 14;
            let word: String = (0..len)
                .map(|_| alphabet[next() % alphabet.len()])
                .collect();
            for lexer in &lexers {
                let fast = process_word(lexer, &word, &env).map_err(|e| e.message);
                let slow = lexer.process_word(&word, &env).map_err(|e| e.message);
                assert_eq!(fast, slow, "{word:?} with {lexer:?}");
                let mut into = "x".to_owned();
                let appended = process_word_into(lexer, &word, &env, &mut into)
                    .map(|()| into.clone())
                    .map_err(|e| e.message);
                assert_eq!(appended, fast.map(|f| format!("x{f}")), "{word:?}");
                if appended.is_err() {
                    assert_eq!(into, "x");
                }
            }
        }
    }

    #[test]
    fn env_adaptors() {
        let state = State::scratch()
            .with_env("A", "1")
            .with_env("B", "2")
            .with_env("A", "3");
        assert_eq!(StateEnv(&state).get("A"), Some("3"));
        assert_eq!(StateEnv(&state).get("C"), None);
        let args = [
            (Cow::Borrowed("X"), Some("1".to_owned())),
            (Cow::Owned("Y".to_owned()), None),
            (Cow::Borrowed("X"), Some("2".to_owned())),
        ];
        assert_eq!(MetaArgs(&args).get("X"), Some("2"));
        assert_eq!(MetaArgs(&args).get("Y"), Some(""));
        assert_eq!(MetaArgs(&args).get("Z"), None);
    }
}
