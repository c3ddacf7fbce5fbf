//! Everything that happens before base images are resolved (BuildKit v0.8.3
//! `Dockerfile2LLB` up to the image-config goroutines): parsing, global ARGs, stage
//! states with their expanded base names and platforms, the target, the stage
//! dependency graph (with its "unregistered" states for `COPY --from=<image>` and
//! cache mounts), the circular-dependency check and reachability.
//!
//! Both phases of the public API build the same plan, so the images requested in
//! phase 1 are exactly the ones phase 2 looks up.

use std::borrow::Cow;
use std::collections::BTreeSet;

use dfopt_dockerfile::instructions::{self, Command, CommandKind, Stage};
use dfopt_dockerfile::shell::Lexer;
use dfopt_dockerfile::stages::builtin_args::{self, ArgPlatform, PredefinedArgs};
use dfopt_dockerfile::stages::lookup::StageNames;
use dfopt_dockerfile::stages::reachability;
use dfopt_dockerfile::stages::scope::{self, Vars};
use dfopt_dockerfile::{LineIndex, Span};
use dfopt_llb::{ImageRef, Platform};

use crate::dialect::Dialect;
use crate::expand::{self, MetaArg, MetaArgs};
use crate::input::{self, ConvertInput};
use crate::options::{ConvertError, ConvertOptions, NoCache, Warning};
use crate::platform;

/// Where a state's `FROM` is, for errors and the image source's location.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Loc {
    /// A span of the Dockerfile.
    Span(Span),
    /// No span (an image named by `RUN --mount from=`): BuildKit then records a source
    /// location with no ranges.
    Nowhere,
}

impl Loc {
    pub(crate) fn span(self) -> Option<Span> {
        match self {
            Loc::Span(s) => Some(s),
            Loc::Nowhere => None,
        }
    }
}

/// One instruction to dispatch, with the states it reads (`COPY --from`, mounts).
#[derive(Debug, Clone)]
pub(crate) struct Cmd<'a> {
    /// Borrowed from the input's IR (an ONBUILD trigger's is parsed on its own).
    pub(crate) command: Cow<'a, Command>,
    /// Per BuildKit's `command.sources`: `[from]` for COPY, one entry per mount for RUN.
    pub(crate) sources: Vec<Option<usize>>,
    /// 1-based first and last line of each user instruction it stands for (the
    /// source map).
    pub(crate) lines: Vec<(u32, u32)>,
    /// Where errors point.
    pub(crate) span: Span,
    /// Appended to the progress name of the step (a rewritten command).
    pub(crate) note: Option<String>,
}

/// BuildKit's `dispatchState`, minus what only exists while dispatching.
#[derive(Debug, Clone)]
pub(crate) struct DState<'a> {
    /// The expanded base name (`FROM` argument), or for unregistered states the name
    /// they were referred to by.
    pub(crate) base_name: String,
    /// The `AS` name (lowercase).
    pub(crate) name: Option<String>,
    /// The prefix of progress names (`stage-0`, `builder`, or empty).
    pub(crate) stage_name: String,
    /// `--platform`, as parsed (not normalized).
    pub(crate) platform: Option<Platform>,
    /// The stage this one is built `FROM`.
    pub(crate) base: Option<usize>,
    pub(crate) deps: BTreeSet<usize>,
    pub(crate) commands: Vec<Cmd<'a>>,
    pub(crate) cmd_total: usize,
    pub(crate) ignore_cache: bool,
    pub(crate) unregistered: bool,
    pub(crate) location: Loc,
    /// The `FROM` line (BuildKit's `SourceCode`), the image source's description.
    pub(crate) source_code: String,
}

pub(crate) struct Plan<'a> {
    pub(crate) lexer: Lexer,
    pub(crate) line_index: LineIndex,
    /// BuildKit's `optMetaArgs`: platform args, then global ARGs, build-args applied.
    pub(crate) meta_args: Vec<MetaArg>,
    pub(crate) states: Vec<DState<'a>>,
    pub(crate) target: usize,
    pub(crate) reachable: Vec<bool>,
    pub(crate) warnings: Vec<Warning>,
    /// The target platform (explicit, or the build platform).
    pub(crate) target_platform: Platform,
    /// Stage names → state indices (registered states only; of two stages with one
    /// name, the later).
    pub(crate) names: StageNames,
}

