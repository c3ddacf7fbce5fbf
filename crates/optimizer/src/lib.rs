//! Meaning-preserving rewrites of a Dockerfile's typed IR, each explained.
//!
//! ```text
//! source ──parse──▶ Ir ──passes (to a fixpoint)──▶ Optimized { ir, changes, origins } ──render──▶ text
//! ```
//!
//! - [`optimize`] parses the source, runs the enabled passes round after round
//!   until a round rewrites nothing, then runs the report-only passes.
//! - Every rewrite and every finding is a [`Change`] with the original source
//!   ranges it concerns, a title and a reason.
//! - [`Optimized::ir`] is what the lowering consumes; [`Optimized::note`]
//!   gives the progress suffix of a command (`(dfopt: 3 RUNs merged, apt cache)`).
//! - [`render()`] prints the optimised Dockerfile: unchanged instructions keep
//!   their original text byte for byte (comments and blank lines included),
//!   rewritten ones are printed, so the output builds with stock BuildKit.
//!
//! Passes live in `passes/`, one per file, each with its safety conditions in
//! its doc comment; the registry is [`registry::PASSES`]. The cache
//! directories `cache-mounts` may mount are listed once, in [`cache_dirs`].
//!
//! **Invariants.** No I/O. Never panics. Running [`optimize`] on the rendered
//! output rewrites nothing (the tests check this for every fixture).

pub mod cache_dirs;
mod change;
mod facts;
mod options;
mod passes;
pub mod registry;
mod render;
mod settings;
mod shell;
mod source;
mod work;

use std::collections::{BTreeMap, BTreeSet};

use dfopt_dockerfile::instructions::{self, CommandKind, Ir};
use dfopt_dockerfile::{Diagnostic, Parsed, Span};

pub use cache_dirs::declared_cache_dirs;
pub use change::{progress_note, Change, ChangeKind};
pub use options::{ContextFacts, ContextQuery, ImageInfo, Options};
pub use passes::prune_stages::{reachable_stages, reachable_stages_with};
pub use registry::{Maturity, PassInfo, PASSES};
pub use render::render;
pub use settings::{directive as settings_directive, Settings, SettingsError, SettingsSource};
pub use work::Origin;

/// The most rounds [`optimize`] runs before giving up on a fixpoint.
pub const MAX_ROUNDS: usize = 8;

/// What happened to the `# syntax=` line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum SyntaxLine {
    /// Left as it was (also: no line, none needed).
    Unchanged,
    /// A `docker/dockerfile` version older than 1.2 (no `RUN --mount`) was raised.
    Raised {
        from: String,
        to: String,
        span: Span,
    },
}

/// The result of [`optimize`].
#[derive(Clone, Debug)]
pub struct Optimized {
    /// The optimised IR, ready for lowering.
    pub ir: Ir,
    /// The file's escape character.
    pub escape: char,
    /// Parser warnings of the original file (BuildKit's, e.g. `NoEmptyContinuation`).
    pub warnings: Vec<Diagnostic>,
    /// Every change, rewrites and reports, in the order they were made.
    pub changes: Vec<Change>,
    /// Where each global ARG came from (parallel to `ir.meta_args`).
    pub meta_origins: Vec<Origin>,
    /// The original instruction index of each stage's FROM.
    pub stage_from: Vec<usize>,
    /// Where each command came from (parallel to `ir.stages[i].commands`).
    pub origins: Vec<Vec<Origin>>,
    pub syntax: SyntaxLine,
    /// Rounds run until nothing changed.
    pub rounds: usize,
    /// The passes that ran.
    pub settings: Settings,
    /// `(leading trivia, instruction)` spans of the original instructions, for rendering.
    pub(crate) layout: Vec<(Span, Span)>,
    pub(crate) cache_targets: BTreeSet<String>,
    /// What the enabled passes asked of the build context and did not get.
    pub(crate) context_queries: BTreeSet<ContextQuery>,
}

