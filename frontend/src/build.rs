//! The frontend's main flow, from connection to `Return`.
//!
//! ```text
//! connect ─▶ Ping ─▶ options ─▶ contexts (remote context, inputs, named contexts)
//!   ─▶ read Dockerfile + .dockerignore ─▶ parse
//!   ─▶ per target platform: images() ⇄ ResolveImageConfig ─▶ lower() ─▶ splice contexts
//!   ─▶ Solve (all platforms at once) ─▶ Return{result}
//!                                    (any failure on the way ─▶ Return{error})
//! ```
//!
//! Every path ends in exactly one `Return` unless the connection itself is broken.
//! The process exit code only says whether that `Return` was delivered
//! ([`Outcome::exit_code`]): once the daemon has the error, a non-zero exit would
//! only replace the user's message with "exit code 1".
//!
//! **Never forwards.** The frontend is reached through `# syntax=`, so the daemon's
//! built-in frontend already forwarded to us (`cmdline`/`source` are set). A `# syntax`
//! line or `build-arg:BUILDKIT_SYNTAX` is therefore never acted upon: forwarding again
//! could loop back to this very image.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;
use std::time::Duration;

use dfopt_compile::Compilation;
use dfopt_dockerfile::LineIndex;
use dfopt_llb::{pb, Platform};
use serde::Serialize;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::task::JoinSet;
use tonic::Code;

use crate::bridge::{Bridge, BridgeConfig, BridgeError, ResolvedImage, ResultRefs};
use crate::cache_transfer;
use crate::caps::Caps;
use crate::checks;
use crate::contexts::{stage_override, BuildContexts};
use crate::dockerfile_source::{self, LoadedDockerfile};
use crate::errors::{BuildError, LineRange, MessageStyle, SourceFile};
use crate::lowering::{
    ImageToResolve, LowerError, LowerRequest, LowerWarning, Lowered, Lowering, ResolvedImages,
    MAX_RESOLVE_ROUNDS,
};
use crate::options::FrontendEnv;
use crate::platform::{self, OciPlatform};
use crate::stdio;
use crate::subrequests;

/// Metadata key of the image config in a single-platform result.
pub const IMAGE_CONFIG_KEY: &str = "containerimage.config";
/// Metadata key listing the platforms of a multi-platform result.
pub const PLATFORMS_KEY: &str = "refs.platforms";

/// Frontend capabilities (`frontend.caps`) this frontend implements, as BuildKit's
/// Dockerfile frontend names them: frontend inputs as build context, Dockerfile and
/// `input:` named contexts ([`crate::contexts`]), named contexts (`context:NAME`), and
/// subrequests ([`crate::subrequests`]). Not `moby.buildkit.frontend.gitquerystring`
/// (`?ref=` in git URLs). Keep in sync with the `moby.buildkit.frontend.caps` label in
/// `Dockerfile.frontend`.
pub const SUPPORTED_FRONTEND_CAPS: &[&str] = &[INPUTS_CAP, SUBREQUESTS_CAP, CONTEXTS_CAP];

/// The frontend capability a client requests before sending `requestid`.
pub const SUBREQUESTS_CAP: &str = "moby.buildkit.frontend.subrequests";
/// The frontend capability a daemon requests when it attaches frontend inputs.
pub const INPUTS_CAP: &str = "moby.buildkit.frontend.inputs";
/// The frontend capability a client requests before sending `context:NAME` options.
pub const CONTEXTS_CAP: &str = "moby.buildkit.frontend.contexts";

/// Settings of one run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RunConfig {
    /// Limits and timeouts of the LLBBridge calls.
    pub bridge: BridgeConfig,
    /// How long the HTTP/2 handshake may take.
    pub connect_timeout: Duration,
}

impl Default for RunConfig {
    fn default() -> Self {
        Self {
            bridge: BridgeConfig::default(),
            connect_timeout: stdio::DEFAULT_CONNECT_TIMEOUT,
        }
    }
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// The result was returned.
    Succeeded,
    /// The build failed and the daemon received the error.
    Failed(BuildError),
    /// Nothing could be returned: the connection or the `Return` call failed.
    ProtocolFailure(String),
}