pub(crate) const SCRATCH: &str = "scratch";

fn err(message: impl Into<String>, span: Option<Span>) -> ConvertError {
    ConvertError::new(message, span)
}

impl<'a> Plan<'a> {
    pub(crate) fn build(
        source: &str,
        input: &'a ConvertInput,
        opts: &ConvertOptions,
    ) -> Result<Plan<'a>, ConvertError> {
        if source.is_empty() {
            return Err(input::empty_dockerfile());
        }
        let ir = &input.ir;
        let warnings = input.warnings.clone();
        // BuildKit v0.8.3 falls back to a helper image (`docker/dockerfile-copy`) for
        // COPY/ADD/WORKDIR when this is set; dfopt only emits file ops.
        if opts
            .build_args
            .get("BUILDKIT_DISABLE_FILEOP")
            .and_then(|v| instructions::mount::parse_bool(v))
            == Some(true)
        {
            return Err(err(
                "BUILDKIT_DISABLE_FILEOP=true (COPY through the docker/dockerfile-copy helper image) is not supported by dfopt",
                None,
            ));
        }
        let lexer = Lexer::new(input.escape);
        let line_index = LineIndex::new(source);

        let target_platform = opts
            .target_platform
            .clone()
            .unwrap_or_else(|| opts.build_platform.clone());

        // Predefined args (current BuildKit's `defaultArgs`), overridden by
        // build-args. TARGETSTAGE is the `--target`, else the last stage's
        // name, else "default" (BuildKit v0.8 had no TARGETSTAGE; a Dockerfile
        // that declares it gets current BuildKit's value).
        let arg_platform = |p: &Platform| {
            ArgPlatform::new(platform::format(p), &p.os, &p.architecture, &p.variant)
        };
        let predefined = PredefinedArgs {
            build: Some(arg_platform(&opts.build_platform)),
            target: Some(arg_platform(&target_platform)),
            target_stage: Some(builtin_args::target_stage(
                opts.target.as_deref(),
                ir.stages.last().and_then(|s| s.name.as_deref()),
            )),
            os_version: false,
        };
        let predefined = predefined.list(Some(&opts.build_args));
        let mut vars = Vars::default();
        for (key, value) in &predefined {
            vars.set(key, value);
        }
        let mut meta_args: Vec<MetaArg> = predefined
            .into_iter()
            .map(|(k, v)| (Cow::Borrowed(k), Some(v)))
            .collect();

        // Global ARGs: defaults expanded against what came before (errors give
        // ""); one declared without a value is "" to the ones after it.
        let globals = scope::resolve_meta_args_lenient(
            scope::global_arg_decls(ir),
            &opts.build_args,
            &mut vars,
            &lexer,
        );
        meta_args.extend(globals.into_iter().map(|m| (Cow::Owned(m.key), m.value)));

        let mut plan = Plan {
            lexer,
            line_index,
            meta_args,
            states: Vec::new(),
            target: 0,
            reachable: Vec::new(),
            warnings,
            target_platform,
            names: StageNames::default(),
        };
        let mut names = StageNames::default();
        for (i, stage) in ir.stages.iter().enumerate() {
            let state = plan.stage_state(i, stage, opts, &names)?;
            names.register(state.name.as_deref(), plan.states.len());
            plan.states.push(state);
        }
        let stage_count = plan.states.len();

        plan.target = match names.target(opts.target.as_deref(), stage_count) {
            Some(i) => i,
            None => {
                let t = opts.target.as_deref().unwrap_or_default();
                let options: Vec<&str> = names.names().collect();
                let message = reachability::unknown_target_message(t, &options);
                // BuildKit names no line; dfopt frames the stage it suggests, or
                // else every named stage, so the user sees what can be targeted.
                let suggested = instructions::suggest::search(t, &options, true)
                    .and_then(|name| names.find(&name));
                let mut spans: Vec<Span> = match suggested {
                    Some(i) => vec![ir.stages[i].span],
                    None => options
                        .iter()
                        .filter_map(|n| names.find(n))
                        .map(|i| ir.stages[i].span)
                        .collect(),
                };
                spans.sort_unstable_by_key(|span| span.start);
                let first = (!spans.is_empty()).then(|| spans.remove(0));
                return Err(err(message, first).with_related(spans));
            }
        };

