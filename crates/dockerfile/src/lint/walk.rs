//! The walk behind [`super::analyze`]: BuildKit's `toDispatchState` without LLB.
//!
//! Phases, in BuildKit's order (each finding is emitted where BuildKit emits it, so
//! the result lists them in the same order):
//!
//! 1. parser warnings (NoEmptyContinuation);
//! 2. instruction parsing (MaintainerDeprecated, StageNameCasing, FromAsCasing,
//!    InvalidDefinitionDescription), stopping at the first invalid instruction;
//! 3. whole-file checks (ReservedStageName, DuplicateStageName,
//!    ConsistentInstructionCasing, InvalidDefaultArgInFrom);
//! 4. stages: FROM expansion with the global ARGs (UndefinedArgInFrom,
//!    RedundantTargetPlatform, FromPlatformFlagConstDisallowed), target lookup,
//!    `COPY --from`/`RUN --mount from=` dependencies;
//! 5. dispatch of the stages that are built (every stage for lint without a
//!    target): variable expansion with the stage's environment (UndefinedVar) and
//!    the per-instruction checks;
//! 6. `error=true`: any finding fails the build.

use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};

use super::config::CheckConfig;
use super::ignore::IgnoreMatcher;
use super::rules::{self, Rule};
use super::{Analysis, Lines, LintError, Options, Outline, OutlineArg, OutlineMount, Warning};
use crate::instructions::commands::{ArgDecl, Command, CommandKind, KeyValue, Stage};
use crate::instructions::mount::{parse_mount, MountType};
use crate::instructions::parse::{parse_instruction, Parsed as Node, NO_STAGES};
use crate::instructions::scope::Vars;
use crate::instructions::suggest;
use crate::shell::{EmptyEnv, Lexer};
use crate::syntax::Parsed;
use crate::{go_quote, LineIndex};

/// BuildKit's `nonEnvArgs`: ARGs that never become variables.
const NON_ENV_ARGS: [&str; 2] = ["BUILDKIT_SBOM_SCAN_CONTEXT", "BUILDKIT_SBOM_SCAN_STAGE"];
/// `system.DefaultPathEnv("linux")`, added when an image sets no PATH.
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
/// The base name of an empty stage.
const SCRATCH: &str = "scratch";
/// Stage names BuildKit reserves.
const RESERVED_STAGE_NAMES: [&str; 2] = ["context", "scratch"];

/// Findings so far, and which rules fired (for `error=true`).
#[derive(Default)]
struct Sink {
    warnings: Vec<Warning>,
    called: Vec<&'static str>,
}

impl Sink {
    fn run(&mut self, config: &CheckConfig, rule: Rule, location: Vec<Lines>, detail: String) {
        if !config.enabled(&rule) {
            return;
        }
        if !self.called.contains(&rule.name) {
            self.called.push(rule.name);
        }
        self.warnings.push(Warning {
            rule,
            detail,
            location,
        });
    }
}

/// A command with what the checks need from its syntax node.
struct Cmd {
    command: Command,
    /// The keyword as written (`RUN`, `run`, `Run`).
    keyword: String,
    lines: Lines,
}

struct StageDef {
    stage: Stage,
    keyword: String,
    lines: Lines,
    commands: Vec<Cmd>,
}

struct MetaArgCmd {
    decls: Vec<ArgDecl>,
    lines: Lines,
}

/// What the outline knows about an ARG.
#[derive(Clone, Debug)]
struct ArgInfo {
    name: String,
    description: String,
    value: String,
    location: Vec<Lines>,
    /// Global ARGs whose value this one's default used.
    deps: BTreeSet<String>,
    /// Position inside its ARG instruction (to order ARGs declared on one line).
    position: usize,
}

/// One stage while walking.
#[derive(Default)]
struct StageRt {
    name: Option<String>,
    base_stage: Option<usize>,
    deps: BTreeSet<usize>,
    all_args: BTreeMap<String, ArgInfo>,
    used_args: BTreeSet<String>,
    secrets: Vec<OutlineMount>,
    ssh: Vec<OutlineMount>,
    env: Vars,
    /// False when the base image's environment is unknown.
    env_known: bool,
    /// ARG names declared so far (BuildKit's `buildArgs`).
    build_args: Vec<String>,
    shell: Vec<String>,
    workdir_set: bool,
    base_name: String,
    /// Where CMD, ENTRYPOINT and HEALTHCHECK were last set in this stage.
    trackers: [Option<Lines>; 3],
}

pub(super) fn run(source: &str, parsed: &Parsed, options: &Options) -> Analysis {
    let mut sink = Sink::default();
    let result = walk(source, parsed, options, &mut sink);
    let (error, outline) = match result {
        Ok(outline) => (None, Some(outline)),
        Err(error) => (Some(error), None),
    };
    Analysis {
        warnings: sink.warnings,
        error,
        outline,
    }
}