impl Outcome {
    /// 0 once a `Return` was delivered (even an error), 1 otherwise.
    pub fn exit_code(&self) -> i32 {
        match self {
            Outcome::Succeeded | Outcome::Failed(_) => 0,
            Outcome::ProtocolFailure(_) => 1,
        }
    }
}

/// A finished build, ready for `Return`.
struct BuildOutput {
    refs: ResultRefs,
    metadata: BTreeMap<String, Vec<u8>>,
}

/// Runs the whole frontend over `stream` (the daemon's end of stdio), with the
/// environment given as `(name, value)` pairs.
pub async fn run<S>(
    stream: S,
    vars: Vec<(String, String)>,
    lowering: &dyn Lowering,
    config: &RunConfig,
) -> Outcome
where
    S: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    let channel = match stdio::connect(stream, config.connect_timeout).await {
        Ok(channel) => channel,
        Err(error) => return Outcome::ProtocolFailure(error.to_string()),
    };
    let mut bridge = Bridge::new(channel, config.bridge.clone());
    let error = match build(&mut bridge, vars, lowering).await {
        Ok(output) => match bridge.return_result(output.refs, output.metadata).await {
            Ok(()) => return Outcome::Succeeded,
            Err(error) if error.is_transport_failure() => {
                return Outcome::ProtocolFailure(format!("failed to return the result: {error}"))
            }
            // E.g. metadata over the size limit: the daemon can still take an error.
            Err(error) => BuildError::new(format!("failed to return the result: {error}"))
                .with_code(error.code()),
        },
        Err(error) => error,
    };
    let style = MessageStyle::for_caps(bridge.caps());
    match bridge.return_error(error.to_status(style)).await {
        Ok(()) => Outcome::Failed(error),
        Err(return_error) => Outcome::ProtocolFailure(format!(
            "failed to return the error ({}): {return_error}",
            error.message()
        )),
    }
}

