//! A deliberately small, conservative reader of POSIX shell command lines.
//!
//! Passes need to know a few things about the command of a shell-form RUN:
//! where its simple commands are, which words they have, whether it starts
//! background jobs, whether a `#` starts a comment, and whether its quotes and
//! parentheses are balanced. This module answers exactly that and nothing
//! more. Whenever the text uses something it does not model (here-documents,
//! `case`, functions, `[[`, `((`, a comment inside `$(…)`, an unterminated
//! quote, a trailing backslash) it returns [`Unsupported`], and the passes
//! leave the RUN alone. Being wrong in the other direction — accepting text it
//! misreads — would let a rewrite change meaning, so every construct accepted
//! here is one whose token boundaries are certain in sh, dash, ash and bash.

/// Why a command line was not analysed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Unsupported(pub &'static str);

mod edits;
mod script;
mod tokens;
mod words;

pub(crate) use edits::{apply_edits, Edit};
pub(crate) use script::{Script, SimpleCmd};
pub(crate) use tokens::TokKind;
pub(crate) use words::{literal, path_pattern, PathPattern};

#[cfg(test)]
mod tests;