fn walk(
    source: &str,
    parsed: &Parsed,
    options: &Options,
    sink: &mut Sink,
) -> Result<Outline, LintError> {
    let index = LineIndex::new(source);
    if source.is_empty() {
        return Err(error("the Dockerfile cannot be empty", Vec::new()));
    }
    let config = match &options.check {
        Some(config) => config.clone(),
        None => {
            CheckConfig::from_directive(&parsed.dockerfile).map_err(|m| error(m, Vec::new()))?
        }
    };
    if let Some(diagnostic) = parsed.error() {
        return Err(error(
            diagnostic.message.clone(),
            vec![index.lines(diagnostic.span)],
        ));
    }
    empty_continuations(parsed, &index, &config, sink);
    let (metas, stages) = parse_phase(source, parsed, &index, &config, sink)?;
    check_stage_names(&stages, &config, sink);
    check_command_casing(&stages, &config, sink);

    let lexer = Lexer::new(parsed.dockerfile.escape);
    let target_name = match options.target {
        Some(target) => target.to_owned(),
        None => stages
            .last()
            .and_then(|s| s.stage.name.clone())
            .unwrap_or_default(),
    };
    let initial = default_args(options, &target_name);
    check_default_base_images(&stages, &metas, &initial, &lexer, options, &config, sink);
    let (globals, all_args) = meta_args(&metas, &initial, options.build_args, &lexer)?;

    let mut states = build_states(&stages, &globals, &all_args, &lexer, &config, sink)?;
    let target = resolve_target(&states, options.target)?;
    dependencies(&stages, &mut states, &lexer)?;
    let reachable = reachable(&states, target, options.all_stages);

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
        sink,
    };
    for (i, def) in stages.iter().enumerate() {
        if !reachable[i] {
            continue;
        }
        walker.init_stage(&mut states, i, options);
        for cmd in &def.commands {
            let config = config.with_comments(&cmd.command.comments);
            walker
                .dispatch(&mut states[i], cmd, &config)
                .map_err(|m| error(m, vec![cmd.lines]))?;
        }
    }

    if config.error && !walker.sink.called.is_empty() {
        let message = format!(
            "lint violation found for rules: {}",
            walker.sink.called.join(", ")
        );
        return Err(error(message, Vec::new()));
    }
    Ok(outline(&states, &stages, target))
}

fn error(message: impl Into<String>, location: Vec<Lines>) -> LintError {
    LintError {
        message: message.into(),
        location,
    }
}

/// The parser's empty-continuation warnings. BuildKit places them on the last line
/// of the instruction's own text (before any heredoc body).
fn empty_continuations(parsed: &Parsed, index: &LineIndex, config: &CheckConfig, sink: &mut Sink) {
    for warning in parsed.warnings() {
        if warning.rule != Some(rules::NO_EMPTY_CONTINUATION.name) {
            continue;
        }
        let node = parsed.dockerfile.instructions.iter().find(|ins| {
            ins.span.start <= warning.span.start
                && warning.span.start < ins.span.end.max(ins.span.start + 1)
        });
        let line = match node {
            Some(ins) => {
                let end = ins
                    .heredocs
                    .first()
                    .map_or(ins.span.end, |h| h.span.start.saturating_sub(1));
                index
                    .lines(crate::Span {
                        start: ins.span.start,
                        end,
                    })
                    .1
            }
            None => index.lines(warning.span).0,
        };
        sink.run(
            config,
            rules::NO_EMPTY_CONTINUATION,
            vec![(line, line)],
            rules::no_empty_continuation_detail(),
        );
    }
}

/// BuildKit's `instructions.Parse` with its linter: checks per instruction, then the
/// typed form; the first invalid instruction stops everything.
fn parse_phase(
    source: &str,
    parsed: &Parsed,
    index: &LineIndex,
    config: &CheckConfig,
    sink: &mut Sink,
) -> Result<(Vec<MetaArgCmd>, Vec<StageDef>), LintError> {
    let mut metas = Vec::new();
    let mut stages: Vec<StageDef> = Vec::new();
    for node in &parsed.dockerfile.instructions {
        let config = config.with_comments(&node.comments);
        let lines = index.lines(node.span);
        let keyword = node.keyword_span.text(source).to_owned();
        match node.keyword.as_str() {
            "maintainer" => sink.run(
                &config,
                rules::MAINTAINER_DEPRECATED,
                vec![lines],
                rules::maintainer_detail(),
            ),
            "from" => from_casing(&keyword, node.words(), lines, &config, sink),
            _ => {}
        }
        let typed = parse_instruction(node, stages.len(), parsed.dockerfile.escape).map_err(
            |(message, _)| {
                error(
                    format!("dockerfile parse error on line {}: {message}", lines.0),
                    vec![lines],
                )
            },
        )?;
        match typed {
            Node::Stage(stage) => {
                if let Some(name) = &stage.name {
                    definition_description(
                        "FROM",
                        std::slice::from_ref(name),
                        &node.comments,
                        lines,
                        &config,
                        sink,
                    );
                }
                stages.push(StageDef {
                    stage: *stage,
                    keyword,
                    lines,
                    commands: Vec::new(),
                });
            }
            Node::Command(command) => {
                if let CommandKind::Arg(decls) = &command.kind {
                    let keys: Vec<String> = decls.iter().map(|d| d.key.clone()).collect();
                    definition_description("ARG", &keys, &node.comments, lines, &config, sink);
                }
                match stages.last_mut() {
                    Some(stage) => stage.commands.push(Cmd {
                        command,
                        keyword,
                        lines,
                    }),
                    None => match command.kind {
                        CommandKind::Arg(decls) => metas.push(MetaArgCmd { decls, lines }),
                        _ => return Err(error("no build stage in current context", vec![lines])),
                    },
                }
            }
        }
    }
    if stages.is_empty() {
        return Err(error(NO_STAGES, Vec::new()));
    }
    Ok((metas, stages))
}

/// StageNameCasing and FromAsCasing on `FROM image AS name`.
fn from_casing(
    keyword: &str,
    words: &[crate::syntax::ast::Word],
    lines: Lines,
    config: &CheckConfig,
    sink: &mut Sink,
) {
    if words.len() != 3 {
        return;
    }
    let name = &words[2].text;
    if *name != name.to_lowercase() {
        sink.run(
            config,
            rules::STAGE_NAME_CASING,
            vec![lines],
            rules::stage_name_casing_detail(name),
        );
    }
    let as_word = &words[1].text;
    let lower = keyword == keyword.to_lowercase();
    let upper = keyword == keyword.to_uppercase();
    let matches = if lower {
        *as_word == as_word.to_lowercase()
    } else if upper {
        *as_word == as_word.to_uppercase()
    } else {
        true
    };
    if !matches {
        sink.run(
            config,
            rules::FROM_AS_CASING,
            vec![lines],
            rules::from_as_casing_detail(keyword, as_word),
        );
    }
}