async fn build(
    bridge: &mut Bridge,
    vars: Vec<(String, String)>,
    lowering: &dyn Lowering,
) -> Result<BuildOutput, BuildError> {
    let started = std::time::Instant::now();
    let mut phases: Vec<(&str, Duration)> = Vec::new();
    let mut mark = |name: &'static str, since: &mut std::time::Instant| {
        phases.push((name, since.elapsed()));
        *since = std::time::Instant::now();
    };
    let mut since = started;
    let caps = bridge.ping().await.map_err(|error| {
        BuildError::new(format!("failed to talk to the BuildKit daemon: {error}"))
            .with_code(error.code())
    })?;
    let env = FrontendEnv::from_vars(vars)
        .map_err(|error| BuildError::new(error.to_string()).with_code(Code::InvalidArgument))?;
    check_request(&env)?;
    let check = checks::check_override(&env.options)?;
    let cache_plan = cache_transfer::plan(&env)?;
    // Option names only (values may be private): what the daemon sent, for the log.
    let keys: Vec<&str> = env.options.raw.keys().map(String::as_str).collect();
    crate::log(format_args!("options: {}", keys.join(" ")));

    mark("ping", &mut since);
    let contexts = BuildContexts::prepare(bridge, &caps, &env).await?;
    let loaded =
        dockerfile_source::load(bridge, &caps, &env.options, &env.session_id, &contexts).await?;
    mark("read-dockerfile", &mut since);
    note_syntax_forwarding(&env, &loaded);
    if let Some(request) = &env.options.request_id {
        // Answered like BuildKit: after the Dockerfile is read, before it is parsed
        // (a lint answer reports parse errors instead of failing).
        let context = subrequests::Context {
            bridge,
            lowering,
            env: &env,
            caps: &caps,
            loaded: &loaded,
            contexts: &contexts,
        };
        let metadata = subrequests::answer(&context, request).await?;
        return Ok(BuildOutput {
            refs: ResultRefs::Single(String::new()),
            metadata,
        });
    }
    let source = loaded.dockerfile.source_file();
    let compilation = Arc::new(Compilation::new(loaded.dockerfile.text.clone()));
    let parsed = compilation.parsed();
    if let Some(diagnostic) = parsed.error() {
        let (start, end) = LineIndex::new(&loaded.dockerfile.text).lines(diagnostic.span);
        return Err(BuildError::new(diagnostic.message.clone())
            .at(&source, vec![LineRange::new(start, end)]));
    }

    let multi_platform = env.options.is_multi_platform();
    // One build per `platform` entry, in the given order (BuildKit's order of
    // `refs.platforms`); none given: one build for the default platform.
    let targets: Vec<Option<Platform>> = if env.options.platforms.is_empty() {
        vec![None]
    } else {
        env.options.platforms.iter().cloned().map(Some).collect()
    };
    let mut builds = Vec::new();
    for target in targets {
        let resolved = resolve_platform(
            bridge,
            lowering,
            &env,
            &loaded,
            &compilation,
            &caps,
            &contexts,
            target.clone(),
        )
        .await;
        mark("resolve", &mut since);
        let analysis = if builds.is_empty() {
            let analysis = checks::before_lowering(
                bridge,
                &caps,
                &env,
                &loaded,
                parsed,
                &contexts,
                check.clone(),
                &resolved,
            )
            .await?;
            mark("checks", &mut since);
            Some(analysis)
        } else {
            None
        };
        let mut lowered =
            lower_resolved(bridge, lowering, &env, &loaded, &caps, &contexts, resolved?).await;
        mark("lower", &mut since);
        if let Some(analysis) = &analysis {
            lowered = checks::after_lowering(bridge, &caps, &loaded, analysis, lowered).await;
            mark("warn", &mut since);
        }
        let lowered = lowered?;
        // Without a `platform` option the result is keyed by the default platform:
        // BuildKit takes its own binary's (`platforms.DefaultSpec()`), we take the
        // worker's, which is the same on a daemon building for its own host.
        let platform = target.unwrap_or_else(|| env.build_platform.clone());
        builds.push((platform, lowered));
    }
    // Cache transfer works beside the build's graph, never inside it.
    let definitions: Vec<&pb::Definition> = builds.iter().map(|(_, l)| &l.definition).collect();
    match cache_plan {
        cache_transfer::Plan::Export { max_size } => {
            let (reference, metadata) =
                cache_transfer::export(bridge, &caps, &env, &loaded, &definitions, max_size)
                    .await?;
            return Ok(BuildOutput {
                refs: ResultRefs::Single(reference),
                metadata,
            });
        }
        cache_transfer::Plan::Seed => {
            cache_transfer::seed(bridge, &caps, &env, &loaded, &contexts, &definitions).await;
            mark("cache-seed", &mut since);
        }
        cache_transfer::Plan::Build => {}
    }
    let evaluate = caps.gateway_supports(crate::caps::gateway::SOLVE_EVALUATE);
    let references = solve_all(bridge, &env, &builds, evaluate, &source).await?;
    mark(
        if evaluate { "solve(evaluate)" } else { "solve" },
        &mut since,
    );
    // One line per build in the daemon log: where a build's time goes.
    let report: Vec<String> = phases
        .iter()
        .map(|(name, d)| format!("{name}={}ms", d.as_millis()))
        .collect();
    // `own`: the wall time not spent waiting for the daemon (parsing, checks, rewrites,
    // lowering, marshalling), what dfopt itself adds to a build.
    let total = started.elapsed();
    let own = total.saturating_sub(bridge.daemon_wait());
    crate::log(format_args!(
        "timings {} total={}ms own={:.1}ms",
        report.join(" "),
        total.as_millis(),
        own.as_secs_f64() * 1000.0
    ));
    let results: Vec<(Platform, String, Lowered)> = builds
        .into_iter()
        .zip(references)
        .map(|((platform, lowered), reference)| (platform, reference, lowered))
        .collect();
    if multi_platform {
        multi_platform_output(results)
    } else {
        let (_, reference, lowered) = results
            .into_iter()
            .next()
            .ok_or_else(|| BuildError::new("no target platform to build"))?;
        let mut metadata = lowered.metadata;
        metadata.insert(IMAGE_CONFIG_KEY.to_owned(), lowered.image_config);
        Ok(BuildOutput {
            refs: ResultRefs::Single(reference),
            metadata,
        })
    }
}

