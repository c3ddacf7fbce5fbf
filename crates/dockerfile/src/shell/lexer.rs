//! The word processor: one left-to-right pass over the characters of a word,
//! producing the expanded text, the split words and the variables consulted.
//!
//! The structure follows BuildKit's `shellWord` so that every quirk lands in
//! the same place; see the module documentation of [`super`] for the list.

use std::collections::BTreeSet;
use std::iter::Peekable;
use std::mem;
use std::str::Chars;

use super::pattern::{self, Star};
use super::unicode::{is_digit, is_letter, is_space};
use super::{go_quote, Env, Lexer, ShellError};

/// How deeply `${VAR:-...}`-style words may nest inside each other.
///
/// BuildKit has no limit (Go stacks grow on demand); here every level costs a
/// few native stack frames, so absurd nesting is refused with an error rather
/// than overflowing the stack of whatever thread runs the lexer.
pub const MAX_NESTING: usize = 100;

const MISSING_BRACE: &str = "syntax error: missing '}'";
const MISSING_SLASH: &str = "syntax error: missing '/' in ${}";
const BAD_SUBSTITUTION: &str = "syntax error: bad substitution";
const UNTERMINATED_SINGLE_QUOTE: &str =
    "unexpected end of statement while looking for matching single-quote";
const UNTERMINATED_DOUBLE_QUOTE: &str =
    "unexpected end of statement while looking for matching double-quote";

/// Everything one run of the lexer produces.
pub(crate) struct Outcome {
    pub result: String,
    pub words: Vec<String>,
    pub matched: BTreeSet<String>,
    pub unmatched: BTreeSet<String>,
}

/// Expands `source`; errors carry BuildKit's full message.
pub(crate) fn process(lexer: &Lexer, source: &str, env: &dyn Env) -> Result<Outcome, ShellError> {
    let mut processor = Processor::new(lexer, source, env);
    match processor.process_until(None, lexer.raw_escapes) {
        Ok((result, words)) => Ok(Outcome {
            result,
            words,
            matched: processor.matched,
            unmatched: processor.unmatched,
        }),
        Err(reason) => Err(ShellError {
            message: format!("failed to process {}: {reason}", go_quote(source)),
        }),
    }
}

/// The character source, behaving like Go's `text/scanner` used only through
/// `Peek` and `Next`: one character of look-ahead, `None` at the end, and a
/// byte order mark at the very start is skipped.
struct Scanner<'a> {
    chars: Peekable<Chars<'a>>,
}

impl<'a> Scanner<'a> {
    fn new(text: &'a str) -> Self {
        let text = text.strip_prefix('\u{FEFF}').unwrap_or(text);
        Scanner {
            chars: text.chars().peekable(),
        }
    }

    fn peek(&mut self) -> Option<char> {
        self.chars.peek().copied()
    }

    fn next(&mut self) -> Option<char> {
        self.chars.next()
    }
}

/// The words being split out of one (sub-)word.
///
/// The word in progress lives in [`Processor::word_buffer`], which is shared
/// by all nesting levels, exactly like BuildKit's `shellWord.wordsBuffer`.
#[derive(Default)]
struct Words {
    done: Vec<String>,
    in_word: bool,
}

impl Words {
    /// A character that splits words when it is a space.
    fn push_char(&mut self, buffer: &mut String, c: char) {
        if !is_space(c) {
            self.push_raw_char(buffer, c);
        } else if self.in_word && !buffer.is_empty() {
            self.done.push(mem::take(buffer));
            self.in_word = false;
        }
    }

    /// A character that never splits (quoted or escaped).
    fn push_raw_char(&mut self, buffer: &mut String, c: char) {
        buffer.push(c);
        self.in_word = true;
    }

    fn push_str(&mut self, buffer: &mut String, text: &str) {
        for c in text.chars() {
            self.push_char(buffer, c);
        }
    }

    fn push_raw_str(&mut self, buffer: &mut String, text: &str) {
        buffer.push_str(text);
        self.in_word = true;
    }

    fn finish(mut self, buffer: &mut String) -> Vec<String> {
        if !buffer.is_empty() {
            self.done.push(mem::take(buffer));
        }
        self.done
    }
}

/// The characters with their own processing function in BuildKit's
/// `processStopOn`.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Special {
    Dollar,
    Heredoc,
    SingleQuote,
    DoubleQuote,
}

/// A `${NAME<op>word}` modifier: `op` is the character after the name (or
/// after `:`), `None` when the text ended there.
#[derive(Clone, Copy)]
struct Modifier {
    colon: bool,
    op: Option<char>,
}

impl Modifier {
    /// The modifier as BuildKit prints it; its end-of-text rune shows as U+FFFD.
    fn text(self) -> String {
        let op = self.op.unwrap_or(char::REPLACEMENT_CHARACTER);
        if self.colon {
            format!(":{op}")
        } else {
            op.to_string()
        }
    }

