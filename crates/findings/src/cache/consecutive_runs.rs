//! `ConsecutiveRuns`: three or more RUN instructions in a row.
//!
//! **Why.** Every RUN makes a layer and a cache entry of its own. Long chains
//! of small RUNs make images with many layers, and files deleted by a later
//! RUN still take space in the earlier layer. Steps that belong together
//! (and change together) should be one RUN joined with `&&`.
//!
//! **Example.**
//! ```dockerfile
//! RUN mkdir /app            # finding: 3 consecutive RUNs
//! RUN useradd app
//! RUN chown app /app
//! ```
//! becomes `RUN mkdir /app && useradd app && chown app /app`
//! (`dfopt rewrite` merges them, keeping each part's semantics).

use dfopt_dockerfile::instructions::CommandKind;

use super::Input;
use crate::check::Sink;
use crate::rule::Rule;

pub static RULE: Rule = Rule::new(
    "ConsecutiveRuns",
    "Three or more consecutive RUN instructions: merge them into one layer",
    "https://docs.docker.com/build/building/best-practices/#run",
);

/// The shortest chain reported.
pub const MIN_CHAIN: usize = 3;

pub fn check(input: &Input, sink: &mut Sink<'_>) {
    for stage in input.stages() {
        let mut chain = Vec::new();
        // A sentinel `None` ends the last chain.
        for command in stage.commands.iter().map(Some).chain([None]) {
            if let Some(c) = command.filter(|c| matches!(c.kind, CommandKind::Run(_))) {
                chain.push(c);
                continue;
            }
            if chain.len() >= MIN_CHAIN {
                sink.report_at_with_fix(
                    &chain[0].comments,
                    chain.iter().map(|c| c.span).collect(),
                    format!(
                        "{} consecutive RUN instructions make {} layers",
                        chain.len(),
                        chain.len()
                    ),
                    "merge them into one RUN joined with `&&` (`dfopt rewrite` does it safely)",
                );
            }
            chain.clear();
        }
    }
}
