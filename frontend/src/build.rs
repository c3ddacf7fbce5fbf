//! The frontend's main flow, from connection to `Return`.
//!
//! ```text
//! connect ─▶ Ping ─▶ options ─▶ read Dockerfile + .dockerignore ─▶ parse
//!   ─▶ per target platform: images() ⇄ ResolveImageConfig ─▶ lower() ─▶ Solve
//!   ─▶ Return{result}            (any failure on the way ─▶ Return{error})
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
use std::time::Duration;

use dfopt_dockerfile::LineIndex;
use dfopt_llb::{pb, Platform};
use serde::Serialize;
use tokio::io::{AsyncRead, AsyncWrite};
use tokio::task::JoinSet;
use tonic::Code;

use crate::bridge::{Bridge, BridgeConfig, BridgeError, ResolvedImage, ResultRefs};
use crate::dockerfile_source::{self, LoadedDockerfile};
use crate::errors::{BuildError, LineRange, SourceFile};
use crate::lowering::{
    ImageToResolve, LowerError, LowerRequest, Lowered, Lowering, ResolvedImages, MAX_RESOLVE_ROUNDS,
};
use crate::options::{FrontendEnv, RemoteContext};
use crate::platform::{self, OciPlatform};
use crate::stdio;
use crate::subrequests;

/// Metadata key of the image config in a single-platform result.
pub const IMAGE_CONFIG_KEY: &str = "containerimage.config";
/// Metadata key listing the platforms of a multi-platform result.
pub const PLATFORMS_KEY: &str = "refs.platforms";

/// Frontend capabilities (`frontend.caps`) this frontend implements: subrequests
/// (see [`crate::subrequests`]). `moby.buildkit.frontend.inputs` and `…contexts` need
/// frontend inputs and named contexts, which are not built. Keep in sync with the
/// `moby.buildkit.frontend.caps` label in `Dockerfile.frontend`.
pub const SUPPORTED_FRONTEND_CAPS: &[&str] = &[SUBREQUESTS_CAP];