/// Sends the first platform's warnings (the change records are the same for every
/// platform) with `Warn` where the daemon has the `gateway.warnings` cap; they are
/// in the daemon log either way. A failing `Warn` is logged, never fatal.
pub(crate) async fn send_warnings(
    bridge: &Bridge,
    caps: &Caps,
    loaded: &LoadedDockerfile,
    warnings: &[LowerWarning],
) {
    if warnings.is_empty() || !caps.gateway_supports(crate::caps::gateway::WARNINGS) {
        return;
    }
    let info = checks::source_info(loaded);
    let digest = checks::warnings_vertex(bridge, caps, loaded).await;
    for warning in warnings {
        let ranges = warning.lines.iter().map(|&r| checks::range(r)).collect();
        if let Err(error) = bridge
            .warn(
                &digest,
                &warning.short,
                &warning.detail,
                "",
                info.clone(),
                ranges,
            )
            .await
        {
            crate::log(format_args!("Warn failed: {error}"));
            return;
        }
    }
}

/// Solves every platform's Definition at once (BuildKit builds platforms in
/// parallel); the ref ids come back in the order of `builds`. When several fail, the
/// first platform's error is reported.
async fn solve_all(
    bridge: &Bridge,
    env: &FrontendEnv,
    builds: &[(Platform, Lowered)],
    evaluate: bool,
    source: &SourceFile,
) -> Result<Vec<String>, BuildError> {
    let mut tasks = JoinSet::new();
    for (index, (_, lowered)) in builds.iter().enumerate() {
        let bridge = bridge.clone();
        let definition = lowered.definition.clone();
        let cache_imports = env.options.cache_imports.clone();
        tasks.spawn(async move {
            (
                index,
                bridge
                    .solve_with_cache(definition, &cache_imports, evaluate)
                    .await,
            )
        });
    }
    let mut results: Vec<Option<Result<String, BridgeError>>> = vec![None; builds.len()];
    while let Some(joined) = tasks.join_next().await {
        let (index, result) =
            joined.map_err(|error| BuildError::new(format!("solve task failed: {error}")))?;
        if let Some(slot) = results.get_mut(index) {
            *slot = Some(result);
        }
    }
    let mut references = Vec::with_capacity(builds.len());
    for ((_, lowered), result) in builds.iter().zip(results) {
        match result {
            Some(Ok(reference)) => references.push(reference),
            Some(Err(error)) => return Err(solve_error(&error, &lowered.definition, source)),
            None => return Err(BuildError::new("a platform's solve did not finish")),
        }
    }
    Ok(references)
}

/// One target platform with its images resolved, not lowered yet.
pub(crate) struct ResolvedPlatform {
    request: LowerRequest,
    platform: Platform,
    /// The images the lowering asked for.
    pub images: ResolvedImages,
}

/// Lowers the Dockerfile for one target platform with the build's contexts in place:
/// stages that named contexts replace are cut out of the text first, named contexts
/// answer the image resolutions for their names, and the real sources (remote or
/// input context, named contexts) are spliced into the lowered graph.
#[allow(clippy::too_many_arguments)]
pub(crate) async fn lower_for_platform(
    bridge: &Bridge,
    lowering: &dyn Lowering,
    env: &FrontendEnv,
    loaded: &LoadedDockerfile,
    compilation: &Arc<Compilation>,
    caps: &Caps,
    contexts: &BuildContexts,
    target: Option<Platform>,
) -> Result<Lowered, BuildError> {
    let resolved = resolve_platform(
        bridge,
        lowering,
        env,
        loaded,
        compilation,
        caps,
        contexts,
        target,
    )
    .await?;
    lower_resolved(bridge, lowering, env, loaded, caps, contexts, resolved).await
}