/// InvalidDefinitionDescription: the comment right above must start with the name.
fn definition_description(
    instruction: &str,
    keys: &[String],
    comments: &[String],
    lines: Lines,
    config: &CheckConfig,
    sink: &mut Sink,
) {
    let (Some(last), Some(first_key)) = (comments.last(), keys.first()) else {
        return;
    };
    let first_word = last.split(' ').next().unwrap_or("");
    if keys.iter().any(|k| k == first_word) {
        return;
    }
    let example = if keys.len() > 1 {
        "<arg_key>"
    } else {
        first_key.as_str()
    };
    sink.run(
        config,
        rules::INVALID_DEFINITION_DESCRIPTION,
        vec![lines],
        rules::invalid_description_detail(instruction, example),
    );
}

/// ReservedStageName and DuplicateStageName.
fn check_stage_names(stages: &[StageDef], config: &CheckConfig, sink: &mut Sink) {
    let mut seen = BTreeSet::new();
    for def in stages {
        let Some(name) = &def.stage.name else {
            continue;
        };
        if RESERVED_STAGE_NAMES.contains(&name.as_str()) {
            sink.run(
                config,
                rules::RESERVED_STAGE_NAME,
                vec![def.lines],
                rules::reserved_stage_name_detail(name),
            );
        }
        if !seen.insert(name.clone()) {
            sink.run(
                config,
                rules::DUPLICATE_STAGE_NAME,
                vec![def.lines],
                rules::duplicate_stage_name_detail(name),
            );
        }
    }
}

/// ConsistentInstructionCasing: every keyword (global ARGs excluded, as in BuildKit)
/// against the majority casing.
fn check_command_casing(stages: &[StageDef], config: &CheckConfig, sink: &mut Sink) {
    let keywords = || {
        stages.iter().flat_map(|d| {
            std::iter::once((&d.keyword, d.lines))
                .chain(d.commands.iter().map(|c| (&c.keyword, c.lines)))
        })
    };
    let (mut lower, mut upper) = (0, 0);
    for (keyword, _) in keywords() {
        if *keyword == keyword.to_lowercase() {
            lower += 1;
        } else if *keyword == keyword.to_uppercase() {
            upper += 1;
        }
    }
    let majority_lower = lower > upper;
    for (keyword, lines) in keywords() {
        let casing = if majority_lower && keyword.to_lowercase() != *keyword {
            "lowercase"
        } else if !majority_lower && keyword.to_uppercase() != *keyword {
            "uppercase"
        } else {
            continue;
        };
        sink.run(
            config,
            rules::CONSISTENT_INSTRUCTION_CASING,
            vec![lines],
            rules::consistent_casing_detail(keyword, casing),
        );
    }
}

/// BuildKit's `defaultArgs`: platform args and `TARGETSTAGE`, each overridable by a
/// build-arg.
fn default_args(options: &Options, target_name: &str) -> Vars {
    let mut vars = options.platform_args.clone();
    vars.set(
        "TARGETSTAGE",
        if target_name.is_empty() {
            "default"
        } else {
            target_name
        },
    );
    let keys: Vec<String> = vars.iter().map(|(k, _)| k.to_owned()).collect();
    for key in keys {
        if let Some(value) = options.build_args.get(&key) {
            vars.set(&key, value);
        }
    }
    vars
}

/// InvalidDefaultArgInFrom: base names expanded with the ARG defaults only.
fn check_default_base_images(
    stages: &[StageDef],
    metas: &[MetaArgCmd],
    initial: &Vars,
    lexer: &Lexer,
    options: &Options,
    config: &CheckConfig,
    sink: &mut Sink,
) {
    let Ok((defaults, _)) = meta_args(metas, initial, &BTreeMap::new(), lexer) else {
        return;
    };
    for def in stages {
        let Ok(name) = lexer.process_word(&def.stage.base, &defaults) else {
            return;
        };
        if !(options.is_valid_image_ref)(&name) {
            sink.run(
                config,
                rules::INVALID_DEFAULT_ARG_IN_FROM,
                vec![def.lines],
                rules::invalid_default_arg_detail(&def.stage.base),
            );
        }
    }
}

/// BuildKit's `buildMetaArgs`: the global ARGs' values and outline facts.
fn meta_args(
    metas: &[MetaArgCmd],
    initial: &Vars,
    build_args: &BTreeMap<String, String>,
    lexer: &Lexer,
) -> Result<(Vars, BTreeMap<String, ArgInfo>), LintError> {
    let mut vars = initial.clone();
    let mut all: BTreeMap<String, ArgInfo> = BTreeMap::new();
    for meta in metas {
        for (position, decl) in meta.decls.iter().enumerate() {
            let mut info = ArgInfo {
                name: decl.key.clone(),
                description: decl.doc_comment.clone(),
                value: String::new(),
                location: vec![meta.lines],
                deps: BTreeSet::new(),
                position,
            };
            let value = match (build_args.get(&decl.key), &decl.value) {
                (Some(given), _) => Some(given.clone()),
                (None, Some(default)) => {
                    let expanded = lexer
                        .process_word_with_matches(default, &vars)
                        .map_err(|e| error(e.message, vec![meta.lines]))?;
                    info.deps = expanded.matched;
                    if info.deps.remove(&decl.key) {
                        if let Some(old) = all.get(&decl.key) {
                            info.deps.extend(old.deps.iter().cloned());
                        }
                    }
                    Some(expanded.result)
                }
                (None, None) => None,
            };
            if let Some(value) = value {
                vars.set(&decl.key, &value);
                info.value = value;
            }
            all.insert(decl.key.clone(), info);
        }
    }
    Ok((vars, all))
}