        // Commands and their sources; unregistered states are appended as found.
        let dialect = Dialect::for_caps(&opts.caps);
        for (i, stage) in ir.stages.iter().enumerate() {
            plan.states[i].commands.reserve_exact(stage.commands.len());
            for (index, command) in stage.commands.iter().enumerate() {
                let sources = plan.command_sources(command, &names, false, dialect)?;
                for src in sources.iter().flatten() {
                    plan.states[i].deps.insert(*src);
                }
                let origin = input.origins.get(&(i, index));
                let cmd = match origin {
                    Some(origin) => Cmd {
                        command: Cow::Borrowed(command),
                        sources,
                        lines: origin
                            .spans
                            .iter()
                            .map(|&span| plan.line_index.lines(span))
                            .collect(),
                        span: origin.spans.first().copied().unwrap_or(command.span),
                        note: origin.note.clone(),
                    },
                    None => Cmd {
                        command: Cow::Borrowed(command),
                        sources,
                        lines: vec![plan.line_index.lines(command.span)],
                        span: command.span,
                        note: None,
                    },
                };
                plan.states[i].commands.push(cmd);
            }
        }

        if let Some((state, mut cycle)) = plan.circular_dependency() {
            let first = (!cycle.is_empty()).then(|| cycle.remove(0));
            return Err(err(
                format!(
                    "circular dependency detected on stage: {}",
                    plan.states[state].stage_name
                ),
                first,
            )
            .with_related(cycle));
        }
        if plan.states.len() == 1 {
            plan.states[0].stage_name = String::new();
        }
        plan.reachable = plan.reachable_from(plan.target);
        plan.names = names;
        Ok(plan)
    }

    /// A `FROM`: its state with expanded name and platform (BuildKit's first loop).
    fn stage_state(
        &self,
        index: usize,
        stage: &Stage,
        opts: &ConvertOptions,
        names: &StageNames,
    ) -> Result<DState<'a>, ConvertError> {
        let span = Some(stage.span);
        let metas = MetaArgs(&self.meta_args);
        let base_name = expand::process_word(&self.lexer, &stage.base, &metas)
            .map_err(|e| err(e.message, span))?;
        if base_name.is_empty() {
            return Err(err(
                format!("base name ({}) should not be blank", stage.base),
                span,
            ));
        }
        let platform = match &stage.platform {
            None => None,
            Some(flag) => {
                let value =
                    expand::process_word(&self.lexer, &flag.value, &metas).map_err(|e| {
                        err(
                            format!("failed to process arguments for platform : {}", e.message),
                            span,
                        )
                    })?;
                let p = platform::parse(&value, &opts.build_platform)
                    .map_err(|e| err(format!("failed to parse platform {value}: {e}"), span))?;
                Some(p)
            }
        };
        let base = names.base(&base_name);
        let mut cmd_total = usize::from(base_name != SCRATCH && base.is_none());
        for cmd in &stage.commands {
            if matches!(
                cmd.kind,
                CommandKind::Add(_)
                    | CommandKind::Copy(_)
                    | CommandKind::Run(_)
                    | CommandKind::Workdir(_)
            ) {
                cmd_total += 1;
            }
        }
        let ignore_cache = match &opts.no_cache {
            NoCache::None => false,
            NoCache::All => true,
            NoCache::Stages(list) => stage
                .name
                .as_ref()
                .is_some_and(|n| list.iter().any(|s| s.to_lowercase() == n.to_lowercase())),
        };
        Ok(DState {
            base_name,
            name: stage.name.clone(),
            stage_name: stage
                .name
                .clone()
                .unwrap_or_else(|| format!("stage-{index}")),
            platform,
            base,
            deps: BTreeSet::new(),
            commands: Vec::new(),
            cmd_total,
            ignore_cache,
            unregistered: false,
            location: Loc::Span(stage.span),
            source_code: stage.source_code.clone(),
        })
    }

    /// BuildKit's `toCommand`: the states a command reads. With `trigger` (ONBUILD)
    /// nothing is registered: an unknown name yields `None` in place of a state.
    /// BuildKit v0.25 gives every RUN mount without `from` (any type) a `scratch`
    /// state of its own; v0.8 only cache mounts. Those states count as stages, so a
    /// one-stage Dockerfile with such a mount gets `[stage-0 i/n]` step names.
    pub(crate) fn command_sources(
        &mut self,
        command: &Command,
        names: &StageNames,
        trigger: bool,
        dialect: Dialect,
    ) -> Result<Vec<Option<usize>>, ConvertError> {
        let mut sources = Vec::new();
        match &command.kind {
            CommandKind::Copy(copy) => {
                if let Some(from) = copy.from.as_ref().filter(|f| !f.value.is_empty()) {
                    let from = &from.value;
                    let state = match names
                        .copy_from(from, self.states.len())
                        .map_err(|message| err(message, Some(command.span)))?
                    {
                        Some(i) => Some(i),
                        None if trigger => None,
                        None => Some(self.unregistered(from, Loc::Span(command.span))),
                    };
                    sources.push(state);
                }
            }
            CommandKind::Run(run) => {
                for mount in &run.mounts {
                    let (kind, from) = reachability::run_mount_source(&mount.raw.value);
                    let from = match (from.as_str(), kind.as_deref()) {
                        ("", Some("cache")) => SCRATCH.to_owned(),
                        ("", _) if !dialect.is_v0_8() => SCRATCH.to_owned(),
                        _ => from,
                    };
                    if from.is_empty() || (kind.as_deref() == Some("tmpfs") && dialect.is_v0_8()) {
                        sources.push(None);
                        continue;
                    }
                    let state = match names.mount_from(&from) {
                        Some(i) => Some(i),
                        None if trigger => None,
                        None => Some(self.unregistered(&from, Loc::Nowhere)),
                    };
                    sources.push(state);
                }
            }
            _ => {}
        }
        Ok(sources)
    }

    /// Appends an unregistered state (an image, or `scratch`, named by COPY --from or
    /// a mount) and returns its index.
    fn unregistered(&mut self, base_name: &str, location: Loc) -> usize {
        self.states.push(DState {
            base_name: base_name.to_owned(),
            name: None,
            stage_name: String::new(),
            platform: None,
            base: None,
            deps: BTreeSet::new(),
            commands: Vec::new(),
            cmd_total: 0,
            ignore_cache: false,
            unregistered: true,
            location,
            source_code: String::new(),
        });
        self.states.len() - 1
    }

    /// BuildKit's `validateCircularDependency`: the first state on a cycle of
    /// stage reads (in state order, each state's reads in index order), with
    /// the instructions that make the cycle, from that state's read on.
    fn circular_dependency(&self) -> Option<(usize, Vec<Span>)> {
        reachability::first_cycle(self.states.len(), |i| {
            self.states[i]
                .deps
                .iter()
                .map(|&dep| (dep, self.dependency_span(i, dep)))
                .collect()
        })
    }

    /// The instruction of state `i` that makes it depend on `dep`: the last one
    /// naming it, as BuildKit records it.
    fn dependency_span(&self, i: usize, dep: usize) -> Option<Span> {
        self.states[i]
            .commands
            .iter()
            .rev()
            .find(|cmd| cmd.sources.iter().flatten().any(|&src| src == dep))
            .map(|cmd| cmd.span)
    }

    /// `isReachable(from, i)` for every state `i` at once, over bases and deps.
    fn reachable_from(&self, from: usize) -> Vec<bool> {
        reachability::reachable(self.states.len(), from, |s| {
            let st = &self.states[s];
            st.base.into_iter().chain(st.deps.iter().copied())
        })
    }
}