/// The first half of [`lower_for_platform`]: the images one platform needs,
/// resolved (the build checks run on them before the Dockerfile is lowered).
#[allow(clippy::too_many_arguments)]
pub(crate) async fn resolve_platform(
    bridge: &Bridge,
    lowering: &dyn Lowering,
    env: &FrontendEnv,
    loaded: &LoadedDockerfile,
    compilation: &Arc<Compilation>,
    caps: &Caps,
    contexts: &BuildContexts,
    target: Option<Platform>,
) -> Result<ResolvedPlatform, BuildError> {
    let platform = target.clone().unwrap_or_else(|| env.build_platform.clone());
    let rewritten = stage_override::rewrite(
        &loaded.dockerfile,
        compilation.parsed(),
        &contexts.named,
        &platform,
    );
    let mut request = lower_request(env, loaded, compilation.clone(), caps, target);
    if let Some(dockerfile) = &rewritten {
        // Stages that named contexts replace are cut from the text; lines stay.
        request.compilation = Arc::new(Compilation::new(dockerfile.text.clone()));
    }
    let source = loaded.dockerfile.source_file();
    let images = resolve_images_for(bridge, lowering, &request, &source, contexts).await?;
    Ok(ResolvedPlatform {
        request,
        platform,
        images,
    })
}

/// The second half of [`lower_for_platform`].
pub(crate) async fn lower_resolved(
    bridge: &Bridge,
    lowering: &dyn Lowering,
    env: &FrontendEnv,
    loaded: &LoadedDockerfile,
    caps: &Caps,
    contexts: &BuildContexts,
    resolved: ResolvedPlatform,
) -> Result<Lowered, BuildError> {
    let source = loaded.dockerfile.source_file();
    let lowered = lower_with(lowering, &resolved.request, &resolved.images, &source)?;
    contexts
        .apply(
            bridge,
            caps,
            &env.options.context_key,
            &resolved.platform,
            lowered,
        )
        .await
}

/// A failed solve, located at the Dockerfile lines of the failing step when the
/// daemon named the vertex and the Definition's source map knows it.
fn solve_error(
    error: &BridgeError,
    definition: &pb::Definition,
    source: &SourceFile,
) -> BuildError {
    let BridgeError::Status {
        message,
        vertex: Some(digest),
        ..
    } = error
    else {
        return BuildError::new(error.to_string()).with_code(error.code());
    };
    let ranges: Vec<LineRange> = step_location(definition, digest)
        .map(|location| {
            location
                .ranges
                .iter()
                .filter_map(|r| {
                    let start = u32::try_from(r.start.as_ref()?.line).ok()?;
                    let end = r
                        .end
                        .as_ref()
                        .and_then(|e| u32::try_from(e.line).ok())
                        .unwrap_or(start);
                    Some(LineRange::new(start, end))
                })
                .collect()
        })
        .unwrap_or_default();
    let message = if ranges.len() > 1 {
        let lines: Vec<String> = ranges.iter().map(|r| r.start.to_string()).collect();
        format!(
            "{message} (dfopt merged the RUN instructions at lines {} into this step; build with --build-arg DFOPT=-merge-runs to run them separately)",
            lines.join(", ")
        )
    } else {
        message.clone()
    };
    BuildError::new(message)
        .with_code(error.code())
        .at(source, ranges)
}