/// BuildKit's `buildDispatchStates`: base names and platforms expanded, stages named
/// and linked to their base stage.
fn build_states(
    stages: &[StageDef],
    globals: &Vars,
    all_args: &BTreeMap<String, ArgInfo>,
    lexer: &Lexer,
    config: &CheckConfig,
    sink: &mut Sink,
) -> Result<Vec<StageRt>, LintError> {
    let mut arg_keys: BTreeSet<String> = all_args.keys().cloned().collect();
    arg_keys.extend(globals.iter().map(|(k, _)| k.to_owned()));
    let arg_keys: Vec<&str> = arg_keys.iter().map(String::as_str).collect();
    let mut states: Vec<StageRt> = Vec::new();
    for def in stages {
        let stage = &def.stage;
        let config = config.with_comments(&stage.comments);
        let location = vec![def.lines];
        let base = lexer
            .process_word_with_matches(&stage.base, globals)
            .map_err(|e| error(e.message, location.clone()))?;
        undefined_from_args(&base.unmatched, &arg_keys, &location, &config, sink);
        if base.result.is_empty() {
            return Err(error(
                format!("base name ({}) should not be blank", stage.base),
                location,
            ));
        }
        let mut used = base.matched.clone();
        if let Some(platform) = stage.platform.as_ref().filter(|p| !p.value.is_empty()) {
            let expanded = lexer
                .process_word_with_matches(&platform.value, globals)
                .map_err(|e| {
                    error(
                        format!("failed to process arguments for platform : {}", e.message),
                        location.clone(),
                    )
                })?;
            undefined_from_args(&expanded.unmatched, &arg_keys, &location, &config, sink);
            let target_platform = globals.get("TARGETPLATFORM").unwrap_or("");
            if expanded.matched.len() == 1
                && expanded.unmatched.is_empty()
                && expanded.matched.contains("TARGETPLATFORM")
                && expanded.result == target_platform
            {
                sink.run(
                    &config,
                    rules::REDUNDANT_TARGET_PLATFORM,
                    location.clone(),
                    rules::redundant_target_platform_detail(&platform.value),
                );
            }
            if expanded.matched.is_empty() && expanded.unmatched.is_empty() {
                const_platform(
                    stage.name.as_deref().unwrap_or(""),
                    &expanded.result,
                    globals,
                    &location,
                    &config,
                    sink,
                );
            }
            if expanded.result.is_empty() {
                return Err(error(
                    format!("empty platform value from expression {}", platform.value),
                    location,
                ));
            }
            used.extend(expanded.matched);
        }
        let mut rt = StageRt {
            name: stage.name.clone(),
            base_name: base.result.clone(),
            ..StageRt::default()
        };
        // BuildKit looks the base up by the expanded name as written; the last stage
        // with that (lowercase) name wins.
        rt.base_stage = states
            .iter()
            .rposition(|s| s.name.as_deref() == Some(base.result.as_str()));
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
    location: &[Lines],
    config: &CheckConfig,
    sink: &mut Sink,
) {
    for arg in unmatched {
        if keys.contains(&arg.as_str()) {
            continue;
        }
        let suggestion = suggest::search(arg, keys, true);
        sink.run(
            config,
            rules::UNDEFINED_ARG_IN_FROM,
            location.to_vec(),
            rules::undefined_arg_in_from_detail(arg, suggestion.as_deref()),
        );
    }
}

/// FromPlatformFlagConstDisallowed: a literal `--platform` is allowed only when the
/// stage name mentions its OS or architecture.
fn const_platform(
    stage_name: &str,
    value: &str,
    globals: &Vars,
    location: &[Lines],
    config: &CheckConfig,
    sink: &mut Sink,
) {
    let Some((os, arch)) = parse_platform(value, globals) else {
        return;
    };
    if stage_name.contains(os.as_str()) || stage_name.contains(arch.as_str()) {
        return;
    }
    sink.run(
        config,
        rules::FROM_PLATFORM_FLAG_CONST_DISALLOWED,
        location.to_vec(),
        rules::platform_const_detail(value),
    );
}

/// The OS and architecture of a platform specifier, as containerd's `platforms.Parse`
/// normalizes them (an OS alone gets the build architecture); `None` if it does not
/// parse.
fn parse_platform(value: &str, globals: &Vars) -> Option<(String, String)> {
    let parts: Vec<&str> = value.split('/').collect();
    let valid = |p: &str| {
        !p.is_empty()
            && p.chars()
                .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-' || c == '.')
    };
    if parts.len() > 3 || !parts.iter().all(|p| valid(p)) {
        return None;
    }
    let arch = |a: &str| match a.to_lowercase().as_str() {
        "x86_64" | "x86-64" | "amd64" => "amd64".to_owned(),
        "aarch64" | "arm64" => "arm64".to_owned(),
        "armhf" | "armel" | "arm" => "arm".to_owned(),
        "i386" | "i686" | "386" => "386".to_owned(),
        other => other.to_owned(),
    };
    const OSES: [&str; 12] = [
        "aix",
        "android",
        "darwin",
        "dragonfly",
        "freebsd",
        "illumos",
        "ios",
        "js",
        "linux",
        "netbsd",
        "openbsd",
        "windows",
    ];
    if parts.len() == 1 {
        let only = parts[0].to_lowercase();
        if OSES.contains(&only.as_str()) {
            return Some((only, globals.get("BUILDARCH").unwrap_or("amd64").to_owned()));
        }
        return Some(("linux".to_owned(), arch(&only)));
    }
    Some((parts[0].to_lowercase(), arch(parts[1])))
}

/// The target stage: by name (case-insensitive, last of that name) or the last one.
fn resolve_target(states: &[StageRt], target: Option<&str>) -> Result<usize, LintError> {
    let Some(target) = target.filter(|t| !t.is_empty()) else {
        return Ok(states.len() - 1);
    };
    let wanted = target.to_lowercase();
    if let Some(i) = states
        .iter()
        .rposition(|s| s.name.as_deref() == Some(wanted.as_str()))
    {
        return Ok(i);
    }
    let names: Vec<String> = states
        .iter()
        .enumerate()
        .map(|(i, s)| s.name.clone().unwrap_or_else(|| format!("stage-{i}")))
        .collect();
    let names: Vec<&str> = names.iter().map(String::as_str).collect();
    let message = suggest::wrap(
        format!("target stage {} could not be found", go_quote(target)),
        target,
        &names,
        true,
    );
    Err(error(message, Vec::new()))
}

/// BuildKit's `buildStageDependencyGraph`: stages named by `COPY --from` and
/// `RUN --mount from=`.
fn dependencies(
    stages: &[StageDef],
    states: &mut [StageRt],
    lexer: &Lexer,
) -> Result<(), LintError> {
    let count = states.len();
    for (i, def) in stages.iter().enumerate() {
        for cmd in &def.commands {
            let mut froms: Vec<String> = Vec::new();
            match &cmd.command.kind {
                CommandKind::Copy(copy) => {
                    if let Some(from) = &copy.from {
                        let expanded = lexer
                            .process_word(&from.value, &EmptyEnv)
                            .map_err(|e| error(e.message, vec![cmd.lines]))?;
                        if expanded != from.value {
                            return Err(error(
                                "variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround",
                                vec![cmd.lines],
                            ));
                        }
                        if let Ok(index) = from.value.parse::<i64>() {
                            if index < 0 || index >= count as i64 {
                                return Err(error(
                                    format!("invalid stage index {index}"),
                                    vec![cmd.lines],
                                ));
                            }
                            states[i].deps.insert(index as usize);
                            continue;
                        }
                        froms.push(from.value.clone());
                    }
                }
                CommandKind::Run(run) => {
                    for mount in &run.mounts {
                        if let Some(Ok(m)) = &mount.parsed {
                            if !m.from.is_empty() {
                                froms.push(m.from.clone());
                            }
                        }
                    }
                }
                _ => {}
            }
            for from in froms {
                let wanted = from.to_lowercase();
                if let Some(dep) = states
                    .iter()
                    .rposition(|s| s.name.as_deref() == Some(wanted.as_str()))
                {
                    states[i].deps.insert(dep);
                }
            }
        }
    }
    Ok(())
}

/// Which stages are dispatched: all of them, or the target and what it builds on.
fn reachable(states: &[StageRt], target: usize, all: bool) -> Vec<bool> {
    if all {
        return vec![true; states.len()];
    }
    let mut seen = vec![false; states.len()];
    let mut todo = vec![target];
    while let Some(i) = todo.pop() {
        if seen[i] {
            continue;
        }
        seen[i] = true;
        todo.extend(states[i].base_stage);
        todo.extend(states[i].deps.iter().copied());
    }
    seen
}

struct Walker<'a> {
    lexer: Lexer,
    globals: Vars,
    build_arg_values: &'a BTreeMap<String, String>,
    ignore: Option<IgnoreMatcher>,
    sink: &'a mut Sink,
}