    fn unsupported(self) -> String {
        unsupported_modifier(&self.text())
    }
}

fn unsupported_modifier(text: &str) -> String {
    format!("unsupported modifier ({text}) in substitution")
}

/// BuildKit's special parameters (`$@`, `$*`, ...), which are one character
/// long. `0` is listed but digits are read as a positional parameter first.
fn is_special_param(c: char) -> bool {
    matches!(c, '@' | '*' | '#' | '?' | '-' | '$' | '!' | '0')
}

/// The whitespace BuildKit allows between `<<` and a heredoc delimiter.
fn is_heredoc_space(c: char) -> bool {
    matches!(c, '\t' | '\r' | ' ')
}

struct Processor<'a> {
    lexer: &'a Lexer,
    env: &'a dyn Env,
    scanner: Scanner<'a>,
    /// Whether escape characters are kept; nested words override it.
    raw_escapes: bool,
    /// The word in progress, shared by all nesting levels (see [`Words`]).
    word_buffer: String,
    /// Current `${...}` nesting depth.
    depth: usize,
    matched: BTreeSet<String>,
    unmatched: BTreeSet<String>,
}

impl<'a> Processor<'a> {
    fn new(lexer: &'a Lexer, source: &'a str, env: &'a dyn Env) -> Self {
        Processor {
            lexer,
            env,
            scanner: Scanner::new(source),
            raw_escapes: lexer.raw_escapes,
            word_buffer: String::new(),
            depth: 0,
            matched: BTreeSet::new(),
            unmatched: BTreeSet::new(),
        }
    }

    /// BuildKit's `processStopOn`: reads up to (and consumes) `stop`, or to
    /// the end when `stop` is None, with `raw_escapes` in force meanwhile.
    fn process_until(
        &mut self,
        stop: Option<char>,
        raw_escapes: bool,
    ) -> Result<(String, Vec<String>), String> {
        let saved = mem::replace(&mut self.raw_escapes, raw_escapes);
        let outcome = self.read_word(stop);
        self.raw_escapes = saved;
        outcome
    }

    fn read_word(&mut self, stop: Option<char>) -> Result<(String, Vec<String>), String> {
        let mut result = String::new();
        let mut words = Words::default();
        // BuildKit resets the shared word buffer here, so a nested word wipes
        // the part of the enclosing word that was not split off yet.
        self.word_buffer.clear();
        while let Some(c) = self.scanner.peek() {
            if Some(c) == stop {
                self.scanner.next();
                return Ok((result, words.finish(&mut self.word_buffer)));
            }
            if let Some(special) = self.special(c) {
                let piece = self.process_special(special)?;
                result.push_str(&piece);
                if special == Special::Dollar {
                    words.push_str(&mut self.word_buffer, &piece);
                } else {
                    words.push_raw_str(&mut self.word_buffer, &piece);
                }
                continue;
            }
            self.scanner.next();
            if !self.read_ordinary(c, &mut result, &mut words) {
                break;
            }
        }
        match stop {
            Some(stop) => Err(format!(
                "unexpected end of statement while looking for matching {stop}"
            )),
            None => Ok((result, words.finish(&mut self.word_buffer))),
        }
    }

    /// Handles `c` (already consumed), which has no special function: an
    /// escape character protects the next character (which then never splits
    /// words). Returns false when an escape was the last character; it is
    /// dropped, and the text has ended.
    fn read_ordinary(&mut self, c: char, result: &mut String, words: &mut Words) -> bool {
        if c != self.lexer.escape {
            words.push_char(&mut self.word_buffer, c);
            result.push(c);
            return true;
        }
        if self.raw_escapes {
            words.push_raw_char(&mut self.word_buffer, c);
            result.push(c);
        }
        let Some(escaped) = self.scanner.next() else {
            return false;
        };
        words.push_raw_char(&mut self.word_buffer, escaped);
        result.push(escaped);
        true
    }

    fn special(&self, c: char) -> Option<Special> {
        match c {
            '$' => Some(Special::Dollar),
            '<' => Some(Special::Heredoc),
            '\'' if !self.lexer.skip_process_quotes => Some(Special::SingleQuote),
            '"' if !self.lexer.skip_process_quotes => Some(Special::DoubleQuote),
            _ => None,
        }
    }

    fn process_special(&mut self, special: Special) -> Result<String, String> {
        match special {
            Special::Dollar => self.process_dollar(),
            Special::Heredoc => Ok(self.process_possible_heredoc()),
            Special::SingleQuote => self.process_single_quote(),
            Special::DoubleQuote => self.process_double_quote(),
        }
    }

