//! `consecutive-runs`: three or more RUN instructions in a row.
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

use super::super::{Context, Finding};
use dfopt_dockerfile::instructions::CommandKind;

pub const ID: &str = "consecutive-runs";
pub const SUMMARY: &str = "Three or more consecutive RUN instructions: merge them into one layer";

/// The shortest chain reported.
pub const MIN_CHAIN: usize = 3;

pub fn check(cx: &Context) -> Vec<Finding> {
    let mut findings = Vec::new();
    for stage in &cx.ir.stages {
        let mut chain = Vec::new();
        // A sentinel `None` ends the last chain.
        for command in stage.commands.iter().map(Some).chain([None]) {
            if let Some(c) = command.filter(|c| matches!(c.kind, CommandKind::Run(_))) {
                chain.push(c.span);
                continue;
            }
            if chain.len() >= MIN_CHAIN {
                findings.push(Finding {
                    rule: ID,
                    spans: chain.clone(),
                    message: format!(
                        "{} consecutive RUN instructions make {} layers",
                        chain.len(),
                        chain.len()
                    ),
                    fix:
                        "merge them into one RUN joined with `&&` (`dfopt rewrite` does it safely)"
                            .to_string(),
                });
            }
            chain.clear();
        }
    }
    findings
}
