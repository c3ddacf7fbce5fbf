//! `MissingDockerignore`: `COPY .` or `ADD .` with no `.dockerignore` for the
//! build context.
//!
//! **Why.** Without an ignore file, the whole directory is sent to the builder
//! and copied: `.git`, `node_modules`, build outputs, local secrets. Any change
//! to any of them (a commit, a rebuilt artifact) invalidates the COPY and every
//! later step, and the files bloat the image.
//!
//! **Example.** A `Dockerfile` with `COPY . /app` in a directory without
//! `.dockerignore` (or `Dockerfile.dockerignore`) is a finding; add one:
//! ```text
//! .git
//! node_modules
//! target
//! ```
//!
//! Whether the file exists is a fact the caller passes in ([`super::Facts`]); when
//! it is not known (a Dockerfile from standard input, a remote context) the rule
//! stays silent.

use super::{copies_whole_context, Dockerignore, Input};
use crate::check::Sink;
use crate::rule::Rule;

pub static RULE: Rule = Rule::new(
    "MissingDockerignore",
    "`COPY .`/`ADD .` without a `.dockerignore` for the build context",
    "https://docs.docker.com/build/cache/optimize/#keep-the-context-small",
);

pub fn check(input: &Input, sink: &mut Sink<'_>) {
    let Dockerignore::Missing { expected } = &input.facts.dockerignore else {
        return;
    };
    let Some((command, keyword)) = input
        .commands()
        .find_map(|c| copies_whole_context(c).map(|k| (c, k)))
    else {
        return;
    };
    sink.report_at_with_fix(
        &command.comments,
        vec![command.span],
        format!("`{keyword}` copies the whole build context, and {expected} does not exist"),
        format!(
            "create {expected} listing what the image does not need (.git, node_modules, build outputs, secrets)"
        ),
    );
}
