//! Findings about a Dockerfile: what is wrong or risky in it, with where and why.
//!
//! The crate has two layers:
//!
//! - the machinery every rule shares: a [`Rule`] (id and documentation), a [`Finding`]
//!   (a rule, a message and byte spans into the Dockerfile), the [`CheckConfig`] of
//!   `# check=skip=…;experimental=…;error=…` (which applies to every rule by id,
//!   wherever the rule comes from) and the [`Report`] that collects findings under
//!   that configuration; a [`Check`] is a rule with its check function, the shape of
//!   rules that look at the Dockerfile on their own;
//! - [`buildkit`]: BuildKit's Dockerfile build checks (`docker build --check`, the
//!   warnings of every build), found by one walk over the stages in BuildKit's
//!   dispatch order. They cannot be independent check functions: BuildKit reports
//!   them in the order the conversion meets them, and one step (expanding a word)
//!   feeds several rules;
//! - [`cache`]: dfopt's own cache-efficiency rules (`dfopt check`, and next to
//!   BuildKit's in `docker buildx build --check`), one [`Check`] per file over the
//!   typed instructions, with the optimizer's table of cache directories.
//!
//! Locations are byte spans ([`dfopt_dockerfile::Span`]); lines are computed only by
//! whoever shows a finding ([`Finding::lines`]).
//!
//! No I/O: everything from outside (base image configs, `.dockerignore` patterns
//! and whether there is one, build options) is passed in.

pub mod buildkit;
pub mod cache;
pub mod check;
pub mod config;
pub mod finding;
pub mod report;
pub mod rule;

pub use check::{run_checks, Check, Sink};
pub use config::CheckConfig;
pub use finding::Finding;
pub use report::Report;
pub use rule::Rule;