impl Optimized {
    /// Rewrites only.
    pub fn rewrites(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| c.is_rewrite())
    }

    /// Reports only.
    pub fn reports(&self) -> impl Iterator<Item = &Change> {
        self.changes.iter().filter(|c| !c.is_rewrite())
    }

    /// The progress suffix of command `index` of stage `stage`, if a rewrite touched it.
    pub fn note(&self, stage: usize, index: usize) -> Option<String> {
        let origin = self.origins.get(stage)?.get(index)?;
        progress_note(origin.changes.iter().filter_map(|&i| self.changes.get(i)))
    }

    /// Progress suffixes of every rewritten command, by `(stage, command index)`.
    pub fn notes_by_command(&self) -> BTreeMap<(usize, usize), String> {
        let mut out = BTreeMap::new();
        for (s, origins) in self.origins.iter().enumerate() {
            for i in 0..origins.len() {
                if let Some(note) = self.note(s, i) {
                    out.insert((s, i), note);
                }
            }
        }
        out
    }

    /// The spans of the original instructions command `index` of stage `stage`
    /// stands for, in file order (empty for an unknown command).
    pub fn command_spans(&self, stage: usize, index: usize) -> Vec<Span> {
        let Some(origin) = self.origins.get(stage).and_then(|o| o.get(index)) else {
            return Vec::new();
        };
        origin
            .instructions
            .iter()
            .filter_map(|&i| self.layout.get(i).map(|&(_, span)| span))
            .collect()
    }

    /// The cache-mount targets injected into this Dockerfile (a subset of
    /// what [`declared_cache_dirs`] lists when the default locations apply).
    pub fn injected_cache_dirs(&self) -> Vec<String> {
        self.cache_targets.iter().cloned().collect()
    }
}

/// Parses `source` and optimises it. Fails only when the Dockerfile itself
/// does not parse (the error BuildKit would report).
pub fn optimize(
    source: &str,
    settings: &Settings,
    opts: &Options,
) -> Result<Optimized, Diagnostic> {
    let parsed = dfopt_dockerfile::parse(source);
    if let Some(error) = parsed.error() {
        return Err(error.clone());
    }
    let ir = instructions::parse_dockerfile(&parsed.dockerfile)?;
    optimize_typed(source, &parsed, ir, settings, opts)
}

/// [`optimize`] for a Dockerfile the caller has parsed (without error) and typed:
/// `ir` must be `parse_dockerfile(&parsed.dockerfile)` of `source`. This is how the
/// compile pipeline runs the passes without parsing the file again.
pub fn optimize_typed(
    source: &str,
    parsed: &Parsed,
    ir: Ir,
    settings: &Settings,
    opts: &Options,
) -> Result<Optimized, Diagnostic> {
    let warnings: Vec<Diagnostic> = parsed.warnings().cloned().collect();
    let src = source::Source::new(source, &parsed.dockerfile);
    let layout = src.instrs.iter().map(|i| (i.leading, i.span)).collect();
    let Some(mut work) = work::Work::new(ir, &src) else {
        return Err(Diagnostic::error(
            "internal error: instructions and IR do not line up",
            Span::default(),
        ));
    };
    let mut changes = Vec::new();
    let mut queries = BTreeSet::new();
    let mut rounds = 0;
    if !settings.is_off() {
        for round in 1..=MAX_ROUNDS {
            rounds = round;
            let before = changes.iter().filter(|c: &&Change| c.is_rewrite()).count();
            let mut cx = work::Cx {
                src: &src,
                opts,
                work: &mut work,
                changes: &mut changes,
                queries: &mut queries,
            };
            passes::run_round(&mut cx, settings);
            let after = changes.iter().filter(|c| c.is_rewrite()).count();
            if after == before {
                break;
            }
        }
        let mut cx = work::Cx {
            src: &src,
            opts,
            work: &mut work,
            changes: &mut changes,
            queries: &mut queries,
        };
        passes::run_reports(&mut cx, settings);
    }
    let cache_targets = injected_targets(&work);
    let syntax = if cache_targets.is_empty() {
        SyntaxLine::Unchanged
    } else {
        syntax_line(&src)
    };
    if !cache_targets.is_empty() && !src.directives.iter().any(|(n, _, _)| n == "syntax") {
        changes.push(Change {
            pass: "cache-mounts",
            kind: ChangeKind::Report,
            ranges: Vec::new(),
            title: "No `# syntax=` line added for the cache mounts".to_string(),
            reason: "`RUN --mount` is part of the builtin Dockerfile frontend since Docker 20.10 / BuildKit 0.8 (Dockerfile 1.2); \
                     a syntax line would make every build pull a frontend image from a registry."
                .to_string(),
            note: String::new(),
        });
    }
    if let SyntaxLine::Raised { from, to, span } = &syntax {
        changes.push(Change {
            pass: "cache-mounts",
            kind: ChangeKind::Rewrite,
            ranges: vec![*span],
            title: format!("Raised the syntax line from `{from}` to `{to}`"),
            reason: "`RUN --mount` needs Dockerfile syntax 1.2 or newer; the file pinned an older frontend".to_string(),
            note: String::new(),
        });
    }
    let work::Work {
        ir,
        meta,
        from,
        stages,
    } = work;
    Ok(Optimized {
        ir,
        escape: src.escape,
        warnings,
        changes,
        meta_origins: meta,
        stage_from: from,
        origins: stages,
        syntax,
        rounds,
        settings: settings.clone(),
        layout,
        cache_targets,
        context_queries: queries,
    })
}