impl Walker<'_> {
    /// The environment a stage starts with: its base stage's, or its image's.
    fn init_stage(&mut self, states: &mut [StageRt], i: usize, options: &Options) {
        if let Some(b) = states[i].base_stage.filter(|&b| b < i) {
            let (env, known, args, shell, workdir) = {
                let base = &states[b];
                (
                    base.env.clone(),
                    base.env_known,
                    base.build_args.clone(),
                    base.shell.clone(),
                    base.workdir_set,
                )
            };
            let rt = &mut states[i];
            rt.env = env;
            rt.env_known = known;
            rt.build_args = args;
            rt.shell = shell;
            rt.workdir_set = workdir;
            return;
        }
        let rt = &mut states[i];
        let image = if rt.base_name == SCRATCH {
            Some(super::BaseImage::default())
        } else {
            options.images.get(&i).cloned()
        };
        rt.env_known = image.is_some();
        let image = image.unwrap_or_default();
        rt.env = Vars::from_env_list(image.env.iter().map(String::as_str));
        if rt.env.get("PATH").is_none() {
            rt.env.set("PATH", DEFAULT_PATH);
        }
        rt.shell = image.shell;
    }

    /// Expands `word` with the stage environment, reporting UndefinedVar.
    fn expand(
        &mut self,
        rt: &StageRt,
        word: &str,
        raw: bool,
        config: &CheckConfig,
        lines: Lines,
    ) -> Result<String, String> {
        let mut lexer = self.lexer.clone();
        if raw {
            lexer = Lexer::new('\\');
            lexer.skip_process_quotes = true;
        }
        let expansion = lexer
            .process_word_with_matches(word, &rt.env)
            .map_err(|e| e.message)?;
        self.unmatched(rt, &expansion.unmatched, config, lines);
        Ok(expansion.result)
    }

    /// BuildKit's `reportUnmatchedVariables`.
    fn unmatched(
        &mut self,
        rt: &StageRt,
        names: &BTreeSet<String>,
        config: &CheckConfig,
        lines: Lines,
    ) {
        if !rt.env_known || names.is_empty() {
            return;
        }
        let mut keys: Vec<&str> = rt.env.iter().map(|(k, _)| k).collect();
        keys.sort_unstable();
        for name in names {
            if rt.build_args.contains(name) || NON_ENV_ARGS.contains(&name.as_str()) {
                continue;
            }
            let suggestion = suggest::search(name, &keys, true);
            self.sink.run(
                config,
                rules::UNDEFINED_VAR,
                vec![lines],
                rules::undefined_var_detail(name, suggestion.as_deref()),
            );
        }
    }

    fn expand_pairs(
        &mut self,
        rt: &StageRt,
        pairs: &[KeyValue],
        config: &CheckConfig,
        lines: Lines,
    ) -> Result<Vec<(String, String, bool)>, String> {
        let mut out = Vec::new();
        for pair in pairs {
            let key = self.expand(rt, &pair.key, false, config, lines)?;
            let value = self.expand(rt, &pair.value, false, config, lines)?;
            out.push((key, value, pair.legacy));
        }
        Ok(out)
    }

    fn dispatch(
        &mut self,
        rt: &mut StageRt,
        cmd: &Cmd,
        config: &CheckConfig,
    ) -> Result<(), String> {
        let lines = cmd.lines;
        let keyword = cmd.keyword.as_str();
        match &cmd.command.kind {
            CommandKind::Env(pairs) => {
                for (key, value, legacy) in self.expand_pairs(rt, pairs, config, lines)? {
                    if legacy {
                        self.sink.run(
                            config,
                            rules::LEGACY_KEY_VALUE_FORMAT,
                            vec![lines],
                            rules::legacy_key_value_detail(keyword),
                        );
                    }
                    self.secret_key("ENV", &key, config, lines);
                    rt.env.set(&key, &value);
                }
            }
            CommandKind::Label(pairs) => {
                for (_, _, legacy) in self.expand_pairs(rt, pairs, config, lines)? {
                    if legacy {
                        self.sink.run(
                            config,
                            rules::LEGACY_KEY_VALUE_FORMAT,
                            vec![lines],
                            rules::legacy_key_value_detail(keyword),
                        );
                    }
                }
            }
            CommandKind::Add(add) => {
                for flag in [&add.chown, &add.chmod, &add.checksum] {
                    self.expand(
                        rt,
                        flag.as_ref().map_or("", |f| f.value.as_str()),
                        false,
                        config,
                        lines,
                    )?;
                }
                let sources = self.expand_paths(rt, &add.paths, config, lines)?;
                self.ignored_sources("Add", &sources, config, lines);
            }
            CommandKind::Copy(copy) => {
                for flag in [&copy.chown, &copy.chmod] {
                    self.expand(
                        rt,
                        flag.as_ref().map_or("", |f| f.value.as_str()),
                        false,
                        config,
                        lines,
                    )?;
                }
                let sources = self.expand_paths(rt, &copy.paths, config, lines)?;
                if copy.from.is_none() {
                    self.ignored_sources("Copy", &sources, config, lines);
                }
            }
            CommandKind::Workdir(path) => {
                let path = self.expand(rt, path, false, config, lines)?;
                if !rt.workdir_set && !path.starts_with('/') {
                    self.sink.run(
                        config,
                        rules::WORKDIR_RELATIVE_PATH,
                        vec![lines],
                        rules::workdir_relative_detail(&path),
                    );
                }
                rt.workdir_set = true;
            }
            CommandKind::User(word) | CommandKind::StopSignal(word) => {
                self.expand(rt, word, false, config, lines)?;
            }
            CommandKind::Volume(volumes) => {
                for volume in volumes {
                    self.expand(rt, volume, false, config, lines)?;
                }
            }
            CommandKind::Run(run) => self.run_mounts(rt, run, config, lines)?,
            CommandKind::Cmd(line) | CommandKind::Entrypoint(line) => {
                let which = if matches!(cmd.command.kind, CommandKind::Cmd(_)) {
                    0
                } else {
                    1
                };
                self.used_once(rt, which, keyword, config, lines);
                if line.prepend_shell && rt.shell.is_empty() {
                    self.sink.run(
                        config,
                        rules::JSON_ARGS_RECOMMENDED,
                        vec![lines],
                        rules::json_args_detail(keyword),
                    );
                }
            }
            CommandKind::Healthcheck(_) => self.used_once(rt, 2, keyword, config, lines),
            CommandKind::Shell(shell) => rt.shell = shell.clone(),
            CommandKind::Arg(decls) => self.arg(rt, decls, config, lines)?,
            CommandKind::Expose(_) | CommandKind::Maintainer(_) | CommandKind::Onbuild(_) => {}
        }
        Ok(())
    }

    /// MultipleInstructionsDisallowed: the earlier CMD/ENTRYPOINT/HEALTHCHECK is the
    /// one reported, since it is the one ignored.
    fn used_once(
        &mut self,
        rt: &mut StageRt,
        which: usize,
        keyword: &str,
        config: &CheckConfig,
        lines: Lines,
    ) {
        let slot = &mut rt.trackers[which];
        if let Some(previous) = *slot {
            self.sink.run(
                config,
                rules::MULTIPLE_INSTRUCTIONS_DISALLOWED,
                vec![previous],
                rules::multiple_instructions_detail(keyword),
            );
        }
        *slot = Some(lines);
    }

    fn expand_paths(
        &mut self,
        rt: &StageRt,
        paths: &crate::instructions::commands::SourcesAndDest,
        config: &CheckConfig,
        lines: Lines,
    ) -> Result<Vec<String>, String> {
        let mut sources = Vec::new();
        for source in &paths.sources {
            sources.push(self.expand(rt, source, false, config, lines)?);
        }
        self.expand(rt, &paths.dest, false, config, lines)?;
        for content in paths.contents.iter().filter(|c| c.expand) {
            self.expand(rt, &content.data, true, config, lines)?;
        }
        Ok(sources)
    }

    /// CopyIgnoredFile (BuildKit's `validateCopySourcePath`).
    fn ignored_sources(
        &mut self,
        command: &str,
        sources: &[String],
        config: &CheckConfig,
        lines: Lines,
    ) {
        let Some(ignore) = &self.ignore else { return };
        if ignore.has_exclusions() {
            return;
        }
        for source in sources {
            if source.contains("://") || source.starts_with("git@") {
                continue;
            }
            let cleaned = crate::dockerignore::clean(source);
            if (cleaned == "." || cleaned == "/") && !ignore.ignores_root() {
                continue;
            }
            if ignore.matches_or_parent_matches(&cleaned) {
                self.sink.run(
                    config,
                    rules::COPY_IGNORED_FILE,
                    vec![lines],
                    rules::copy_ignored_detail(command, &cleaned),
                );
            }
        }
    }

    /// RUN mounts: expanded like BuildKit's `setMountState`; secrets and SSH sockets
    /// are recorded for the outline (first use of an id wins).
    fn run_mounts(
        &mut self,
        rt: &mut StageRt,
        run: &crate::instructions::commands::Run,
        config: &CheckConfig,
        lines: Lines,
    ) -> Result<(), String> {
        for flag in &run.mounts {
            let unmatched = RefCell::new(BTreeSet::new());
            let env = &rt.env;
            let lexer = &self.lexer;
            let expander = |word: &str| -> Result<String, String> {
                let expansion = lexer
                    .process_word_with_matches(word, env)
                    .map_err(|e| e.message)?;
                unmatched.borrow_mut().extend(expansion.unmatched);
                Ok(expansion.result)
            };
            let parsed = parse_mount(&flag.raw.value, Some(&expander));
            let names = unmatched.into_inner();
            self.unmatched(rt, &names, config, lines);
            let Some(mount) = parsed? else { continue };
            match mount.kind {
                MountType::Secret => {
                    let mut id = if mount.source.is_empty() {
                        mount.id.clone()
                    } else {
                        mount.source.clone()
                    };
                    if id.is_empty() {
                        if mount.target.is_empty() {
                            return Err("one of source, target required".to_owned());
                        }
                        id = mount
                            .target
                            .rsplit('/')
                            .find(|p| !p.is_empty())
                            .unwrap_or("/")
                            .to_owned();
                    }
                    if !rt.secrets.iter().any(|s| s.name == id) {
                        rt.secrets.push(OutlineMount {
                            name: id,
                            required: mount.required,
                            location: vec![lines],
                        });
                    }
                }
                MountType::Ssh => {
                    if !mount.source.is_empty() {
                        return Err("ssh does not support source".to_owned());
                    }
                    let id = if mount.id.is_empty() {
                        "default".to_owned()
                    } else {
                        mount.id.clone()
                    };
                    if !rt.ssh.iter().any(|s| s.name == id) {
                        rt.ssh.push(OutlineMount {
                            name: id,
                            required: mount.required,
                            location: vec![lines],
                        });
                    }
                }
                _ => {}
            }
        }
        Ok(())
    }

    /// BuildKit's `dispatchArg`.
    fn arg(
        &mut self,
        rt: &mut StageRt,
        decls: &[ArgDecl],
        config: &CheckConfig,
        lines: Lines,
    ) -> Result<(), String> {
        for (position, decl) in decls.iter().enumerate() {
            self.secret_key("ARG", &decl.key, config, lines);
            let given = self.build_arg_values.get(&decl.key);
            let mut skip_info = false;
            let mut value = None;
            if decl.value.is_none() && given.is_none() {
                if let Some(global) = self.globals.get(&decl.key) {
                    value = Some(global.to_owned());
                    skip_info = true;
                }
            }
            if let Some(given) = given {
                value = Some(given.clone());
            } else if let Some(default) = &decl.value {
                value = Some(self.expand(rt, default, false, config, lines)?);
            }
            if let Some(value) = &value {
                if !NON_ENV_ARGS.contains(&decl.key.as_str()) {
                    rt.env.set(&decl.key, value);
                }
            }
            if !skip_info {
                let info = ArgInfo {
                    name: decl.key.clone(),
                    description: decl.doc_comment.clone(),
                    value: value.unwrap_or_default(),
                    location: vec![lines],
                    deps: BTreeSet::new(),
                    position,
                };
                rt.all_args.insert(decl.key.clone(), info);
            }
            rt.used_args.insert(decl.key.clone());
            rt.build_args.push(decl.key.clone());
        }
        Ok(())
    }

    /// SecretsUsedInArgOrEnv: a name whose first or last `_`-separated word is a
    /// secret-ish token (and none of the allowed ones).
    fn secret_key(&mut self, instruction: &str, key: &str, config: &CheckConfig, lines: Lines) {
        const DENY: [&str; 10] = [
            "apikey",
            "auth",
            "credential",
            "credentials",
            "key",
            "password",
            "pword",
            "passwd",
            "secret",
            "token",
        ];
        const ALLOW: [&str; 3] = ["public", "file", "version"];
        if has_token(key, &DENY) && !has_token(key, &ALLOW) {
            self.sink.run(
                config,
                rules::SECRETS_USED_IN_ARG_OR_ENV,
                vec![lines],
                rules::secrets_detail(instruction, key),
            );
        }
    }
}