/// The source location of the vertex `digest`, or, for a vertex that has none
/// (the HTTP or git source of an `ADD <url>`, whose download or checksum can
/// fail), that of the first op in the Definition that reads it: the
/// instruction that asked for the source.
fn step_location<'a>(definition: &'a pb::Definition, digest: &str) -> Option<&'a pb::Location> {
    let locations = &definition.source.as_ref()?.locations;
    if let Some(found) = locations.get(digest).and_then(|l| l.locations.first()) {
        return Some(found);
    }
    definition.def.iter().find_map(|bytes| {
        let op = <pb::Op as prost::Message>::decode(bytes.as_slice()).ok()?;
        if !op.inputs.iter().any(|input| input.digest == digest) {
            return None;
        }
        locations.get(&dfopt_llb::digest(bytes))?.locations.first()
    })
}

/// Refuses requests this frontend cannot serve, before any work is done.
fn check_request(env: &FrontendEnv) -> Result<(), BuildError> {
    let options = &env.options;
    // `+forward` would let the built-in frontend forward elsewhere; we never forward.
    if let Some(cap) = options
        .frontend_caps
        .iter()
        .find(|cap| !SUPPORTED_FRONTEND_CAPS.contains(&cap.name.as_str()))
    {
        return Err(BuildError::unsupported_frontend_cap(&cap.name));
    }
    Ok(())
}

/// Logs (only) that a syntax directive is deliberately ignored.
fn note_syntax_forwarding(env: &FrontendEnv, loaded: &LoadedDockerfile) {
    if env.options.cmdline.is_some() {
        return;
    }
    if let Some(syntax) = env.options.build_args.get("BUILDKIT_SYNTAX") {
        crate::log(format_args!(
            "not forwarding to build-arg:BUILDKIT_SYNTAX={syntax}"
        ));
    } else if let Some(directive) =
        dfopt_dockerfile::syntax::directives::detect_syntax(&loaded.dockerfile.text)
    {
        crate::log(format_args!(
            "not forwarding to # syntax={}",
            directive.cmdline
        ));
    }
}

/// What the lowering gets for one target platform.
pub(crate) fn lower_request(
    env: &FrontendEnv,
    loaded: &LoadedDockerfile,
    compilation: Arc<Compilation>,
    caps: &crate::caps::Caps,
    target_platform: Option<Platform>,
) -> LowerRequest {
    LowerRequest {
        dockerfile: loaded.dockerfile.clone(),
        compilation,
        options: env.options.clone(),
        caps: caps.clone(),
        build_platform: env.build_platform.clone(),
        target_platform,
        multi_platform: env.options.is_multi_platform(),
        session_id: env.session_id.clone(),
        dockerignore: loaded.dockerignore.clone(),
    }
}

/// A lowering error at its Dockerfile lines.
fn lower_error_at(source: &SourceFile, error: LowerError) -> BuildError {
    let mut error_at = BuildError::new(error.message);
    if error.instruction_parse {
        error_at = error_at.instruction_parse();
    }
    match error.lines {
        Some(lines) => error_at.at(source, vec![lines]).also_at(error.related),
        None => error_at,
    }
}

/// Resolves the images one target platform needs: asks the lowering, resolves,
/// and asks again until it names nothing new.
pub(crate) async fn resolve_images_for(
    bridge: &Bridge,
    lowering: &dyn Lowering,
    request: &LowerRequest,
    source: &SourceFile,
    contexts: &BuildContexts,
) -> Result<ResolvedImages, BuildError> {
    let mut resolved = ResolvedImages::new();
    let mut rounds = 0;
    loop {
        let mut wanted = guard_panic("images", || lowering.images(request, &resolved))?
            .map_err(|e| lower_error_at(source, e))?;
        let mut seen = BTreeSet::new();
        wanted.retain(|image| !resolved.contains_key(&image.key) && seen.insert(image.key.clone()));
        if wanted.is_empty() {
            return Ok(resolved);
        }
        rounds += 1;
        if rounds > MAX_RESOLVE_ROUNDS {
            return Err(BuildError::new(format!(
                "the Dockerfile keeps naming new images to resolve after {MAX_RESOLVE_ROUNDS} rounds"
            )));
        }
        resolve_images(bridge, request, wanted, &mut resolved, source, contexts).await?;
    }
}

