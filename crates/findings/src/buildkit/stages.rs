//! Stages as BuildKit's `buildDispatchStates` sets them up: base names and
//! `--platform` expanded with the global ARGs (UndefinedArgInFrom,
//! RedundantTargetPlatform, FromPlatformFlagConstDisallowed), stages linked to the
//! stage they build on, and the target looked up.

use std::collections::{BTreeMap, BTreeSet};

use dfopt_dockerfile::instructions::suggest;
use dfopt_dockerfile::shell::Lexer;
use dfopt_dockerfile::stages::lookup::StageNames;
use dfopt_dockerfile::stages::reachability;
use dfopt_dockerfile::stages::scope::Vars;
use dfopt_dockerfile::Span;
use dfopt_llb::platform as platforms;
use dfopt_llb::Platform;

use super::args::ArgInfo;
use super::outline::OutlineMount;
use super::walk::{invalid, StageDef};
use super::{rules, BaseImage, LintError, Options};
use crate::config::CheckConfig;
use crate::report::Report;

/// The build's platforms (BuildKit's `platformOpt`).
pub(super) struct Platforms {
    pub build: Platform,
    pub target: Platform,
    /// No target platform was asked for.
    pub implicit: bool,
}

impl Platforms {
    pub fn new(options: &Options) -> Platforms {
        Platforms {
            build: options.build_platform.clone(),
            target: options
                .target_platform
                .clone()
                .unwrap_or_else(|| options.build_platform.clone()),
            implicit: options.target_platform.is_none(),
        }
    }
}

/// One dispatch state while walking: a stage, or a source that is not a stage
/// (`COPY --from=<image>`, `RUN --mount from=<image>`, which BuildKit registers as
/// extra states after the stages).
#[derive(Default)]
pub(super) struct StageRt {
    /// The `AS` name (lowercase); `None` for unnamed stages and extra states.
    pub name: Option<String>,
    /// The base as expanded (an image name, `scratch`, or a stage's name).
    pub base_name: String,
    pub base_stage: Option<usize>,
    /// The states this one reads from, each with the instruction that reads it (the
    /// last one), in the order first read.
    pub deps: Vec<(usize, Span)>,
    /// The parsed `--platform`.
    pub platform: Option<Platform>,
    /// The `FROM`, or the `COPY` of an extra state; `None` for a mount's source.
    pub span: Option<Span>,
    /// An extra state (not a stage).
    pub extra: bool,
    pub resolved: bool,
    pub dispatched: bool,
    pub onbuild_init: bool,
    /// The base image's config, when it is known.
    pub image: Option<BaseImage>,
    // Outline facts.
    pub all_args: BTreeMap<String, ArgInfo>,
    pub used_args: BTreeSet<String>,
    pub secrets: Vec<OutlineMount>,
    pub ssh: Vec<OutlineMount>,
    // Dispatch state.
    pub env: Vars,
    /// False when the base image's environment is unknown.
    pub env_known: bool,
    /// ARG names declared so far (BuildKit's `buildArgs`).
    pub build_args: Vec<String>,
    pub shell: Vec<String>,
    pub workdir_set: bool,
    /// The working directory (empty: `/`), for relative mount targets.
    pub workdir: String,
    /// Where CMD, ENTRYPOINT and HEALTHCHECK were last set in this stage.
    pub trackers: [Option<Span>; 3],
}

impl StageRt {
    /// An extra state for a source that is not a stage.
    pub fn extra(base_name: &str, span: Option<Span>) -> StageRt {
        StageRt {
            base_name: base_name.to_owned(),
            span,
            extra: true,
            ..StageRt::default()
        }
    }

    /// Records that this state reads `dep` at `span` (BuildKit's `deps[src] = cmd`).
    pub fn add_dep(&mut self, dep: usize, span: Span) {
        match self.deps.iter_mut().find(|(d, _)| *d == dep) {
            Some(entry) => entry.1 = span,
            None => self.deps.push((dep, span)),
        }
    }
}

/// BuildKit's `statesByName` of `states` (the later of two stages with one name).
pub(super) fn stage_names(states: &[StageRt]) -> StageNames {
    StageNames::of_stages(states.iter().map(|s| s.name.as_deref()))
}

