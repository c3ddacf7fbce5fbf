//! BuildKit's build checks during a build, as Docker's own Dockerfile frontend runs
//! them on every build: the findings go to the user with `Warn` (one call per
//! finding, in the order found, on the step that loaded the Dockerfile, so buildx
//! prints `#N WARN: Rule: message (line N)` there and counts them in its summary),
//! and `# check=error=true` fails the build with BuildKit's "lint violation found
//! for rules: …".
//!
//! The walk ([`dfopt_findings::buildkit`]) runs once per build, for the first target
//! platform, as BuildKit warns only for its first platform. It reuses the parsed
//! Dockerfile and the image configs resolved for the first platform's lowering, so a
//! build resolves no image twice, and its findings are sent before the Dockerfile is
//! lowered ([`before_lowering`]); dfopt's own change records follow once it is
//! ([`after_lowering`]). The same helpers serve the `frontend.lint` and
//! `frontend.outline` subrequests, which resolve images on demand instead.
//!
//! The lint subrequest (`--check`, `--call=check`) also reports dfopt's own
//! cache-efficiency rules ([`cache_findings`]) after BuildKit's, in the same shape,
//! under the same `# check=` configuration. They are not build warnings (a build
//! through dfopt already gets most of their fixes as rewrites) and never count for
//! `# check=error=true`, which stays exactly BuildKit's.

use std::collections::BTreeSet;

use dfopt_dockerfile::{LineIndex, Parsed};
use dfopt_findings::buildkit::{self, Analysis, BaseImage, ErrorKind, ImageQuery, Options};
use dfopt_findings::cache::{self, Dockerignore, Facts};
use dfopt_findings::{CheckConfig, Finding};
use dfopt_llb::{pb, ImageRef, Mkdir, OpOptions, Platform, State};
use tonic::Code;

use crate::bridge::Bridge;
use crate::caps::Caps;
use crate::contexts::{named, BuildContexts};
use crate::dockerfile_source::{self, LoadedDockerfile};
use crate::errors::{BuildError, LineRange};
use crate::lowering::{LowerWarning, Lowered, ResolvedImages};
use crate::options::{FrontendEnv, FrontendOptions};
use crate::per_platform::ResolvedPlatform;
use crate::session::Session;

/// The build-arg whose value replaces the `# check=` directive.
const CHECK_BUILD_ARG: &str = "BUILDKIT_DOCKERFILE_CHECK";

/// `build-arg:BUILDKIT_DOCKERFILE_CHECK`, parsed. BuildKit refuses an invalid value
/// before it reads the Dockerfile, for builds and subrequests alike.
pub(crate) fn check_override(options: &FrontendOptions) -> Result<Option<CheckConfig>, BuildError> {
    match options.build_args.get(CHECK_BUILD_ARG) {
        Some(value) => CheckConfig::parse(value).map(Some).map_err(|e| {
            BuildError::new(format!("failed to parse build-arg:{CHECK_BUILD_ARG}: {e}"))
                .with_code(Code::InvalidArgument)
        }),
        None => Ok(None),
    }
}

/// dfopt's cache-efficiency findings for the lint subrequest, under the check
/// configuration in force (`check`: the build-arg, else the `# check=` directive):
/// every stage without a target, else the stages the target needs. Nothing when
/// the configuration or the instructions are invalid: the BuildKit walk reports
/// that error.
pub(crate) fn cache_findings(
    env: &FrontendEnv,
    loaded: &LoadedDockerfile,
    parsed: &Parsed,
    check: Option<CheckConfig>,
) -> Vec<Finding> {
    let config = match check {
        Some(config) => config,
        None => match CheckConfig::from_directive(&parsed.dockerfile) {
            Ok(config) => config,
            Err(_) => return Vec::new(),
        },
    };
    if parsed.error().is_some() {
        return Vec::new();
    }
    let Ok(ir) = dfopt_dockerfile::instructions::parse_dockerfile(&parsed.dockerfile) else {
        return Vec::new();
    };
    let target = env.options.target.as_deref().filter(|t| !t.is_empty());
    let stages: Option<BTreeSet<usize>> = target.map(|target| {
        let options = dfopt_optimizer::Options {
            target: Some(target.to_owned()),
            build_args: env.options.build_args.clone(),
            complete_build_args: true,
            ..dfopt_optimizer::Options::default()
        };
        dfopt_optimizer::reachable_stages_with(
            &ir,
            Some(target),
            &options,
            parsed.dockerfile.escape,
        )
    });
    let facts = Facts {
        dockerignore: match loaded.has_dockerignore {
            Some(true) => Dockerignore::Present,
            Some(false) => Dockerignore::Missing {
                expected: ".dockerignore".to_owned(),
            },
            None => Dockerignore::Unknown,
        },
    };
    let input = cache::Input {
        source: &loaded.dockerfile.text,
        ir: &ir,
        facts: &facts,
        stages: stages.as_ref(),
    };
    cache::run(&input, &config).findings
}

