//! Shell-word processing equal to BuildKit's `frontend/dockerfile/shell` lexer.
//!
//! Quoting, escapes, `$VAR`/`${VAR}` substitution with every modifier BuildKit
//! knows (`:-`, `-`, `:+`, `+`, `:?`, `?`, `#`, `##`, `%`, `%%`, `/`, `//`) and
//! word splitting. Pure functions of (text, environment, options); no I/O.
//!
//! The goal is to give exactly BuildKit's answer — including its error
//! messages and its oddities — for every input, because the optimizer must
//! not change what a Dockerfile means. The reference is `lex.go` of
//! moby/buildkit (vectors from commit 73ed6825 live in
//! `tests/data/shell/`). Behaviour a shell user might not expect, kept on
//! purpose:
//!
//! * **Characters.** BuildKit reads the word with Go's `text/scanner`, which
//!   drops one byte order mark (U+FEFF) at the very start of the word (and of
//!   each `#`/`%`/`/` pattern). Invalid UTF-8 cannot reach this API (it takes
//!   `&str`); [`decode_utf8_like_go`] turns raw bytes into the characters Go
//!   would see (one U+FFFD per bad byte).
//! * **Names.** `$` followed by Go letters, digits and `_` (Unicode, not just
//!   ASCII: `$한국어` is a name) reads a variable; a leading digit reads a
//!   run of digits only (`$1x` is `$1` then `x`); one of `@ * # ? - $ ! 0`
//!   is a one-character special parameter. They are never set unless the
//!   environment sets them, and they are recorded as matched/unmatched like
//!   any name. A `$` before anything else is literal.
//! * **Quotes and escapes.** Single quotes are literal; in double quotes the
//!   escape character escapes only `"`, `$` and itself and otherwise stays.
//!   An escape at the end of the word is dropped. `raw_quotes` keeps the
//!   quote characters, `raw_escapes` the escape characters (inside double
//!   quotes an escape before an ordinary character is then written twice,
//!   as BuildKit does). `skip_process_quotes` makes quotes ordinary.
//! * **Modifiers.** The word after a modifier is expanded before the
//!   modifier is validated, so `${X:=y}` fails with `unsupported modifier
//!   (:=) in substitution` only once `y` was read; `${X:#p}` and `${X:%p}`
//!   fail at once. The word of `#`, `%`, `/` and `//` keeps its escape
//!   characters (the pattern syntax needs them); `##`/`%%` are recognised on
//!   the expanded word, so `${X#$Y}` with `Y=#a` trims greedily. An error
//!   inside a modifier word that ends the text is reported as a missing `}`
//!   (or `/`). When the text ends right after `${NAME`, the message shows
//!   the end as U+FFFD: `unsupported modifier (\u{FFFD}) in substitution`.
//! * **Patterns** follow Go's regexp semantics (details in `pattern.rs`):
//!   `*` and `?` do not match newlines, `$0` in a `//` replacement is the
//!   match and `$$` a dollar, and error messages show the reversed pattern
//!   for `%`/`%%`.
//! * **`skip_unset_env`** writes an unset variable back as written, with its
//!   modifier word already expanded — and `${X//p/r}` comes back as
//!   `${X/p/r}`, as in BuildKit. Unsupported modifiers on unset variables
//!   are then not reported.
//! * **Heredocs.** `<<` plus the tabs, CRs and spaces after it form one
//!   unsplittable piece, so `cat << EOF` splits into `cat` and `<< EOF`.
//! * **Word splitting** (`process_words`) happens on Go's `unicode.IsSpace`
//!   characters of unquoted text and of `$` expansions; quoted and escaped
//!   characters never split; an empty quoted string does not make a word.
//!   BuildKit keeps the word in progress in one buffer shared by all nesting
//!   levels and clears it whenever a `${X<modifier>...}` word starts, so
//!   `ab${X:-c}d` splits into the single word `cd` (its text, from
//!   `process_word`, is still `abcd`). That bug is mirrored.
//! * **Errors** read `failed to process "<word>": <reason>`, the word quoted
//!   by Go's `%q` ([`go_quote`]).
//!
//! Not mirrored: Go grows its stack without limit, so BuildKit accepts any
//! nesting depth of `${X:-${Y:-...}}`; this lexer refuses more than
//! [`MAX_NESTING`] levels with an error instead of overflowing the stack.
//! Go's regexp package also refuses some patterns of a few million
//! characters (`error parsing regexp: expression too large`); here any
//! pattern works.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::hash::BuildHasher;

mod lexer;
mod pattern;
mod quote;
mod unicode;
mod unicode_tables;

pub use lexer::MAX_NESTING;
pub use quote::{decode_utf8_like_go, go_atoi, go_quote};

/// Where variable values come from. BuildKit's `EnvGetter`.
pub trait Env {
    /// The value of `name`, or `None` when it is not set (set-but-empty is `Some("")`).
    fn get(&self, name: &str) -> Option<&str>;
}