/// Whether `s` names its tag explicitly (`busybox:1.36`, not `busybox` nor
/// `localhost:5000/x`).
pub(crate) fn has_explicit_tag(s: &str) -> bool {
    let name = s.split('@').next().unwrap_or(s);
    let last = name.rsplit('/').next().unwrap_or(name);
    last.contains(':')
}

/// The message `reference.ParseNormalizedNamed` gives for what dfopt-llb rejected.
fn go_reference_error(s: &str, reason: &str) -> String {
    if reason.contains("must be lowercase") {
        "invalid reference format: repository name must be lowercase".to_owned()
    } else if reason.contains("64-byte hexadecimal") {
        format!("invalid repository name ({s}), cannot specify 64-byte hexadecimal strings")
    } else if reason.contains("at least one component") || reason.contains("255 characters") {
        reason.to_owned()
    } else {
        "invalid reference format".to_owned()
    }
}

/// A parsed `FROM` reference: BuildKit's `reference.ParseNormalizedNamed` result
/// (which keeps "no tag" apart from `:latest`).
#[derive(Debug, Clone)]
pub(crate) struct NamedRef {
    /// `TagNameOnly(ref).String()`: what is resolved.
    pub(crate) tag_name_only: String,
    name: String,
    tag: Option<String>,
    /// The tag of `tag_name_only` (`latest` when the text names neither tag nor digest).
    normalized_tag: Option<String>,
    digest: Option<String>,
}

