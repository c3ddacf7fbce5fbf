//! The one list of passes: id, maturity, default, a one-line summary, and
//! the function that runs it. The optimizer runs the passes from this table,
//! in its order; nothing else names them. Ids are kebab-case and stable; they
//! are what `DFOPT` and `# dfopt=` name.

use crate::passes::{cache_mounts, deps_first, merge_runs, prune_stages};
use crate::work::Cx;

/// How far a pass has come.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Maturity {
    /// Enabled by default; its behaviour is covered by the safety conditions in its docs.
    Stable,
    /// Off by default; enable with `+<id>` or `all`.
    Preview,
}

impl Maturity {
    pub fn as_str(self) -> &'static str {
        match self {
            Maturity::Stable => "stable",
            Maturity::Preview => "preview",
        }
    }
}

/// A registered pass.
#[derive(Clone, Copy, Debug)]
pub struct PassInfo {
    pub id: &'static str,
    pub maturity: Maturity,
    pub default_enabled: bool,
    /// Whether it only reports (never rewrites the Dockerfile).
    pub report_only: bool,
    /// Whether it reads the build context (`context_queries` asks only for the
    /// enabled passes that do).
    pub reads_context: bool,
    pub summary: &'static str,
    /// Runs the pass over the Dockerfile being optimised.
    pub(crate) run: fn(&mut Cx<'_, '_>),
}

/// Every pass, in the order they run within a round. `deps-first` runs
/// first: it reads single install RUNs, which `merge-runs` would otherwise
/// have merged with their neighbours before it sees them.
pub const PASSES: [PassInfo; 4] = [
    PassInfo {
        id: deps_first::ID,
        maturity: Maturity::Preview,
        default_enabled: false,
        report_only: false,
        reads_context: true,
        summary: "Copy dependency manifests and run the install before `COPY . <dir>`, so source edits do not re-run the install (reads the build context)",
        run: deps_first::run,
    },
    PassInfo {
        id: merge_runs::ID,
        maturity: Maturity::Stable,
        default_enabled: true,
        report_only: false,
        reads_context: false,
        summary: "Merge consecutive shell-form RUNs of a stage into one, each part isolated in its own subshell",
        run: merge_runs::run,
    },
    PassInfo {
        id: cache_mounts::ID,
        maturity: Maturity::Stable,
        default_enabled: true,
        report_only: false,
        reads_context: false,
        summary: "Add package-manager cache mounts (apt, pip, npm, go, cargo, …) and drop the cleanups they make useless",
        run: cache_mounts::run,
    },
    PassInfo {
        id: prune_stages::ID,
        maturity: Maturity::Stable,
        default_enabled: true,
        report_only: true,
        reads_context: false,
        summary: "Report stages the target does not need and ARGs nothing references (the lowering skips those stages)",
        run: prune_stages::run,
    },
];

/// Whether any pass the settings enable reads the build context.
pub fn reads_context(settings: &crate::Settings) -> bool {
    PASSES
        .iter()
        .any(|p| p.reads_context && settings.is_enabled(p.id))
}

/// The pass with this id.
pub fn pass(id: &str) -> Option<&'static PassInfo> {
    PASSES.iter().find(|p| p.id == id)
}

/// Every pass id, in registry order.
pub fn pass_ids() -> Vec<&'static str> {
    PASSES.iter().map(|p| p.id).collect()
}
