//! One target platform, from images to a lowered graph:
//!
//! ```text
//! images() ⇄ ResolveImageConfig (named contexts answer their names) ─▶ lower() ─▶ splice contexts
//! ```
//!
//! The lowering is asked for the images it needs until it names nothing new; named
//! contexts answer the names they replace, the daemon resolves the rest. A panic in
//! the lowering becomes a build error.

use std::collections::BTreeSet;
use std::sync::Arc;

use dfopt_compile::Compilation;
use dfopt_llb::Platform;
use dfopt_optimizer::ContextFacts;
use tokio::task::JoinSet;
use tonic::Code;

use crate::bridge::{BridgeError, ResolvedImage};
use crate::context_facts::{ContextReader, MAX_CONTEXT_ROUNDS};
use crate::contexts::stage_override;
use crate::errors::{BuildError, SourceFile};
use crate::lowering::{
    ImageToResolve, LowerError, LowerRequest, Lowered, ResolvedImages, MAX_RESOLVE_ROUNDS,
};
use crate::platform;
use crate::session::Session;

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
pub(crate) async fn lower_for_platform(
    session: &Session<'_>,
    compilation: &Arc<Compilation>,
    target: Option<Platform>,
) -> Result<Lowered, BuildError> {
    let resolved = resolve_platform(session, compilation, target).await?;
    lower_resolved(session, resolved).await
}

/// The first half of [`lower_for_platform`]: the images one platform needs,
/// resolved (the build checks run on them before the Dockerfile is lowered).
pub(crate) async fn resolve_platform(
    session: &Session<'_>,
    compilation: &Arc<Compilation>,
    target: Option<Platform>,
) -> Result<ResolvedPlatform, BuildError> {
    let platform = target
        .clone()
        .unwrap_or_else(|| session.env.build_platform.clone());
    let rewritten = stage_override::rewrite(
        &session.loaded.dockerfile,
        compilation.parsed(),
        &session.contexts.named,
        &platform,
    );
    let mut request = lower_request(session, compilation.clone(), target);
    if let Some(dockerfile) = &rewritten {
        // Stages that named contexts replace are cut from the text; lines stay.
        request.compilation = Arc::new(Compilation::new(dockerfile.text.clone()));
    }
    let images = resolve_images_for(session, &request).await?;
    read_context_facts(session, &mut request, &images).await?;
    Ok(ResolvedPlatform {
        request,
        platform,
        images,
    })
}

/// The second half of [`lower_for_platform`].
pub(crate) async fn lower_resolved(
    session: &Session<'_>,
    resolved: ResolvedPlatform,
) -> Result<Lowered, BuildError> {
    let lowered = lower_with(session, &resolved.request, &resolved.images)?;
    session
        .contexts
        .apply(
            session.bridge,
            session.caps,
            &session.env.options.context_key,
            &resolved.platform,
            lowered,
        )
        .await
}

/// What the lowering gets for one target platform.
fn lower_request(
    session: &Session<'_>,
    compilation: Arc<Compilation>,
    target_platform: Option<Platform>,
) -> LowerRequest {
    let (env, loaded) = (session.env, session.loaded);
    LowerRequest {
        dockerfile: loaded.dockerfile.clone(),
        compilation,
        options: env.options.clone(),
        caps: session.caps.clone(),
        build_platform: env.build_platform.clone(),
        target_platform,
        multi_platform: env.options.is_multi_platform(),
        session_id: env.session_id.clone(),
        dockerignore: loaded.dockerignore.clone(),
        context: ContextFacts::default(),
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
async fn resolve_images_for(
    session: &Session<'_>,
    request: &LowerRequest,
) -> Result<ResolvedImages, BuildError> {
    let source = session.source();
    let mut resolved = ResolvedImages::new();
    let mut rounds = 0;
    loop {
        let mut wanted = guard_panic("images", || session.lowering.images(request, &resolved))?
            .map_err(|e| lower_error_at(&source, e))?;
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
        resolve_images(session, request, wanted, &mut resolved).await?;
    }
}

/// Reads what the lowering asks for from the build context, round after round,
/// into `request.context`. When the context cannot be read (its transfer fails,
/// a read times out), the facts are dropped and the passes that need them do
/// not fire: the build goes on as written, and its own steps report a context
/// that is truly broken, as Docker's frontend would.
async fn read_context_facts(
    session: &Session<'_>,
    request: &mut LowerRequest,
    images: &ResolvedImages,
) -> Result<(), BuildError> {
    // The frontend can always read the context the build uses.
    request.context.available = true;
    let mut reader = ContextReader::new();
    for _ in 0..MAX_CONTEXT_ROUNDS {
        let queries = guard_panic("context", || {
            session.lowering.context_queries(request, images)
        })?
        .map_err(|e| lower_error_at(&session.source(), e))?;
        let new: Vec<_> = queries
            .into_iter()
            .filter(|q| !request.context.answers(q))
            .collect();
        if new.is_empty() {
            return Ok(());
        }
        if let Err(error) = reader.answer(session, &new, &mut request.context).await {
            crate::log(format_args!(
                "build context not read, passes that need it do not fire: {error}"
            ));
            request.context = ContextFacts::default();
            return Ok(());
        }
    }
    Ok(())
}

/// Lowers with the images resolved.
fn lower_with(
    session: &Session<'_>,
    request: &LowerRequest,
    resolved: &ResolvedImages,
) -> Result<Lowered, BuildError> {
    guard_panic("lower", || session.lowering.lower(request, resolved))?
        .map_err(|e| lower_error_at(&session.source(), e))
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
    session: &Session<'_>,
    request: &LowerRequest,
    images: Vec<ImageToResolve>,
    resolved: &mut ResolvedImages,
) -> Result<(), BuildError> {
    let (bridge, contexts, source) = (session.bridge, session.contexts, &session.source());
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