/// Lowers with the images resolved.
fn lower_with(
    lowering: &dyn Lowering,
    request: &LowerRequest,
    resolved: &ResolvedImages,
    source: &SourceFile,
) -> Result<Lowered, BuildError> {
    guard_panic("lower", || lowering.lower(request, resolved))?
        .map_err(|e| lower_error_at(source, e))
}

/// Runs a lowering call, turning a panic into a build error: the user then gets the
/// message through `Return` instead of an unexplained "exit code 101".
fn guard_panic<T>(what: &str, call: impl FnOnce() -> T) -> Result<T, BuildError> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(call)).map_err(|payload| {
        let reason = payload
            .downcast_ref::<&str>()
            .map(|s| (*s).to_owned())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap_or_else(|| "unknown panic".to_owned());
        BuildError::new(format!(
            "internal error in the Dockerfile conversion ({what}): {reason}"
        ))
        .with_code(Code::Internal)
    })
}

/// Resolves `images` concurrently; on failure reports the first failing image (in
/// the order the lowering listed them) at its Dockerfile lines. Names that named
/// contexts replace are answered by the contexts instead.
async fn resolve_images(
    bridge: &Bridge,
    request: &LowerRequest,
    images: Vec<ImageToResolve>,
    resolved: &mut ResolvedImages,
    source: &SourceFile,
    contexts: &BuildContexts,
) -> Result<(), BuildError> {
    let default_platform = request
        .target_platform
        .clone()
        .unwrap_or_else(|| request.build_platform.clone());
    let mut registry_images = Vec::new();
    for image in images {
        match contexts
            .resolve(bridge, &image.key, &default_platform)
            .await
        {
            Ok(Some(answer)) => {
                resolved.insert(image.key, answer);
            }
            Ok(None) => registry_images.push(image),
            Err(error) => {
                return Err(match image.lines {
                    Some(lines) => error.at(source, vec![lines]),
                    None => error,
                })
            }
        }
    }
    let images = registry_images;
    let mode = request.options.image_resolve_mode;
    let mut tasks = JoinSet::new();
    for (index, image) in images.iter().enumerate() {
        let bridge = bridge.clone();
        let key = image.key.clone();
        let log_name = progress_name(request, &image.key.reference, image.key.platform.as_ref());
        tasks.spawn(async move {
            let result = bridge
                .resolve_image_config(&key.reference, key.platform.as_ref(), mode, &log_name)
                .await;
            (index, result)
        });
    }
    let mut results: Vec<Option<Result<ResolvedImage, BridgeError>>> = vec![None; images.len()];
    while let Some(joined) = tasks.join_next().await {
        match joined {
            Ok((index, result)) => {
                if let Some(slot) = results.get_mut(index) {
                    *slot = Some(result);
                }
            }
            Err(error) => {
                return Err(BuildError::new(format!(
                    "image resolution task failed: {error}"
                )))
            }
        }
    }
    for (image, result) in images.into_iter().zip(results) {
        match result {
            Some(Ok(config)) => {
                resolved.insert(image.key, config);
            }
            Some(Err(error)) => {
                let failure = BuildError::new(format!(
                    "failed to resolve image {}: {error}",
                    image.key.reference
                ))
                .with_code(error.code());
                return Err(match image.lines {
                    Some(lines) => failure.at(source, vec![lines]),
                    None => failure,
                });
            }
            None => {
                return Err(BuildError::new(format!(
                    "image {} was not resolved",
                    image.key.reference
                )))
            }
        }
    }
    Ok(())
}

/// The progress line BuildKit shows for a resolve:
/// `[internal] load metadata for docker.io/library/alpine:3.18`, prefixed with the
/// platform in multi-platform builds (`[linux/arm64 internal] …`).
fn progress_name(request: &LowerRequest, reference: &str, platform: Option<&Platform>) -> String {
    let platform = platform.or(request.target_platform.as_ref());
    match platform {
        Some(platform) if request.multi_platform => {
            format!(
                "[{} internal] load metadata for {reference}",
                platform::format(platform)
            )
        }
        _ => format!("[internal] load metadata for {reference}"),
    }
}

