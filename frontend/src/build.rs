//! The frontend's main flow, from connection to `Return`.
//!
//! ```text
//! connect ─▶ Ping ─▶ options ─▶ contexts (remote context, inputs, named contexts)
//!   ─▶ read Dockerfile + .dockerignore ─▶ compile (parse once)
//!   ─▶ per target platform (`per_platform`): images() ⇄ ResolveImageConfig ─▶ lower() ─▶ splice contexts
//!      (first platform: build checks before lowering, warnings after)
//!   ─▶ cache transfer (export / seed), if asked
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

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use dfopt_compile::Compilation;
use dfopt_dockerfile::LineIndex;
use dfopt_llb::{pb, Platform};
use serde::Serialize;
use tokio::io::{AsyncRead, AsyncWrite};
use tonic::Code;

use crate::bridge::{Bridge, BridgeConfig, ResultRefs};
use crate::cache_transfer;
use crate::checks;
use crate::contexts::BuildContexts;
use crate::dockerfile_source::{self, LoadedDockerfile};
use crate::errors::{BuildError, LineRange, MessageStyle};
use crate::lowering::{Lowered, Lowering, IMAGE_CONFIG_KEY, PLATFORMS_KEY};
use crate::options::FrontendEnv;
use crate::per_platform;
use crate::platform::{self, OciPlatform};
use crate::session::Session;
use crate::solve;
use crate::stdio;
use crate::subrequests;

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
    let bridge = &*bridge;
    let session = Session {
        bridge,
        lowering,
        env: &env,
        caps: &caps,
        loaded: &loaded,
        contexts: &contexts,
    };
    if let Some(request) = &env.options.request_id {
        // Answered like BuildKit: after the Dockerfile is read, before it is parsed
        // (a lint answer reports parse errors instead of failing).
        let metadata = subrequests::answer(&session, request).await?;
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
        let resolved = per_platform::resolve_platform(&session, &compilation, target.clone()).await;
        mark("resolve", &mut since);
        let analysis = if builds.is_empty() {
            let analysis =
                checks::before_lowering(&session, parsed, check.clone(), &resolved).await?;
            mark("checks", &mut since);
            Some(analysis)
        } else {
            None
        };
        let mut lowered = per_platform::lower_resolved(&session, resolved?).await;
        mark("lower", &mut since);
        if let Some(analysis) = &analysis {
            lowered = checks::after_lowering(&session, analysis, lowered).await;
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
    let references = solve::solve_all(bridge, &env, &builds, evaluate, &source).await?;
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
}