/// An environment with no variables.
pub struct EmptyEnv;

impl Env for EmptyEnv {
    fn get(&self, _name: &str) -> Option<&str> {
        None
    }
}

/// A simple owned environment (names are case-sensitive, as on Linux).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct MapEnv {
    vars: BTreeMap<String, String>,
}

impl MapEnv {
    /// An empty environment.
    pub fn new() -> Self {
        MapEnv::default()
    }

    /// BuildKit's `EnvsFromSlice`: each entry is `NAME=value`, split at the
    /// first `=`; an entry without `=` sets NAME to the empty string; later
    /// entries win.
    pub fn from_assignments<I, S>(assignments: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        let mut env = MapEnv::new();
        for assignment in assignments {
            let assignment = assignment.as_ref();
            let (name, value) = assignment.split_once('=').unwrap_or((assignment, ""));
            env.set(name, value);
        }
        env
    }

    /// Sets (or replaces) a variable.
    pub fn set(&mut self, name: impl Into<String>, value: impl Into<String>) {
        self.vars.insert(name.into(), value.into());
    }

    /// Removes a variable.
    pub fn unset(&mut self, name: &str) {
        self.vars.remove(name);
    }

    /// The variables, sorted by name.
    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.vars
            .iter()
            .map(|(name, value)| (name.as_str(), value.as_str()))
    }
}

impl<K: Into<String>, V: Into<String>> FromIterator<(K, V)> for MapEnv {
    fn from_iter<I: IntoIterator<Item = (K, V)>>(pairs: I) -> Self {
        let mut env = MapEnv::new();
        for (name, value) in pairs {
            env.set(name, value);
        }
        env
    }
}

impl Env for MapEnv {
    fn get(&self, name: &str) -> Option<&str> {
        self.vars.get(name).map(String::as_str)
    }
}

impl Env for BTreeMap<String, String> {
    fn get(&self, name: &str) -> Option<&str> {
        BTreeMap::get(self, name).map(String::as_str)
    }
}

impl<S: BuildHasher> Env for HashMap<String, String, S> {
    fn get(&self, name: &str) -> Option<&str> {
        HashMap::get(self, name).map(String::as_str)
    }
}

impl<E: Env + ?Sized> Env for &E {
    fn get(&self, name: &str) -> Option<&str> {
        (**self).get(name)
    }
}

/// Options of the lexer; the field names follow BuildKit's `Lex`.
#[derive(Clone, Debug)]
pub struct Lexer {
    /// The escape character: `\\` or `` ` `` (from the `# escape=` directive).
    pub escape: char,
    /// Keep quote characters in the output (used for heredoc delimiter detection).
    pub raw_quotes: bool,
    /// Keep escape characters in the output.
    pub raw_escapes: bool,
    /// Do not process quotes at all (COPY/ADD heredoc bodies).
    pub skip_process_quotes: bool,
    /// Leave `$VAR` untouched when VAR is not set (RUN vertex names).
    pub skip_unset_env: bool,
}

/// The outcome of expanding one word.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Expansion {
    /// The word with quotes processed and variables substituted (no splitting).
    pub result: String,
    /// Names of variables referenced that were set.
    pub matched: BTreeSet<String>,
    /// Names of variables referenced that were not set.
    pub unmatched: BTreeSet<String>,
}

/// An expansion failure. `Display` matches BuildKit's message text.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct ShellError {
    pub message: String,
}

impl Default for Lexer {
    /// A lexer with the default escape character `\`.
    fn default() -> Self {
        Lexer::new('\\')
    }
}

impl Lexer {
    /// A lexer with default options and the given escape character.
    pub fn new(escape: char) -> Self {
        Lexer {
            escape,
            raw_quotes: false,
            raw_escapes: false,
            skip_process_quotes: false,
            skip_unset_env: false,
        }
    }

    /// BuildKit's `ProcessWord`: expand without word splitting.
    pub fn process_word(&self, word: &str, env: &dyn Env) -> Result<String, ShellError> {
        self.process_word_with_matches(word, env).map(|e| e.result)
    }

    /// BuildKit's `ProcessWordWithMatches`.
    pub fn process_word_with_matches(
        &self,
        word: &str,
        env: &dyn Env,
    ) -> Result<Expansion, ShellError> {
        let outcome = lexer::process(self, word, env)?;
        Ok(Expansion {
            result: outcome.result,
            matched: outcome.matched,
            unmatched: outcome.unmatched,
        })
    }

    /// BuildKit's `ProcessWords`: expand, then split into words outside quotes.
    pub fn process_words(&self, word: &str, env: &dyn Env) -> Result<Vec<String>, ShellError> {
        lexer::process(self, word, env).map(|outcome| outcome.words)
    }
}

#[cfg(test)]
mod tests;