/// `(?i)(?:_|^)(?:tok1|tok2|…)(?:_|$)`: a token delimited by `_` or the ends.
fn has_token(key: &str, tokens: &[&str]) -> bool {
    let lower = key.to_lowercase();
    tokens.iter().any(|token| {
        lower.match_indices(token).any(|(start, _)| {
            let end = start + token.len();
            let before = start == 0 || lower.as_bytes()[start - 1] == b'_';
            let after = end == lower.len() || lower.as_bytes()[end] == b'_';
            before && after
        })
    })
}

/// BuildKit's `Outline`: the ARGs, secrets and SSH sockets of the target and of every
/// stage it builds on, sorted by line.
fn outline(states: &[StageRt], stages: &[StageDef], target: usize) -> Outline {
    let mut args = Vec::new();
    collect_args(
        states,
        target,
        &mut BTreeSet::new(),
        &mut BTreeSet::new(),
        &mut args,
    );
    args.sort_by_key(|a: &ArgInfo| (a.location.first().map_or(0, |l| l.0), a.position));
    let mut secrets = Vec::new();
    collect_mounts(
        states,
        target,
        &mut BTreeSet::new(),
        &mut BTreeSet::new(),
        &mut secrets,
        |s| &s.secrets,
    );
    let mut ssh = Vec::new();
    collect_mounts(
        states,
        target,
        &mut BTreeSet::new(),
        &mut BTreeSet::new(),
        &mut ssh,
        |s| &s.ssh,
    );
    let stage = &stages[target].stage;
    Outline {
        name: stage.name.clone().unwrap_or_default(),
        description: stage.doc_comment.clone(),
        args: args
            .into_iter()
            .map(|a| OutlineArg {
                name: a.name,
                description: a.description,
                value: a.value,
                location: a.location,
            })
            .collect(),
        secrets,
        ssh,
    }
}