impl NamedRef {
    pub(crate) fn parse(base_name: &str) -> Result<NamedRef, String> {
        let r = ImageRef::parse_normalized(base_name)
            .map_err(|e| go_reference_error(base_name, &e.reason))?;
        let tag = if has_explicit_tag(base_name) {
            r.tag().map(str::to_owned)
        } else {
            None
        };
        let name = r.name();
        Ok(NamedRef {
            tag_name_only: Self::full_text(&name, r.tag(), r.digest()),
            name,
            tag,
            normalized_tag: r.tag().map(str::to_owned),
            digest: r.digest().map(str::to_owned),
        })
    }

    /// `name[:tag][@digest]` (what `ImageRef`'s `Display` writes), allocated once.
    fn full_text(name: &str, tag: Option<&str>, digest: Option<&str>) -> String {
        let len = name.len() + tag.map_or(0, |t| 1 + t.len()) + digest.map_or(0, |d| 1 + d.len());
        let mut s = String::with_capacity(len);
        s.push_str(name);
        if let Some(tag) = tag {
            s.push(':');
            s.push_str(tag);
        }
        if let Some(digest) = digest {
            s.push('@');
            s.push_str(digest);
        }
        s
    }

    /// `ref.String()`, after `reference.WithDigest(ref, digest)` if a digest is given.
    pub(crate) fn display(&self, digest: Option<&str>) -> String {
        Self::full_text(
            &self.name,
            self.tag.as_deref(),
            digest.or(self.digest.as_deref()),
        )
    }

    /// As [`NamedRef::display`], on the `TagNameOnly` form as BuildKit v0.25 pins it:
    /// the tag is kept (`docker.io/library/busybox:latest@sha256:…`).
    pub(crate) fn display_tagged(&self, digest: Option<&str>) -> String {
        Self::full_text(
            &self.name,
            self.normalized_tag.as_deref(),
            digest.or(self.digest.as_deref()),
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refs() {
        let r = NamedRef::parse("busybox").unwrap();
        assert_eq!(r.tag_name_only, "docker.io/library/busybox:latest");
        assert_eq!(r.display(None), "docker.io/library/busybox");
        assert_eq!(
            r.display(Some("sha256:abc")),
            "docker.io/library/busybox@sha256:abc"
        );
        let r = NamedRef::parse("localhost:5000/x:1").unwrap();
        assert_eq!(
            r.display(Some("sha256:abc")),
            "localhost:5000/x:1@sha256:abc"
        );
        let r = NamedRef::parse("localhost:5000/x").unwrap();
        assert_eq!(r.display(None), "localhost:5000/x");
    }
}
