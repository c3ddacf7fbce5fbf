//! The passes, one per file. Each file's doc comment is the pass's
//! documentation: what it does, why, an example, and its safety conditions.

pub(crate) mod cache_mounts;
pub(crate) mod deps_first;
mod merge_cost;
pub(crate) mod merge_runs;
pub mod prune_stages;

use crate::registry::PASSES;
use crate::settings::Settings;
use crate::work::Cx;

/// One round of the rewriting passes, in registry order.
pub(crate) fn run_round(cx: &mut Cx, settings: &Settings) {
    for pass in PASSES
        .iter()
        .filter(|p| !p.report_only && settings.is_enabled(p.id))
    {
        (pass.run)(cx);
    }
}

/// The report-only passes, once, after the fixpoint.
pub(crate) fn run_reports(cx: &mut Cx, settings: &Settings) {
    for pass in PASSES
        .iter()
        .filter(|p| p.report_only && settings.is_enabled(p.id))
    {
        (pass.run)(cx);
    }
}