fn collect_args(
    states: &[StageRt],
    i: usize,
    visited: &mut BTreeSet<String>,
    stages_seen: &mut BTreeSet<usize>,
    out: &mut Vec<ArgInfo>,
) {
    if !stages_seen.insert(i) {
        return;
    }
    let rt = &states[i];
    // BuildKit's markAllUsed: an ARG used also uses the ARGs its default read.
    let mut used = BTreeSet::new();
    let mut todo: Vec<String> = rt.used_args.iter().cloned().collect();
    while let Some(name) = todo.pop() {
        if !used.insert(name.clone()) {
            continue;
        }
        if let Some(info) = rt.all_args.get(&name) {
            todo.extend(info.deps.iter().cloned());
        }
    }
    for name in &used {
        if let Some(info) = rt.all_args.get(name) {
            if visited.insert(name.clone()) {
                out.push(info.clone());
            }
        }
    }
    if let Some(base) = rt.base_stage {
        collect_args(states, base, visited, stages_seen, out);
    }
    for &dep in &rt.deps {
        collect_args(states, dep, visited, stages_seen, out);
    }
}

fn collect_mounts(
    states: &[StageRt],
    i: usize,
    visited: &mut BTreeSet<String>,
    stages_seen: &mut BTreeSet<usize>,
    out: &mut Vec<OutlineMount>,
    pick: fn(&StageRt) -> &Vec<OutlineMount>,
) {
    if !stages_seen.insert(i) {
        return;
    }
    let rt = &states[i];
    for mount in pick(rt) {
        if visited.insert(mount.name.clone()) {
            out.push(mount.clone());
        }
    }
    if let Some(base) = rt.base_stage {
        collect_mounts(states, base, visited, stages_seen, out, pick);
    }
    for &dep in &rt.deps {
        collect_mounts(states, dep, visited, stages_seen, out, pick);
    }
    out.sort_by_key(|m| m.location.first().map_or(0, |l| l.0));
}

