//! Dropped cleanups. Cleanups are dropped only in the RUN that now mounts
//! the directory. A tool's own cleanup command (`go clean -modcache`, `yarn
//! cache clean`, `poetry cache clear`) empties the tool's *real* directory:
//! it is dropped only when that is surely the mount — a fixed path (apt,
//! apk, dnf), calls redirected on their command line (pip, uv, npm), or a
//! location computed from a known image config — and kept (reported in the
//! change) otherwise. A kept cleanup would empty the mount on every build, so
//! then the mount is not added at all.

use super::mount_plans::{cmd_text, RunPlan};
use super::tool_family::spec_of;
use super::Report;
use crate::cache_dirs::Tool;
use crate::facts::StageFacts;

/// Whether the tool's own cleanup surely empties the mount (its location
/// is known, or fixed, or its calls are redirected to the mount).
pub(super) fn cleanup_sure(tool: Tool, sf: &StageFacts) -> bool {
    !sf.assumed || spec_of(tool).1.cleanup_sure
}

/// A tool whose cleanup (`yarn cache clean`, `go clean -modcache`) must be
/// kept, because its cache location was assumed rather than known, would
/// empty the mount on every build: the mount is useless and is not added
/// (nor reported as an improvement).
pub(super) fn drop_emptied_caches(plan: &mut RunPlan, sf: &StageFacts, reports: &mut Vec<Report>) {
    let mut useless: Vec<(Tool, Vec<usize>, String)> = Vec::new();
    for t in &plan.tools {
        if cleanup_sure(t.tool, sf) {
            continue;
        }
        if let Some(d) = t
            .drops
            .iter()
            .find(|d| d.requires.iter().all(|x| plan.targets.contains_key(x)))
        {
            useless.push((t.tool, d.requires.clone(), cmd_text(&plan.script, d.cmd)));
        }
    }
    for (tool, dirs, cleanup) in useless {
        for d in &dirs {
            plan.targets.remove(d);
        }
        for t in plan.tools.iter_mut().filter(|t| t.tool == tool) {
            t.wants.retain(|d| !dirs.contains(d));
        }
        reports.push((
            plan.stage,
            plan.index,
            format!("No {} cache mount added", tool.as_str()),
            format!("The RUN empties the cache with {cleanup}, which has to stay because the cache location was assumed, not known: the mount would be emptied on every build."),
        ));
    }
    plan.tools.retain(|t| !t.wants.is_empty());
}
