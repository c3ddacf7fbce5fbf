//! The Dockerfile front end of dfopt: parser, shell words, typed instructions.
//!
//! No I/O happens here: every function takes text and returns data.
//!
//! - [`syntax`]: bytes → untyped tree (directives, continuations, heredocs),
//!   equal to BuildKit's `frontend/dockerfile/parser`.
//! - [`shell`]: shell-word expansion, equal to BuildKit's `shell` lexer.
//! - [`instructions`]: typed instructions and stages with BuildKit's validation
//!   errors.
//! - [`stages`]: the semantics of stages, one model for every consumer: ARG/ENV
//!   scoping, predefined and non-env ARGs, `DFOPT`, the default `PATH`, the
//!   stage graph.

pub mod diagnostic;
pub mod dockerignore;
#[doc(hidden)]
pub mod fuzz_support;
pub mod instructions;
pub mod shell;
pub mod span;
pub mod stages;
pub mod syntax;

pub use diagnostic::{Diagnostic, Severity};
pub use shell::{go_atoi, go_quote};
pub use span::{LineCol, LineIndex, Span};
pub use syntax::{parse, Parsed};
