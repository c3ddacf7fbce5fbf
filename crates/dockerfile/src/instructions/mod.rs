//! Typed instructions and their validation, as BuildKit's `instructions` package.
//!
//! [`parse_dockerfile`] turns the syntax tree into stages of typed commands,
//! reporting the first invalid instruction with BuildKit's message.
//! ARG/ENV scoping is [`crate::stages::scope`].

pub mod commands;
pub(crate) mod csv;
pub mod duration;
pub mod expose;
pub mod flags;
pub mod mount;
pub mod parse;
pub mod suggest;

pub use commands::*;
pub use parse::{parse_dockerfile, INSTRUCTIONS, NO_STAGES};
