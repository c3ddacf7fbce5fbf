//! A deliberately small, conservative reader of POSIX shell command lines.
//!
//! Passes need to know a few things about the command of a shell-form RUN:
//! where its simple commands are, which words they have, whether it starts
//! background jobs, whether a `#` starts a comment, and whether its quotes and
//! parentheses are balanced. This module answers exactly that and nothing
//! more. Whenever the text uses something it does not model (here-documents,
//! functions, `select`, `time`, `coproc`, bash's `;&`/`;;&` case
//! terminators, `case` inside `$(…)`, a comment inside `$(…)`, a background
//! job inside a substitution, a substitution body it cannot read (any
//! backslash inside backquotes), an unterminated quote, a trailing
//! backslash, `((` around anything but a plain arithmetic expression) it returns
//! [`Unsupported`], and the passes leave the RUN alone. Being wrong in the
//! other direction — accepting text it misreads — would let a rewrite change
//! meaning, so every construct accepted here is one whose token boundaries
//! are certain in sh, dash, ash and bash.
//!
//! What it models: simple commands with assignments and redirections; lists
//! and pipelines; subshells `( … )` and groups `{ …; }`, whose lists a
//! command can be removed from; `if`, `while`, `until` and `for`, whose
//! bodies' commands are visible but conditional; `case … esac` (`case.rs`),
//! whose clauses are read like `if` bodies and whose word and patterns are
//! not commands; bash's `[[ … ]]` as one command, read as bash reads it;
//! `(( … ))` as a command that runs nothing, accepted only in forms where
//! dash's different reading (two subshells) is as harmless (`arith.rs`).
//! Substitutions inside words (`$(…)`, backquotes, `${…}`, `$((…))`) are
//! checked for balance; the bodies of command substitutions are read as
//! command lines of their own (`substitutions.rs`), whose commands are not
//! elements of the enclosing lists. `reach.rs` says which simple commands
//! surely ran when the whole command line succeeded.
//!
//! - `tokens.rs` splits the text into words, operators, redirections and
//!   comments;
//! - `parser.rs` and `case.rs` find the simple commands and the lists they
//!   belong to ([`Script`]);
//! - `words.rs` gives static values of words and path patterns;
//! - `edits.rs` edits the text, including removing simple commands.

/// Why a command line was not analysed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Unsupported(pub &'static str);

mod arith;
mod case;
mod edits;
mod parser;
mod reach;
mod script;
mod substitutions;
mod tokens;
mod words;

pub(crate) use edits::{apply_edits, Edit};
pub(crate) use script::{Script, SimpleCmd};
pub(crate) use tokens::TokKind;
pub(crate) use words::{literal, path_pattern, PathPattern};

#[cfg(test)]
mod tests;