    /// A nested word of a `${...}` form, ending at `stop`. On failure at the
    /// end of the text BuildKit reports `at_end` instead of the cause.
    fn nested_word(
        &mut self,
        stop: char,
        raw_escapes: bool,
        at_end: &str,
    ) -> Result<String, String> {
        if self.depth >= MAX_NESTING {
            return Err(format!(
                "too many nested ${{...}} expressions (the limit is {MAX_NESTING})"
            ));
        }
        self.depth += 1;
        let outcome = self.process_until(Some(stop), raw_escapes);
        self.depth -= 1;
        match outcome {
            Ok((word, _)) => Ok(word),
            Err(_) if self.scanner.peek().is_none() => Err(at_end.to_owned()),
            Err(reason) => Err(reason),
        }
    }

    /// Everything up to the closing `'` is literal; nothing escapes a `'`.
    fn process_single_quote(&mut self) -> Result<String, String> {
        self.scanner.next();
        let mut out = String::new();
        if self.lexer.raw_quotes {
            out.push('\'');
        }
        loop {
            match self.scanner.next() {
                None => return Err(UNTERMINATED_SINGLE_QUOTE.to_owned()),
                Some('\'') => break,
                Some(c) => out.push(c),
            }
        }
        if self.lexer.raw_quotes {
            out.push('\'');
        }
        Ok(out)
    }

    /// Literal up to the closing `"`, except `$` expansions; the escape
    /// character escapes only `"`, `$` and itself and stays before anything
    /// else (with raw escapes on, it is then written twice).
    fn process_double_quote(&mut self) -> Result<String, String> {
        self.scanner.next();
        let mut out = String::new();
        if self.lexer.raw_quotes {
            out.push('"');
        }
        loop {
            match self.scanner.peek() {
                None => return Err(UNTERMINATED_DOUBLE_QUOTE.to_owned()),
                Some('"') => {
                    self.scanner.next();
                    break;
                }
                Some('$') => {
                    let value = self.process_dollar()?;
                    out.push_str(&value);
                }
                Some(c) => {
                    self.scanner.next();
                    let written = self.double_quoted_char(c, &mut out);
                    out.push(written);
                }
            }
        }
        if self.lexer.raw_quotes {
            out.push('"');
        }
        Ok(out)
    }

    /// The character to write for `c` (already consumed) inside double quotes.
    fn double_quoted_char(&mut self, c: char, out: &mut String) -> char {
        let escape = self.lexer.escape;
        if c != escape {
            return c;
        }
        if self.raw_escapes {
            out.push(c);
        }
        match self.scanner.peek() {
            Some(next) if next == '"' || next == '$' || next == escape => {
                self.scanner.next();
                next
            }
            _ => c,
        }
    }

    /// `$NAME`, `${NAME}` and `${NAME<modifier>...}`; a `$` not followed by a
    /// name is literal.
    fn process_dollar(&mut self) -> Result<String, String> {
        self.scanner.next();
        if self.scanner.peek() == Some('{') {
            self.scanner.next();
            return self.process_braced();
        }
        let name = self.process_name();
        if name.is_empty() {
            return Ok("$".to_owned());
        }
        Ok(self.plain_value(&name, || format!("${name}")))
    }

    /// `${NAME}` and `${NAME<modifier>...}`, after the `${`.
    fn process_braced(&mut self) -> Result<String, String> {
        match self.scanner.peek() {
            None => return Err(MISSING_BRACE.to_owned()),
            Some('{' | '}' | ':') => return Err(BAD_SUBSTITUTION.to_owned()),
            Some(_) => {}
        }
        let name = self.process_name();
        match self.scanner.next() {
            Some('}') => Ok(self.plain_value(&name, || format!("${{{name}}}"))),
            Some(':') => {
                let op = self.scanner.next();
                self.process_modifier(&name, Modifier { colon: true, op })
            }
            Some(op @ ('+' | '-' | '?' | '#' | '%')) => self.process_modifier(
                &name,
                Modifier {
                    colon: false,
                    op: Some(op),
                },
            ),
            Some('/') => self.process_replace(&name),
            op => Err(Modifier { colon: false, op }.unsupported()),
        }
    }

    /// The value of `$NAME` or `${NAME}`: empty when unset, or the reference
    /// as written when `skip_unset_env` is on.
    fn plain_value(&mut self, name: &str, as_written: impl FnOnce() -> String) -> String {
        match self.lookup(name) {
            Some(value) => value.to_owned(),
            None if self.lexer.skip_unset_env => as_written(),
            None => String::new(),
        }
    }

