//! The walk behind [`super::analyze`]: BuildKit's `toDispatchState` without LLB.
//!
//! Phases, in BuildKit's order (each finding is reported where BuildKit reports it,
//! so the result lists them in the same order):
//!
//! 1. the check configuration (`# check=` or the build-arg), before anything else;
//! 2. parser warnings (NoEmptyContinuation);
//! 3. instruction parsing (MaintainerDeprecated, StageNameCasing, FromAsCasing,
//!    InvalidDefinitionDescription), stopping at the first invalid instruction;
//! 4. whole-file checks (ReservedStageName, DuplicateStageName,
//!    ConsistentInstructionCasing, InvalidDefaultArgInFrom);
//! 5. stages: FROM expansion with the global ARGs (UndefinedArgInFrom,
//!    RedundantTargetPlatform, FromPlatformFlagConstDisallowed), target lookup,
//!    `COPY --from`/`RUN --mount from=` dependencies and cycles;
//! 6. base images of the stages that are built (InvalidBaseImagePlatform) and their
//!    ONBUILD triggers;
//! 7. dispatch of the stages that are built (every stage for lint without a
//!    target): variable expansion with the stage's environment (UndefinedVar) and
//!    the per-instruction checks;
//! 8. `error=true`: any finding fails the build.

use std::cell::RefCell;
use std::collections::BTreeMap;

use dfopt_dockerfile::instructions::commands::{ArgDecl, Command, Stage};
use dfopt_dockerfile::shell::Lexer;
use dfopt_dockerfile::stages::lookup::target_stage_name;
use dfopt_dockerfile::syntax::Parsed;
use dfopt_dockerfile::Span;

use super::dispatch::Walker;
use super::ignore::IgnoreMatcher;
use super::{args, graph, images, outline, parse_phase, stages};
use super::{Analysis, BaseImage, ErrorKind, ImageQuery, LintError, Options, Outline};
use crate::config::CheckConfig;
use crate::report::Report;

/// A command with what the checks need from its syntax node.
pub(super) struct Cmd {
    pub command: Command,
    /// The keyword as written (`RUN`, `run`, `Run`).
    pub keyword: String,
    /// Where findings about it are placed: the instruction, or for an ONBUILD
    /// trigger the `FROM` of the stage it runs in.
    pub span: Span,
}

/// A stage as parsed.
pub(super) struct StageDef {
    pub stage: Stage,
    /// `FROM` as written.
    pub keyword: String,
    pub span: Span,
    pub commands: Vec<Cmd>,
}

/// An ARG before the first stage.
pub(super) struct MetaArgCmd {
    pub decls: Vec<ArgDecl>,
    pub span: Span,
}

/// Image lookups, remembering the queries nobody could answer.
pub(super) struct Lookups<'a> {
    images: &'a dyn Fn(&ImageQuery) -> Option<BaseImage>,
    missing: RefCell<Vec<ImageQuery>>,
}

impl Lookups<'_> {
    pub fn get(&self, query: &ImageQuery) -> Option<BaseImage> {
        let found = (self.images)(query);
        if found.is_none() {
            let mut missing = self.missing.borrow_mut();
            if !missing.contains(query) {
                missing.push(query.clone());
            }
        }
        found
    }
}

pub(super) fn run(source: &str, parsed: &Parsed, options: &Options) -> Analysis {
    let mut report = Report::default();
    let lookups = Lookups {
        images: options.images,
        missing: RefCell::new(Vec::new()),
    };
    let result = walk(source, parsed, options, &lookups, &mut report);
    let (error, outline) = match result {
        Ok(outline) => (None, Some(outline)),
        Err(error) => (Some(error), None),
    };
    Analysis {
        findings: report.findings,
        error,
        outline,
        missing_images: lookups.missing.into_inner(),
    }
}

fn walk(
    source: &str,
    parsed: &Parsed,
    options: &Options,
    lookups: &Lookups,
    report: &mut Report,
) -> Result<Outline, LintError> {
    if source.is_empty() {
        return Err(invalid("the Dockerfile cannot be empty", Vec::new()));
    }
    let config = match &options.check {
        Some(config) => config.clone(),
        None => CheckConfig::from_directive(&parsed.dockerfile).map_err(|message| LintError {
            kind: ErrorKind::Config,
            message,
            spans: Vec::new(),
        })?,
    };
    if let Some(diagnostic) = parsed.error() {
        return Err(invalid(diagnostic.message.clone(), vec![diagnostic.span]));
    }
    parse_phase::empty_continuations(parsed, &config, report);
    let (metas, defs) = parse_phase::parse(source, parsed, &config, report)?;
    parse_phase::check_stage_names(&defs, &config, report);
    parse_phase::check_command_casing(&defs, &config, report);

    let lexer = Lexer::new(parsed.dockerfile.escape);
    let platforms = stages::Platforms::new(options);
    let last_name = defs.last().and_then(|d| d.stage.name.as_deref());
    let target_name = target_stage_name(options.target, last_name).to_owned();
    let initial = args::default_args(options, &platforms, &target_name);
    args::check_default_base_images(&defs, &metas, &initial, &lexer, options, &config, report);
    let (globals, all_args) = args::meta_args(&metas, &initial, options.build_args, &lexer)?;

    let mut states = stages::build_states(&defs, &globals, &all_args, &lexer, &config, report)?;
    let target = stages::resolve_target(&states, options.target)?;
    graph::dependencies(&defs, &mut states, &lexer)?;
    graph::check_cycles(&states)?;

    let mut triggers = BTreeMap::new();
    let reachable = images::resolve(
        &mut states,
        &defs,
        target,
        &mut triggers,
        &images::Context {
            lookups,
            lexer: &lexer,
            platforms: &platforms,
            options,
            config: &config,
        },
        report,
    )?;

    let ignore = if options.dockerignore.is_empty() {
        None
    } else {
        IgnoreMatcher::new(options.dockerignore)
    };
    let mut walker = Walker {
        lexer,
        globals,
        build_arg_values: options.build_args,
        ignore,
        report,
    };
    for i in 0..defs.len() {
        if !(reachable[i] || options.all_stages) {
            continue;
        }
        walker.init_stage(&mut states, i);
        states[i].dispatched = true;
        let stage_triggers = triggers.remove(&i).unwrap_or_default();
        for cmd in stage_triggers.iter().chain(&defs[i].commands) {
            let config = config.with_comments(&cmd.command.comments);
            walker
                .dispatch(&mut states, i, cmd, &config)
                .map_err(|message| invalid(message, vec![cmd.span]))?;
        }
    }

    if let Some(message) = walker.report.violation(&config) {
        return Err(LintError {
            kind: ErrorKind::Violation,
            message,
            spans: Vec::new(),
        });
    }
    Ok(outline::collect(&states, &defs, target))
}

/// An error that stops the walk because the Dockerfile cannot be built.
pub(super) fn invalid(message: impl Into<String>, spans: Vec<Span>) -> LintError {
    LintError {
        kind: ErrorKind::Invalid,
        message: message.into(),
        spans,
    }
}