/// Whether a string is an image reference BuildKit would accept, and why not.
pub(crate) fn is_valid_image_ref(name: &str) -> Result<(), String> {
    ImageRef::parse_normalized(name)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// The walk's options for this request; `images` answers image queries. A build
/// checks for its first target platform; the lint and outline subrequests pass
/// `None`, as BuildKit converts for them without a target platform (whatever the
/// `platform` option says).
pub(crate) fn options<'a>(
    env: &'a FrontendEnv,
    loaded: &'a LoadedDockerfile,
    check: Option<CheckConfig>,
    images: &'a dyn Fn(&ImageQuery) -> Option<BaseImage>,
    target_platform: Option<Platform>,
    all_stages: bool,
) -> Options<'a> {
    let options = &env.options;
    Options {
        build_args: &options.build_args,
        target: options.target.as_deref().filter(|t| !t.is_empty()),
        build_platform: env.build_platform.clone(),
        target_platform,
        check,
        images,
        dockerignore: &loaded.dockerignore,
        is_valid_image_ref: &is_valid_image_ref,
        all_stages,
    }
}

/// The normalized reference of an image query, as `ResolveImageConfig` wants it.
pub(crate) fn reference(query: &ImageQuery) -> Option<String> {
    ImageRef::parse_normalized(&query.name)
        .ok()
        .map(|r| r.to_string())
}

/// Runs the checks of a build over the images the lowering resolved: by reference
/// and platform, else by reference alone. An image a named context supplies has no
/// platform to check, as in BuildKit.
pub(crate) fn run(
    env: &FrontendEnv,
    loaded: &LoadedDockerfile,
    parsed: &Parsed,
    resolved: &ResolvedImages,
    contexts: &BuildContexts,
    check: Option<CheckConfig>,
) -> Analysis {
    let lookup = |query: &ImageQuery| -> Option<BaseImage> {
        let reference = reference(query)?;
        let image = resolved
            .iter()
            .find(|(key, _)| {
                key.reference == reference && key.platform.as_ref() == Some(&query.platform)
            })
            .or_else(|| resolved.iter().find(|(key, _)| key.reference == reference))
            .map(|(_, image)| image)?;
        let mut base = buildkit::base_image(&image.config);
        if from_named_context(contexts, &reference, &query.platform) {
            base.platform = None;
        }
        Some(base)
    };
    let target_platform = env.options.platforms.first().cloned();
    let options = options(env, loaded, check, &lookup, target_platform, false);
    buildkit::analyze(&loaded.dockerfile.text, parsed, &options)
}

/// BuildKit's build checks, once per build, over the images the first platform
/// resolved (none when that failed), sent as soon as they are known, before
/// lowering, as BuildKit sends them while it converts. An invalid check
/// configuration, or the failed resolution, stops the build here.
pub(crate) async fn before_lowering(
    session: &Session<'_>,
    parsed: &Parsed,
    check: Option<CheckConfig>,
    resolved: &Result<ResolvedPlatform, BuildError>,
) -> Result<Analysis, BuildError> {
    let (bridge, caps, env, loaded, contexts) = (
        session.bridge,
        session.caps,
        session.env,
        session.loaded,
        session.contexts,
    );
    let no_images = ResolvedImages::new();
    let images = resolved.as_ref().map_or(&no_images, |r| &r.images);
    let analysis = run(env, loaded, parsed, images, contexts, check);
    send(bridge, caps, loaded, &analysis.findings).await;
    let stop = config_error(&analysis, loaded).or_else(|| resolved.as_ref().err().cloned());
    match stop {
        Some(error) => {
            show(bridge, caps, loaded, analysis.findings.len()).await;
            Err(error)
        }
        None => Ok(analysis),
    }
}