    /// `${NAME:-w}`, `${NAME-w}`, `${NAME:+w}`, `${NAME+w}`, `${NAME:?w}`,
    /// `${NAME?w}`, `${NAME#p}`, `${NAME##p}`, `${NAME%p}`, `${NAME%%p}`.
    ///
    /// As in BuildKit the word is read (and expanded) before the modifier is
    /// checked, so `${NAME:=w}` fails only after `w` was read, and not at all
    /// when `skip_unset_env` reproduces an unset variable's text.
    fn process_modifier(&mut self, name: &str, modifier: Modifier) -> Result<String, String> {
        let trims = matches!(modifier.op, Some('#' | '%'));
        if modifier.colon && trims {
            return Err(modifier.unsupported());
        }
        let word = self.nested_word('}', trims, MISSING_BRACE)?;
        let value = self.lookup(name);
        if value.is_none() && self.lexer.skip_unset_env {
            return Ok(format!("${{{name}{}{word}}}", modifier.text()));
        }
        apply_modifier(name, modifier, word, value)
    }

    /// `${NAME/pattern/replacement}` and `${NAME//pattern/replacement}`.
    fn process_replace(&mut self, name: &str) -> Result<String, String> {
        let all = self.scanner.peek() == Some('/');
        if all {
            self.scanner.next();
        }
        let pattern = self.nested_word('/', true, MISSING_SLASH)?;
        let replacement = self.nested_word('}', true, MISSING_BRACE)?;
        let value = self.lookup(name);
        if value.is_none() && self.lexer.skip_unset_env {
            // BuildKit writes a single `/` back even for `//`.
            return Ok(format!("${{{name}/{pattern}/{replacement}}}"));
        }
        pattern::replace(&pattern, value.unwrap_or_default(), &replacement, all)
    }

    /// A variable name: a run of digits (positional parameter), one special
    /// parameter character, or Go letters, digits and `_`. May be empty.
    fn process_name(&mut self) -> String {
        let mut name = String::new();
        while let Some(c) = self.scanner.peek() {
            if name.is_empty() && is_digit(c) {
                while let Some(digit) = self.scanner.peek().filter(|&c| is_digit(c)) {
                    self.scanner.next();
                    name.push(digit);
                }
                return name;
            }
            if name.is_empty() && is_special_param(c) {
                self.scanner.next();
                return c.to_string();
            }
            if !is_letter(c) && !is_digit(c) && c != '_' {
                break;
            }
            self.scanner.next();
            name.push(c);
        }
        name
    }

    /// `<<` and the blanks after it form one unsplittable piece, so that
    /// `<< EOF` stays a single word for heredoc detection; a lone `<` is
    /// ordinary text.
    fn process_possible_heredoc(&mut self) -> String {
        self.scanner.next();
        if self.scanner.peek() != Some('<') {
            return "<".to_owned();
        }
        self.scanner.next();
        let mut out = "<<".to_owned();
        while let Some(c) = self.scanner.peek().filter(|&c| is_heredoc_space(c)) {
            self.scanner.next();
            out.push(c);
        }
        out
    }

    /// Looks `name` up and records it as matched or unmatched.
    fn lookup(&mut self, name: &str) -> Option<&'a str> {
        let env: &'a dyn Env = self.env;
        let value = env.get(name);
        let seen = if value.is_some() {
            &mut self.matched
        } else {
            &mut self.unmatched
        };
        if !seen.contains(name) {
            seen.insert(name.to_owned());
        }
        value
    }
}

/// Applies a `-`, `+`, `?`, `#` or `%` modifier (with or without `:`) to
/// the value of `name` (None when unset), given the expanded `word`.
fn apply_modifier(
    name: &str,
    modifier: Modifier,
    word: String,
    value: Option<&str>,
) -> Result<String, String> {
    let unset_or_null = match value {
        None => true,
        Some(value) => modifier.colon && value.is_empty(),
    };
    match modifier.op {
        Some('-') if unset_or_null => Ok(word),
        Some('-') => Ok(value.unwrap_or_default().to_owned()),
        Some('+') if unset_or_null => Ok(String::new()),
        Some('+') => Ok(word),
        Some('?') => match value {
            None => Err(required_message(name, &word, "is not allowed to be unset")),
            Some("") if modifier.colon => {
                Err(required_message(name, &word, "is not allowed to be empty"))
            }
            Some(value) => Ok(value.to_owned()),
        },
        Some(op @ ('#' | '%')) => trim(op, &word, value.unwrap_or_default()),
        _ => Err(modifier.unsupported()),
    }
}

fn required_message(name: &str, word: &str, default: &str) -> String {
    let message = if word.is_empty() { default } else { word };
    format!("{name}: {message}")
}

/// `#`/`%` trim the shortest match, `##`/`%%` the longest: the doubled
/// character is the first character of the (already expanded) word.
fn trim(op: char, word: &str, value: &str) -> Result<String, String> {
    let (pattern, star) = match word.strip_prefix(op) {
        Some(pattern) => (pattern, Star::Longest),
        None => (word, Star::Shortest),
    };
    if op == '%' {
        pattern::trim_suffix(pattern, value, star)
    } else {
        pattern::trim_prefix(pattern, value, star)
    }
}
