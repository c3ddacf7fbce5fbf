//! `AptUpdateSeparate`: `apt-get update` in a RUN of its own, with the
//! `apt-get install` in a later RUN that does not update itself.
//!
//! **Why.** The `apt-get update` layer is cached independently of the install:
//! when the install line changes (a package is added), BuildKit reuses the
//! old, stale package lists, and the install can fail or get outdated
//! versions. Docker's guidelines: always combine `apt-get update` and
//! `apt-get install` in the same RUN.
//!
//! **Example.**
//! ```dockerfile
//! RUN apt-get update                       # finding
//! RUN apt-get install -y curl
//! ```
//! becomes
//! ```dockerfile
//! RUN apt-get update && apt-get install -y curl && rm -rf /var/lib/apt/lists/*
//! ```

use super::tools;
use super::{simple_commands, Input};
use crate::check::Sink;
use crate::rule::Rule;

pub static RULE: Rule = Rule::new(
    "AptUpdateSeparate",
    "`apt-get update` in a different RUN than the `apt-get install` (stale cached lists)",
    "https://docs.docker.com/build/building/best-practices/#apt-get",
);

pub fn check(input: &Input, sink: &mut Sink<'_>) {
    for stage in input.stages() {
        for (i, command) in stage.commands.iter().enumerate() {
            let commands = simple_commands(command);
            if !commands.iter().any(tools::is_apt_update)
                || commands.iter().any(tools::is_apt_install)
            {
                continue;
            }
            let Some(install) = stage.commands[i + 1..].iter().find(|later| {
                let later = simple_commands(later);
                later.iter().any(tools::is_apt_install) && !later.iter().any(tools::is_apt_update)
            }) else {
                continue;
            };
            sink.report_at_with_fix(
                &command.comments,
                vec![command.span, install.span],
                "`apt-get update` runs in a separate RUN from the `apt-get install` that needs it",
                "run `apt-get update && apt-get install -y …` in one RUN, so a changed package list also refreshes \
                 the index",
            );
        }
    }
}
