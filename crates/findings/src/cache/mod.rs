//! dfopt's cache-efficiency rules: findings that follow Docker's build-cache
//! guidelines (<https://docs.docker.com/build/cache/optimize/>,
//! <https://docs.docker.com/build/building/best-practices/>).
//!
//! One rule per file, each a [`Check`] over an [`Input`] (the typed instructions
//! and the facts about the build context the caller knows); its doc comment says
//! what it finds, why it matters, an example, and when it stays silent. Rules read
//! the typed instructions (`dfopt-dockerfile`) and, for RUN, the simple commands of
//! the shell script ([`shell`]). They are heuristics: they report, they never
//! rewrite, and when in doubt they stay silent. The cache directories they suggest
//! come from the optimizer's one table ([`dfopt_optimizer::cache_dirs`]).
//!
//! Both faces of dfopt run them through [`run`]: `dfopt check`, and the frontend's
//! lint subrequest (`docker buildx build --check`), where they are reported next to
//! BuildKit's build checks in the same shape and `# check=skip=<Rule>` (or
//! `skip=all`) turns them off. They never count for `# check=error=true`, which
//! stays BuildKit's (a build dfopt optimises gets most of these fixes anyway), and
//! they are not build warnings.
//!
//! No I/O: whether the context has a `.dockerignore` comes in as a [`Facts`] value.

pub mod apt_no_cleanup;
pub mod apt_update_separate;
pub mod cleanup_in_separate_run;
pub mod consecutive_runs;
pub mod deps_after_copy_all;
pub mod missing_cache_mount;
pub mod missing_dockerignore;
pub mod shell;
pub mod tools;

use std::collections::BTreeSet;

use dfopt_dockerfile::instructions::{Command, CommandKind, Ir, Run, Stage};
use dfopt_dockerfile::stages::lookup::StageNames;

use crate::check::{run_checks, Check};
use crate::config::CheckConfig;
use crate::report::Report;
use crate::rule::Rule;
use shell::SimpleCommand;

/// Whether the build context has an ignore file, as far as the caller knows.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Dockerignore {
    /// Not known (a Dockerfile from standard input, a remote context): rules that
    /// need it stay silent.
    #[default]
    Unknown,
    /// There is one (`.dockerignore`, or `<Dockerfile>.dockerignore`).
    Present,
    /// There is none; `expected` is where one would be, as the message names it.
    Missing { expected: String },
}

/// What the rules know about the build besides the Dockerfile.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Facts {
    pub dockerignore: Dockerignore,
}

/// What the rules look at.
pub struct Input<'a> {
    /// The Dockerfile text the spans point into.
    pub source: &'a str,
    /// Its typed instructions.
    pub ir: &'a Ir,
    pub facts: &'a Facts,
    /// The stages to check, by index (those a `--target` needs); `None`: all.
    pub stages: Option<&'a BTreeSet<usize>>,
}

impl<'a> Input<'a> {
    /// The stages checked.
    pub fn stages(&self) -> impl Iterator<Item = &'a Stage> + '_ {
        self.ir
            .stages
            .iter()
            .enumerate()
            .filter(|(i, _)| self.stages.is_none_or(|s| s.contains(i)))
            .map(|(_, stage)| stage)
    }

    /// Every command of the stages checked.
    pub fn commands(&self) -> impl Iterator<Item = &'a Command> + '_ {
        self.stages().flat_map(|stage| stage.commands.iter())
    }

    /// The stage `stage` is built on, when it names an earlier stage of the file
    /// (as BuildKit matches a base name: as written, the later duplicate).
    pub fn parent(&self, stage: &Stage) -> Option<&'a Stage> {
        let earlier = &self.ir.stages[..stage.index.min(self.ir.stages.len())];
        StageNames::of_stages(earlier.iter().map(|s| s.name.as_deref()))
            .base(&stage.base)
            .map(|i| &earlier[i])
    }
}

/// Every rule, in the order `dfopt check --list-rules` shows them.
pub const RULES: [&Rule; 7] = [
    &deps_after_copy_all::RULE,
    &apt_no_cleanup::RULE,
    &apt_update_separate::RULE,
    &missing_cache_mount::RULE,
    &consecutive_runs::RULE,
    &missing_dockerignore::RULE,
    &cleanup_in_separate_run::RULE,
];

/// The rules with their check functions, in [`RULES`] order.
pub fn checks<'a>() -> [Check<Input<'a>>; 7] {
    [
        Check {
            rule: &deps_after_copy_all::RULE,
            run: deps_after_copy_all::check,
        },
        Check {
            rule: &apt_no_cleanup::RULE,
            run: apt_no_cleanup::check,
        },
        Check {
            rule: &apt_update_separate::RULE,
            run: apt_update_separate::check,
        },
        Check {
            rule: &missing_cache_mount::RULE,
            run: missing_cache_mount::check,
        },
        Check {
            rule: &consecutive_runs::RULE,
            run: consecutive_runs::check,
        },
        Check {
            rule: &missing_dockerignore::RULE,
            run: missing_dockerignore::check,
        },
        Check {
            rule: &cleanup_in_separate_run::RULE,
            run: cleanup_in_separate_run::check,
        },
    ]
}

/// Runs every rule under `config` (the file's `# check=` configuration; a
/// `# check=` comment above an instruction applies to findings placed on it).
/// Findings are in file order (by their first span, then rule id).
pub fn run(input: &Input, config: &CheckConfig) -> Report {
    let mut report = Report::default();
    run_checks(&checks(), input, config, &mut report);
    report
        .findings
        .sort_by_key(|f| (f.spans.first().map_or(0, |s| s.start), f.rule.id));
    report
}

/// The RUN of a command, if it is one.
pub fn as_run(command: &Command) -> Option<&Run> {
    match &command.kind {
        CommandKind::Run(run) => Some(run),
        _ => None,
    }
}

/// The simple commands of a RUN (empty for other instructions).
pub fn simple_commands(command: &Command) -> Vec<SimpleCommand> {
    as_run(command).map(shell::run_commands).unwrap_or_default()
}

/// Targets of the `type=cache` mounts of a RUN, as written.
pub fn cache_mount_targets(run: &Run) -> Vec<String> {
    let mut out = Vec::new();
    for mount in &run.mounts {
        let mut is_cache = false;
        let mut target = None;
        for field in mount.raw.value.split(',') {
            let (key, value) = field.split_once('=').unwrap_or((field, ""));
            let value = value.trim_matches(['"', '\'']);
            match key.trim().to_ascii_lowercase().as_str() {
                "type" => is_cache = value == "cache",
                "target" | "dst" | "destination" => target = Some(value.to_string()),
                _ => {}
            }
        }
        if is_cache {
            out.push(target.unwrap_or_default());
        }
    }
    out
}

/// Whether a COPY/ADD source names the whole build context (`.`, `./`, `*`).
pub fn is_whole_context(source: &str) -> bool {
    let s = source.trim_end_matches('/');
    let s = s.strip_prefix("./").unwrap_or(s);
    matches!(s, "" | "." | "*" | "./*")
}

/// The COPY (without `--from`) or ADD that copies the whole build context, with its keyword.
pub fn copies_whole_context(command: &Command) -> Option<&'static str> {
    match &command.kind {
        CommandKind::Copy(c)
            if c.from.is_none() && c.paths.sources.iter().any(|s| is_whole_context(s)) =>
        {
            Some("COPY")
        }
        CommandKind::Add(a) if a.paths.sources.iter().any(|s| is_whole_context(s)) => Some("ADD"),
        _ => None,
    }
}