/// Sends the first platform's warnings (the change records are the same for every
/// platform) with `Warn` where the daemon has the `gateway.warnings` cap; they are
/// in the daemon log either way. A failing `Warn` is logged, never fatal.
async fn send_warnings(
    bridge: &Bridge,
    caps: &Caps,
    loaded: &LoadedDockerfile,
    warnings: &[LowerWarning],
) {
    if warnings.is_empty() || !caps.gateway_supports(crate::caps::gateway::WARNINGS) {
        return;
    }
    let info = source_info(loaded);
    let digest = warnings_vertex(bridge, caps, loaded).await;
    for warning in warnings {
        let ranges = warning.lines.iter().map(|&r| range(r)).collect();
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

/// After the first platform is lowered: dfopt's change records follow BuildKit's
/// findings, the load step is updated so buildx prints them all beside it, and
/// `# check=error=true` with findings fails the build (a conversion error comes
/// first, as in BuildKit).
pub(crate) async fn after_lowering(
    session: &Session<'_>,
    analysis: &Analysis,
    lowered: Result<Lowered, BuildError>,
) -> Result<Lowered, BuildError> {
    let (bridge, caps, loaded) = (session.bridge, session.caps, session.loaded);
    let rewrites = lowered.as_ref().map_or(&[][..], |l| &l.warnings[..]);
    send_warnings(bridge, caps, loaded, rewrites).await;
    let sent = analysis.findings.len() + rewrites.len();
    show(bridge, caps, loaded, sent).await;
    match violation(analysis, loaded) {
        Some(error) => Err(lowered.err().unwrap_or(error)),
        None => lowered,
    }
}

fn from_named_context(contexts: &BuildContexts, reference: &str, platform: &Platform) -> bool {
    named::context_name(reference)
        .is_some_and(|name| contexts.named.find(&name, platform).is_some())
}

/// An invalid check configuration: BuildKit refuses it before anything else, so it
/// wins over a conversion error.
pub(crate) fn config_error(analysis: &Analysis, loaded: &LoadedDockerfile) -> Option<BuildError> {
    error_of_kind(analysis, ErrorKind::Config, loaded)
}

/// `error=true` with findings: the build fails once the Dockerfile is converted.
/// (Any other error of the walk is the conversion's to report; it fails there the
/// same way.)
pub(crate) fn violation(analysis: &Analysis, loaded: &LoadedDockerfile) -> Option<BuildError> {
    error_of_kind(analysis, ErrorKind::Violation, loaded)
}

/// BuildKit's error has no place in the file, and buildx prints no source frame for
/// it. An error without any source would be framed at the `# syntax=` line by the
/// daemon's frontend that forwarded to us, so it names the Dockerfile with an empty
/// range list, which buildx prints nothing for.
fn error_of_kind(
    analysis: &Analysis,
    kind: ErrorKind,
    loaded: &LoadedDockerfile,
) -> Option<BuildError> {
    let error = analysis.error.as_ref().filter(|e| e.kind == kind)?;
    let source = serde_json::json!({
        "info": {
            "filename": loaded.dockerfile.filename,
            "data": crate::errors::base64(&loaded.dockerfile.data),
            "language": "Dockerfile",
        },
        "ranges": [],
    });
    Some(BuildError::new(error.message.clone()).with_detail(crate::errors::SOURCE_TYPE_URL, source))
}

/// Sends the findings with `Warn` where the daemon has the `gateway.warnings` cap,
/// exactly as BuildKit's frontend does: level 1, the short form as message, the
/// rule's description as detail, its URL, the Dockerfile as source and the lines
/// as ranges. They are in the daemon log either way. A failing `Warn` is logged,
/// never fatal.
pub(crate) async fn send(
    bridge: &Bridge,
    caps: &Caps,
    loaded: &LoadedDockerfile,
    findings: &[Finding],
) {
    if findings.is_empty() {
        return;
    }
    let index = LineIndex::new(&loaded.dockerfile.text);
    let shorts: Vec<String> = findings
        .iter()
        .map(|f| buildkit::warn_short(f, &index))
        .collect();
    for short in &shorts {
        crate::log(format_args!("check: {short}"));
    }
    if !caps.gateway_supports(crate::caps::gateway::WARNINGS) {
        return;
    }
    let info = source_info(loaded);
    let digest = warnings_vertex(bridge, caps, loaded).await;
    for (finding, short) in findings.iter().zip(&shorts) {
        let ranges = finding
            .lines(&index)
            .into_iter()
            .map(|(start, end)| range(LineRange::new(start, end)))
            .collect();
        let detail = vec![finding.rule.description.to_owned()];
        if let Err(error) = bridge
            .warn(
                &digest,
                short,
                &detail,
                finding.rule.url,
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

/// The vertex warnings are attached to: a trivial op of the load step's group (a
/// directory in an empty filesystem), solved here first so the printer knows it.
/// Not the Dockerfile's own source op, as BuildKit's frontend does: with
/// `# syntax=`, the daemon read that very source (same digest) before starting us,
/// so that vertex is finished outside our group and would never be shown again.
/// Falls back to the source op when the marker cannot be solved.
pub(crate) async fn warnings_vertex(
    bridge: &Bridge,
    caps: &Caps,
    loaded: &LoadedDockerfile,
) -> String {
    match solve_marker(bridge, caps, loaded, "/warnings").await {
        Some(digest) => digest,
        None => definition_digest(loaded),
    }
}

/// After warnings were sent, solves another trivial op in the load step's group, so
/// the printer updates the group and prints its warnings beside the step. Nothing is
/// done when nothing was sent.
pub(crate) async fn show(bridge: &Bridge, caps: &Caps, loaded: &LoadedDockerfile, sent: usize) {
    if sent == 0 || !caps.gateway_supports(crate::caps::gateway::WARNINGS) {
        return;
    }
    solve_marker(bridge, caps, loaded, "/warnings-shown").await;
}

/// Solves `mkdir <dir>` on scratch in the load step's group; its digest. Named as an
/// internal step: it is no step of the Dockerfile, and it is not in the build's
/// result, so a layer cache export (`--cache-to`) does not carry it.
async fn solve_marker(
    bridge: &Bridge,
    caps: &Caps,
    loaded: &LoadedDockerfile,
    dir: &str,
) -> Option<String> {
    let state = State::scratch()
        .file()
        .mkdir(Mkdir::new(dir, 0o755))
        .custom_name("[internal] build checks")
        .build();
    let mut definition = match state.and_then(|s| s.marshal(&caps.llb)) {
        Ok(definition) => definition,
        Err(error) => {
            crate::log(format_args!("cannot show the warnings: {error}"));
            return None;
        }
    };
    dockerfile_source::join_load_group(&mut definition, &loaded.dockerfile.filename);
    let digest = definition.def.first().map(|op| dfopt_llb::digest(op))?;
    let evaluate = caps.gateway_supports(crate::caps::gateway::SOLVE_EVALUATE);
    match bridge.solve_with_cache(definition, &[], evaluate).await {
        Ok(_) => Some(digest),
        Err(error) => {
            crate::log(format_args!("cannot show the warnings: {error}"));
            None
        }
    }
}

/// The Dockerfile as `Warn` names it.
pub(crate) fn source_info(loaded: &LoadedDockerfile) -> pb::SourceInfo {
    pb::SourceInfo {
        filename: loaded.dockerfile.filename.clone(),
        data: loaded.dockerfile.data.clone(),
        definition: Some(loaded.definition.clone()),
        language: "Dockerfile".to_owned(),
    }
}

/// The vertex of the Dockerfile's own source op ("load build definition"), where
/// BuildKit's frontend attaches its warnings.
pub(crate) fn definition_digest(loaded: &LoadedDockerfile) -> String {
    loaded
        .definition
        .def
        .first()
        .map(|op| dfopt_llb::digest(op))
        .unwrap_or_default()
}

/// Lines as a `pb.Range` (characters are always 0, as BuildKit sends them).
pub(crate) fn range(lines: LineRange) -> pb::Range {
    let position = |line: u32| pb::Position {
        line: i32::try_from(line).unwrap_or(i32::MAX),
        character: 0,
    };
    pb::Range {
        start: Some(position(lines.start)),
        end: Some(position(lines.end)),
    }
}