/// The stages whose base is an external image (not `scratch`, not an earlier stage),
/// with the base name expanded by the global ARGs: the images to resolve before
/// [`super::analyze`]. Stages whose FROM cannot be expanded are left out.
pub fn external_bases(
    parsed: &Parsed,
    build_args: &BTreeMap<String, String>,
    platform_args: &Vars,
    target: Option<&str>,
) -> Vec<(usize, String)> {
    let Ok(ir) = crate::instructions::parse_dockerfile(&parsed.dockerfile) else {
        return Vec::new();
    };
    let lexer = Lexer::new(parsed.dockerfile.escape);
    let metas: Vec<MetaArgCmd> = ir
        .meta_args
        .iter()
        .filter_map(|c| match &c.kind {
            CommandKind::Arg(decls) => Some(MetaArgCmd {
                decls: decls.clone(),
                lines: (0, 0),
            }),
            _ => None,
        })
        .collect();
    let target_name = match target {
        Some(t) => t.to_owned(),
        None => ir
            .stages
            .last()
            .and_then(|s| s.name.clone())
            .unwrap_or_default(),
    };
    let mut initial = platform_args.clone();
    initial.set(
        "TARGETSTAGE",
        if target_name.is_empty() {
            "default"
        } else {
            &target_name
        },
    );
    for key in initial
        .iter()
        .map(|(k, _)| k.to_owned())
        .collect::<Vec<_>>()
    {
        if let Some(value) = build_args.get(&key) {
            initial.set(&key, value);
        }
    }
    let Ok((globals, _)) = meta_args(&metas, &initial, build_args, &lexer) else {
        return Vec::new();
    };
    let mut names: Vec<Option<String>> = Vec::new();
    let mut out = Vec::new();
    for stage in &ir.stages {
        let base = lexer
            .process_word(&stage.base, &globals)
            .unwrap_or_default();
        let is_stage = names.iter().any(|n| n.as_deref() == Some(base.as_str()));
        if !base.is_empty() && base != SCRATCH && !is_stage {
            out.push((stage.index, base));
        }
        names.push(stage.name.clone());
    }
    out
}