/// BuildKit's `buildDispatchStates`.
pub(super) fn build_states(
    stages: &[StageDef],
    globals: &Vars,
    all_args: &BTreeMap<String, ArgInfo>,
    lexer: &Lexer,
    config: &CheckConfig,
    report: &mut Report,
) -> Result<Vec<StageRt>, LintError> {
    let mut arg_keys: BTreeSet<String> = all_args.keys().cloned().collect();
    arg_keys.extend(globals.iter().map(|(k, _)| k.to_owned()));
    let arg_keys: Vec<&str> = arg_keys.iter().map(String::as_str).collect();
    let mut states: Vec<StageRt> = Vec::new();
    for def in stages {
        let stage = &def.stage;
        let config = config.with_comments(&stage.comments);
        let spans = vec![def.span];
        let base = lexer
            .process_word_with_matches(&stage.base, globals)
            .map_err(|e| invalid(e.message, spans.clone()))?;
        undefined_from_args(&base.unmatched, &arg_keys, &spans, &config, report);
        if base.result.is_empty() {
            return Err(invalid(
                format!("base name ({}) should not be blank", stage.base),
                spans,
            ));
        }
        let mut used = base.matched.clone();
        let mut platform = None;
        if let Some(flag) = stage.platform.as_ref().filter(|p| !p.value.is_empty()) {
            let expanded = lexer
                .process_word_with_matches(&flag.value, globals)
                .map_err(|e| {
                    invalid(
                        format!("failed to process arguments for platform : {}", e.message),
                        spans.clone(),
                    )
                })?;
            undefined_from_args(&expanded.unmatched, &arg_keys, &spans, &config, report);
            let target_platform = globals.get("TARGETPLATFORM").unwrap_or("");
            if expanded.matched.len() == 1
                && expanded.unmatched.is_empty()
                && expanded.matched.contains("TARGETPLATFORM")
                && expanded.result == target_platform
            {
                report.add(
                    &config,
                    &rules::REDUNDANT_TARGET_PLATFORM,
                    spans.clone(),
                    rules::redundant_target_platform_detail(&flag.value),
                );
            }
            if expanded.matched.is_empty() && expanded.unmatched.is_empty() {
                const_platform(
                    stage.name.as_deref().unwrap_or(""),
                    &expanded.result,
                    &spans,
                    &config,
                    report,
                );
            }
            if expanded.result.is_empty() {
                return Err(invalid(
                    format!("empty platform value from expression {}", flag.value),
                    spans,
                ));
            }
            let parsed = platforms::parse(&expanded.result).map_err(|e| {
                invalid(
                    format!(
                        "failed to parse platform {}: {e}: invalid argument",
                        flag.value
                    ),
                    spans.clone(),
                )
            })?;
            platform = Some(parsed);
            used.extend(expanded.matched);
        }
        let mut rt = StageRt {
            name: stage.name.clone(),
            base_name: base.result.clone(),
            platform,
            span: Some(def.span),
            ..StageRt::default()
        };
        rt.base_stage = stage_names(&states).base(&base.result);
        match rt.base_stage {
            Some(b) => {
                rt.all_args = states[b].all_args.clone();
                rt.used_args = states[b].used_args.clone();
            }
            None => rt.all_args = all_args.clone(),
        }
        rt.used_args.extend(used);
        states.push(rt);
    }
    Ok(states)
}

/// UndefinedArgInFrom for each unmatched name no ARG declares.
fn undefined_from_args(
    unmatched: &BTreeSet<String>,
    keys: &[&str],
    spans: &[Span],
    config: &CheckConfig,
    report: &mut Report,
) {
    for arg in unmatched {
        if keys.contains(&arg.as_str()) {
            continue;
        }
        let suggestion = suggest::search(arg, keys, true);
        report.add(
            config,
            &rules::UNDEFINED_ARG_IN_FROM,
            spans.to_vec(),
            rules::undefined_arg_in_from_detail(arg, suggestion.as_deref()),
        );
    }
}

/// FromPlatformFlagConstDisallowed: a literal `--platform` is allowed only when the
/// stage name mentions its OS or architecture (containerd's normalized names); a
/// value that does not parse is left to the error that follows.
fn const_platform(
    stage_name: &str,
    value: &str,
    spans: &[Span],
    config: &CheckConfig,
    report: &mut Report,
) {
    let Ok(platform) = platforms::parse(value) else {
        return;
    };
    if stage_name.contains(platform.os.as_str())
        || stage_name.contains(platform.architecture.as_str())
    {
        return;
    }
    report.add(
        config,
        &rules::FROM_PLATFORM_FLAG_CONST_DISALLOWED,
        spans.to_vec(),
        rules::platform_const_detail(value),
    );
}

/// The target stage: by name (case-insensitive, last of that name) or the last one.
pub(super) fn resolve_target(states: &[StageRt], target: Option<&str>) -> Result<usize, LintError> {
    if let Some(i) = stage_names(states).target(target, states.len()) {
        return Ok(i);
    }
    let target = target.unwrap_or_default();
    let names: Vec<String> = states
        .iter()
        .enumerate()
        .map(|(i, s)| s.name.clone().unwrap_or_else(|| format!("stage-{i}")))
        .collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    Err(invalid(
        reachability::unknown_target_message(target, &names),
        Vec::new(),
    ))
}