/// `refs.platforms`: `{"Platforms":[{"ID":"linux/amd64","Platform":{…}}]}`.
#[derive(Serialize)]
struct ExportPlatforms {
    #[serde(rename = "Platforms")]
    platforms: Vec<ExportPlatform>,
}

#[derive(Serialize)]
struct ExportPlatform {
    #[serde(rename = "ID")]
    id: String,
    #[serde(rename = "Platform")]
    platform: OciPlatform,
}

fn multi_platform_output(
    results: Vec<(Platform, String, Lowered)>,
) -> Result<BuildOutput, BuildError> {
    let mut refs = BTreeMap::new();
    let mut metadata = BTreeMap::new();
    let mut platforms = Vec::new();
    for (platform, reference, lowered) in results {
        let id = platform::format(&platform);
        metadata.insert(format!("{IMAGE_CONFIG_KEY}/{id}"), lowered.image_config);
        for (key, value) in lowered.metadata {
            metadata.insert(format!("{key}/{id}"), value);
        }
        platforms.push(ExportPlatform {
            id: id.clone(),
            platform: OciPlatform::from_platform(&platform),
        });
        refs.insert(id, reference);
    }
    let json = serde_json::to_vec(&ExportPlatforms { platforms })
        .map_err(|error| BuildError::new(format!("failed to encode {PLATFORMS_KEY}: {error}")))?;
    metadata.insert(PLATFORMS_KEY.to_owned(), json);
    Ok(BuildOutput {
        refs: ResultRefs::PerPlatform(refs),
        metadata,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The image label BuildKit checks requested caps against must claim exactly
    /// what this frontend implements.
    #[test]
    fn caps_label_matches_the_supported_caps() {
        let dockerfile = include_str!("../../Dockerfile.frontend");
        let labels: Vec<&str> = dockerfile
            .lines()
            .filter_map(|line| line.trim().strip_prefix("moby.buildkit.frontend.caps=\""))
            .filter_map(|rest| rest.split('"').next())
            .collect();
        assert_eq!(
            labels.len(),
            2,
            "the prebuilt and release stages both carry the label"
        );
        for label in labels {
            let claimed: Vec<&str> = label.split(',').collect();
            assert_eq!(claimed, SUPPORTED_FRONTEND_CAPS);
        }
    }

    /// A failing `ADD <url>` source has no location of its own: the error is
    /// placed at the instruction whose op reads it.
    #[test]
    fn step_location_falls_back_to_the_reader() {
        use prost::Message;
        let encode = |op: pb::Op| op.encode_to_vec();
        let source = encode(pb::Op {
            op: Some(pb::op::Op::Source(pb::SourceOp {
                identifier: "https://example.com/x.txt".into(),
                ..Default::default()
            })),
            ..Default::default()
        });
        let source_digest = dfopt_llb::digest(&source);
        let reader = encode(pb::Op {
            inputs: vec![pb::Input {
                digest: source_digest.clone(),
                index: 0,
            }],
            ..Default::default()
        });
        let at_line = |line: i32| pb::Locations {
            locations: vec![pb::Location {
                source_index: 0,
                ranges: vec![pb::Range {
                    start: Some(pb::Position { line, character: 0 }),
                    end: Some(pb::Position { line, character: 0 }),
                }],
            }],
        };
        let definition = pb::Definition {
            def: vec![source, reader.clone()],
            source: Some(pb::Source {
                locations: [(dfopt_llb::digest(&reader), at_line(3))]
                    .into_iter()
                    .collect(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let found = step_location(&definition, &source_digest).expect("the reader's location");
        assert_eq!(found.ranges[0].start.as_ref().map(|p| p.line), Some(3));
        assert!(step_location(&definition, "sha256:unknown").is_none());
    }
}