/// What the enabled passes still need to read from the build context, given
/// the facts already in `opts.context`: sorted, without duplicates. Callers
/// answer every query into `opts.context` and ask again until the list is
/// empty (an answer can raise new queries: a requirements file that includes
/// another). Empty when no enabled pass reads the context, when the context
/// is not available, or when the Dockerfile does not parse.
pub fn context_queries(source: &str, settings: &Settings, opts: &Options) -> Vec<ContextQuery> {
    if !opts.context.available || !registry::reads_context(settings) {
        return Vec::new();
    }
    let parsed = dfopt_dockerfile::parse(source);
    if parsed.error().is_some() {
        return Vec::new();
    }
    match instructions::parse_dockerfile(&parsed.dockerfile) {
        Ok(ir) => context_queries_typed(source, &parsed, &ir, settings, opts),
        Err(_) => Vec::new(),
    }
}

/// [`context_queries`] for a Dockerfile the caller has parsed (without error)
/// and typed, as [`optimize_typed`] takes it: the compile pipeline asks without
/// parsing the file again.
pub fn context_queries_typed(
    source: &str,
    parsed: &Parsed,
    ir: &Ir,
    settings: &Settings,
    opts: &Options,
) -> Vec<ContextQuery> {
    if !opts.context.available || !registry::reads_context(settings) {
        return Vec::new();
    }
    match optimize_typed(source, parsed, ir.clone(), settings, opts) {
        Ok(optimized) => optimized
            .context_queries
            .into_iter()
            .filter(|q| !opts.context.answers(q))
            .collect(),
        Err(_) => Vec::new(),
    }
}

/// Targets of cache mounts added by `cache-mounts` (ids starting with `dfopt-`).
fn injected_targets(work: &work::Work) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for (stage, origins) in work.ir.stages.iter().zip(&work.stages) {
        for (cmd, origin) in stage.commands.iter().zip(origins) {
            if origin.text.is_none() {
                continue;
            }
            if let CommandKind::Run(run) = &cmd.kind {
                for m in &run.mounts {
                    if let Some(Ok(mount)) = &m.parsed {
                        if mount.id.starts_with(cache_dirs::ID_PREFIX) {
                            out.insert(mount.target.clone());
                        }
                    }
                }
            }
        }
    }
    out
}

/// `RUN --mount` is part of Dockerfile syntax 1.2 (and of the
/// `1.0-experimental`/`1.1-experimental` channels). Only an explicit older
/// `docker/dockerfile` pin needs raising. Without a syntax line nothing is
/// added: the builtin frontends of Docker 20.10 / BuildKit 0.8 and newer
/// support `RUN --mount` natively, and a new line would make every build pull
/// a frontend image from a registry (offline builds would fail) and swap the
/// frontend in use. Any other frontend named by the line (dfopt's own image,
/// a labs channel, a digest) is left alone.
fn syntax_line(src: &source::Source) -> SyntaxLine {
    let Some((_, value, span)) = src.directives.iter().find(|(n, _, _)| n == "syntax") else {
        return SyntaxLine::Unchanged;
    };
    let image = value.split(' ').next().unwrap_or("");
    let (name, tag) = match image.rsplit_once(':') {
        Some((n, t)) if !t.contains('/') => (n, t),
        _ => return SyntaxLine::Unchanged,
    };
    let repo = name
        .trim_start_matches("docker.io/")
        .trim_start_matches("index.docker.io/");
    if repo != "docker/dockerfile" || tag.contains("experimental") || tag.contains('@') {
        return SyntaxLine::Unchanged;
    }
    let mut parts = tag.split(['.', '-']);
    let major: Option<u32> = parts.next().and_then(|p| p.parse().ok());
    let minor: Option<u32> = parts.next().and_then(|p| p.parse().ok());
    let old = matches!((major, minor), (Some(1), Some(0 | 1)) | (Some(0), _));
    if !old {
        return SyntaxLine::Unchanged;
    }
    let to = format!("{name}:1.2");
    SyntaxLine::Raised {
        from: image.to_string(),
        to,
        span: *span,
    }
}
