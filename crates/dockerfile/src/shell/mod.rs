//! Shell-word processing equal to BuildKit's `frontend/dockerfile/shell` lexer.
//!
//! Quoting, escapes, `$VAR`/`${VAR}` substitution with every modifier BuildKit
//! knows (`:-`, `-`, `:+`, `+`, `:?`, `?`, `#`, `##`, `%`, `%%`, `/`, `//`) and
//! word splitting. Pure functions of (text, environment, options); no I/O.

use std::collections::BTreeSet;

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
    pub fn process_word_with_matches(&self, word: &str, env: &dyn Env) -> Result<Expansion, ShellError> {
        let _ = (word, env);
        Err(ShellError { message: "shell expansion not implemented yet".into() })
    }

    /// BuildKit's `ProcessWords`: expand, then split into words outside quotes.
    pub fn process_words(&self, word: &str, env: &dyn Env) -> Result<Vec<String>, ShellError> {
        let _ = (word, env);
        Err(ShellError { message: "shell expansion not implemented yet".into() })
    }
}
