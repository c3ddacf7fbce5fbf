//! The one list of passes: id, maturity, default, and a one-line summary.
//! Ids are kebab-case and stable; they are what `DFOPT` and `# dfopt=` name.

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
    pub summary: &'static str,
}

/// Every pass, in the order they run within a round.
pub const PASSES: [PassInfo; 3] = [
    PassInfo {
        id: "merge-runs",
        maturity: Maturity::Stable,
        default_enabled: true,
        report_only: false,
        summary: "Merge consecutive shell-form RUNs of a stage into one, each part isolated in its own subshell",
    },
    PassInfo {
        id: "cache-mounts",
        maturity: Maturity::Stable,
        default_enabled: true,
        report_only: false,
        summary: "Add package-manager cache mounts (apt, pip, npm, go, cargo, …) and drop the cleanups they make useless",
    },
    PassInfo {
        id: "prune-stages",
        maturity: Maturity::Stable,
        default_enabled: true,
        report_only: true,
        summary: "Report stages the target does not need and ARGs nothing references (the lowering skips those stages)",
    },
];

/// The pass with this id.
pub fn pass(id: &str) -> Option<&'static PassInfo> {
    PASSES.iter().find(|p| p.id == id)
}

/// Every pass id, in registry order.
pub fn pass_ids() -> Vec<&'static str> {
    PASSES.iter().map(|p| p.id).collect()
}