/// The frontend capability a client requests before sending `requestid`.
pub const SUBREQUESTS_CAP: &str = "moby.buildkit.frontend.subrequests";

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
    match bridge.return_error(error.to_status()).await {
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

    mark("ping", &mut since);
    let loaded = dockerfile_source::load(bridge, &caps, &env.options, &env.session_id).await?;
    mark("read-dockerfile", &mut since);
    note_syntax_forwarding(&env, &loaded);
    if let Some(request) = &env.options.request_id {
        // Answered like BuildKit: after the Dockerfile is read, before it is parsed
        // (a lint answer reports parse errors instead of failing).
        let context = subrequests::Context { bridge, lowering, env: &env, caps: &caps, loaded: &loaded };
        let metadata = subrequests::answer(&context, request).await?;
        return Ok(BuildOutput { refs: ResultRefs::Single(String::new()), metadata });
    }
    let source = loaded.dockerfile.source_file();
    let parsed = dfopt_dockerfile::parse(&loaded.dockerfile.text);
    if let Some(diagnostic) = parsed.error() {
        let (start, end) = LineIndex::new(&loaded.dockerfile.text).lines(diagnostic.span);
        return Err(BuildError::new(diagnostic.message.clone())
            .at(&source, vec![LineRange::new(start, end)]));
    }

    let multi_platform = env.options.is_multi_platform();
    let targets: Vec<Option<Platform>> = if env.options.platforms.is_empty() {
        vec![None]
    } else {
        env.options.platforms.iter().cloned().map(Some).collect()
    };
    let mut per_platform = BTreeMap::new();
    for target in targets {
        let request = lower_request(&env, &loaded, &parsed, &caps, target.clone());
        let lowered = resolve_and_lower(bridge, lowering, &request, &source).await?;
        mark("resolve+lower", &mut since);
        let evaluate = caps.gateway_supports(crate::caps::gateway::SOLVE_EVALUATE);
        let reference = bridge
            .solve_with_cache(lowered.definition.clone(), &env.options.cache_imports, evaluate)
            .await
            .map_err(|error| solve_error(&error, &lowered.definition, &source))?;
        mark(if evaluate { "solve(evaluate)" } else { "solve" }, &mut since);
        let platform = target.unwrap_or_else(|| env.build_platform.clone());
        per_platform.insert(platform::format(&platform), (platform, reference, lowered));
    }
    // One line per build in the daemon log: where a build's time goes.
    let report: Vec<String> = phases.iter().map(|(name, d)| format!("{name}={}ms", d.as_millis())).collect();
    crate::log(format_args!("timings {} total={}ms", report.join(" "), started.elapsed().as_millis()));
    if multi_platform {
        multi_platform_output(per_platform)
    } else {
        let (_, reference, lowered) = per_platform
            .into_values()
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

/// A failed solve, located at the Dockerfile lines of the failing step when the
/// daemon named the vertex and the Definition's source map knows it.
fn solve_error(error: &BridgeError, definition: &pb::Definition, source: &SourceFile) -> BuildError {
    let BridgeError::Status { message, vertex: Some(digest), .. } = error else {
        return BuildError::new(error.to_string()).with_code(error.code());
    };
    let ranges: Vec<LineRange> = definition
        .source
        .as_ref()
        .and_then(|s| s.locations.get(digest))
        .and_then(|locations| locations.locations.first())
        .map(|location| {
            location
                .ranges
                .iter()
                .filter_map(|r| {
                    let start = u32::try_from(r.start.as_ref()?.line).ok()?;
                    let end = r.end.as_ref().and_then(|e| u32::try_from(e.line).ok()).unwrap_or(start);
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
    BuildError::new(message).with_code(error.code()).at(source, ranges)
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
    if let Some(remote) = &options.remote_context {
        let url = match remote {
            RemoteContext::Git(url) | RemoteContext::Http(url) => url,
        };
        return Err(BuildError::new(format!(
            "remote build contexts are not supported by the dfopt frontend (context {url}); build from a local directory"
        ))
        .with_code(Code::Unimplemented));
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
    parsed: &dfopt_dockerfile::Parsed,
    caps: &crate::caps::Caps,
    target_platform: Option<Platform>,
) -> LowerRequest {
    LowerRequest {
        dockerfile: loaded.dockerfile.clone(),
        parsed: parsed.clone(),
        options: env.options.clone(),
        caps: caps.clone(),
        build_platform: env.build_platform.clone(),
        target_platform,
        multi_platform: env.options.is_multi_platform(),
        session_id: env.session_id.clone(),
        dockerignore: loaded.dockerignore.clone(),
    }
}

/// Resolves the images one target platform needs and lowers it.
pub(crate) async fn resolve_and_lower(
    bridge: &Bridge,
    lowering: &dyn Lowering,
    request: &LowerRequest,
    source: &SourceFile,
) -> Result<Lowered, BuildError> {
    let located = |error: LowerError| {
        let error_at = BuildError::new(error.message);
        match error.lines {
            Some(lines) => error_at.at(source, vec![lines]),
            None => error_at,
        }
    };
    let mut resolved = ResolvedImages::new();
    let mut rounds = 0;
    loop {
        let mut wanted =
            guard_panic("images", || lowering.images(request, &resolved))?.map_err(located)?;
        let mut seen = BTreeSet::new();
        wanted.retain(|image| !resolved.contains_key(&image.key) && seen.insert(image.key.clone()));
        if wanted.is_empty() {
            break;
        }
        rounds += 1;
        if rounds > MAX_RESOLVE_ROUNDS {
            return Err(BuildError::new(format!(
                "the Dockerfile keeps naming new images to resolve after {MAX_RESOLVE_ROUNDS} rounds"
            )));
        }
        resolve_images(bridge, request, wanted, &mut resolved, source).await?;
    }
    guard_panic("lower", || lowering.lower(request, &resolved))?.map_err(located)
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
/// the order the lowering listed them) at its Dockerfile lines.
async fn resolve_images(
    bridge: &Bridge,
    request: &LowerRequest,
    images: Vec<ImageToResolve>,
    resolved: &mut ResolvedImages,
    source: &SourceFile,
) -> Result<(), BuildError> {
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
    per_platform: BTreeMap<String, (Platform, String, Lowered)>,
) -> Result<BuildOutput, BuildError> {
    let mut refs = BTreeMap::new();
    let mut metadata = BTreeMap::new();
    let mut platforms = Vec::new();
    for (id, (platform, reference, lowered)) in per_platform {
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
