//! Lowers a Dockerfile to a BuildKit LLB `pb.Definition` and an image config, exactly
//! as the Dockerfile frontend built into Docker 20.10 (BuildKit v0.8.3
//! `frontend/dockerfile/dockerfile2llb`) does, so that builds through dfopt reuse the
//! cache of builds made by Docker's own frontend and produce identical image configs.
//!
//! A pure library: text and data in, data out. Base image configs are resolved over
//! the gateway between two calls:
//!
//! 1. [`images_to_resolve`] lists the `ResolveImageConfig` requests (only for stages
//!    reachable from the target, as BuildKit does);
//! 2. [`convert`] takes the answers and returns the Definition and the image config.
//!
//! ```
//! use std::collections::BTreeMap;
//! use dfopt_convert::{convert, images_to_resolve, ConvertOptions, ResolvedImage};
//! use dfopt_llb::{CapSet, Platform};
//!
//! let dockerfile = "FROM busybox\nRUN echo hi > /x\n";
//! let opts = ConvertOptions::new("session-id", Platform::new("linux", "amd64"), CapSet::buildkit_v0_8());
//! let requests = images_to_resolve(dockerfile, &opts).unwrap();
//! assert_eq!(requests[0].log_name, "[internal] load metadata for docker.io/library/busybox:latest");
//! let config = br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["sha256:aa"]},"config":{"Cmd":["sh"]}}"#;
//! let images = BTreeMap::from([(requests[0].key.clone(), ResolvedImage { digest: None, config: config.to_vec() })]);
//! let converted = convert(dockerfile, &opts, &images).unwrap();
//! assert!(dfopt_llb::validate(&converted.definition).is_ok());
//! ```
//!
//! Where BuildKit v0.8.3 and the Dockerfile syntax dfopt accepts differ (heredocs,
//! `--link`, `--exclude`, …, all newer than Docker 20.10), the newer frontend's
//! lowering is used when the daemon's capabilities allow it, the documented fallback
//! otherwise (`--link` becomes a plain copy), or a [`ConvertError`] names the feature
//! and the BuildKit version that has it.

mod copy;
mod dialect;
mod dispatch;
mod expand;
mod expose;
mod gofmt;
mod gojson;
mod image;
mod input;
mod options;
mod paths;
mod plan;
mod platform;
mod run;
mod signal;

use std::collections::{BTreeMap, BTreeSet};

use dfopt_llb::prelude::*;
use dfopt_llb::Error as LlbError;

pub use dialect::Dialect;
pub use input::{CommandOrigin, ConvertInput};
pub use options::{
    ConvertError, ConvertErrorKind, ConvertOptions, Converted, ImageRequest, NoCache,
    ResolvedImage, Warning,
};

use dispatch::{err, request_key, resolve_mode_name, Dispatcher};
use plan::{NamedRef, Plan, SCRATCH};

/// Phase 1: the image configs to resolve before [`convert`], one per distinct
/// reference and platform, in stage order. Only `FROM <image>` of stages reachable
/// from the target are listed (BuildKit v0.8.3 resolves neither unreachable stages nor
/// `COPY --from=<image>`/`--mount from=<image>`, which are not pinned either; v0.25
/// resolves and pins those images too).
pub fn images_to_resolve(
    source: &str,
    opts: &ConvertOptions,
) -> Result<Vec<ImageRequest>, ConvertError> {
    images_for(source, &ConvertInput::parse(source)?, opts)
}

/// [`images_to_resolve`] for a Dockerfile already parsed (`source` is the user's
/// text, which `input`'s spans point into).
pub fn images_for(
    source: &str,
    input: &ConvertInput,
    opts: &ConvertOptions,
) -> Result<Vec<ImageRequest>, ConvertError> {
    let plan = Plan::build(source, input, opts)?;
    let mut requests: Vec<ImageRequest> = Vec::new();
    for (i, d) in plan.states.iter().enumerate() {
        if d.base.is_some() || d.base_name == SCRATCH {
            continue;
        }
        let named = NamedRef::parse(&d.base_name).map_err(|reason| {
            err(
                format!(
                    "failed to parse stage name {}: {reason}",
                    dfopt_dockerfile::go_quote(&d.base_name)
                ),
                d.location.span(),
            )
        })?;
        // BuildKit v0.25 resolves (and pins) `COPY --from=<image>` images too.
        if !plan.reachable[i] || (d.unregistered && Dialect::for_caps(&opts.caps).is_v0_8()) {
            continue;
        }
        let platform = d
            .platform
            .clone()
            .unwrap_or_else(|| plan.target_platform.clone());
        let key = request_key(&named.tag_name_only, &platform);
        if requests.iter().any(|r| r.key == key) {
            continue;
        }
        let mut prefix = "[".to_owned();
        if opts.prefix_platform {
            prefix.push_str(&platform::format(&platform));
            prefix.push(' ');
        }
        prefix.push_str("internal]");
        requests.push(ImageRequest {
            key,
            log_name: format!("{prefix} load metadata for {}", named.tag_name_only),
            reference: named.tag_name_only,
            platform,
            resolve_mode: resolve_mode_name(opts.image_resolve_mode).to_owned(),
        });
    }
    Ok(requests)
}

/// Phase 2: the Definition of the target stage and its image config, given the answers
/// to [`images_to_resolve`] keyed by [`ImageRequest::key`].
pub fn convert(
    source: &str,
    opts: &ConvertOptions,
    images: &BTreeMap<String, ResolvedImage>,
) -> Result<Converted, ConvertError> {
    lower(source, &ConvertInput::parse(source)?, opts, images)
}

/// [`convert`] for a Dockerfile already parsed, possibly rewritten: `source` is the
/// user's text (the source map's data; `input`'s spans and origins point into it).
pub fn lower(
    source: &str,
    input: &ConvertInput,
    opts: &ConvertOptions,
    images: &BTreeMap<String, ResolvedImage>,
) -> Result<Converted, ConvertError> {
    let plan = Plan::build(source, input, opts)?;
    // The build context's follow paths are only known once every stage has been
    // dispatched: the stages are built on the context without them, and the context
    // with them takes its place when marshalling (BuildKit's `mutableOutput`).
    let placeholder = context(opts, None);
    let result = run(&plan, opts, source, images, placeholder.clone())?;
    let follow = normalize_context_paths(&result.ctx_paths);
    let mut image = result.image;
    if !opts.labels.is_empty() {
        image.config.labels.make_if_nil();
        for (k, v) in &opts.labels {
            image.config.labels.insert(k.clone(), v.clone());
        }
    }
    if let Some(tp) = &opts.target_platform {
        image.os = tp.os.clone();
        image.architecture = tp.architecture.clone();
        image.variant = tp.variant.clone();
    }
    let image_config = image
        .to_json_as(Dialect::for_caps(&opts.caps))
        .map_err(|e| err(format!("failed to marshal image config: {e}"), None))?
        .into_bytes();
    let actual = follow.map(|paths| context(opts, Some(paths)));
    let definition = match (
        placeholder.output(),
        actual.as_ref().and_then(State::output),
    ) {
        (Some(placeholder), Some(actual)) => {
            result
                .state
                .marshal_replacing(&opts.caps, placeholder, actual)
        }
        _ => result.state.marshal(&opts.caps),
    }
    .map_err(|e| marshal_error(&e))?;
    let mut warnings = plan.warnings;
    warnings.extend(result.warnings);
    Ok(Converted {
        definition,
        image_config,
        warnings,
    })
}

struct RunResult {
    state: State,
    image: image::Image,
    ctx_paths: BTreeSet<String>,
    warnings: Vec<Warning>,
}

fn run(
    plan: &Plan<'_>,
    opts: &ConvertOptions,
    source: &str,
    images: &BTreeMap<String, ResolvedImage>,
    context: State,
) -> Result<RunResult, ConvertError> {
    let mut d = Dispatcher::new(plan, opts, source, context);
    d.resolve_bases(images)?;
    d.dispatch_stages()?;
    // Everything is moved out of the dispatcher, which is done.
    let Dispatcher {
        mut rt, warnings, ..
    } = d;
    let mut ctx_paths = BTreeSet::new();
    for (i, stage) in rt.iter_mut().enumerate() {
        if plan.reachable[i] {
            ctx_paths.append(&mut stage.ctx_paths);
        }
    }
    let target = rt.swap_remove(plan.target);
    Ok(RunResult {
        state: target.state,
        image: target.image,
        ctx_paths,
        warnings,
    })
}

/// `[internal] load build context`: the local source of the build context.
fn context(opts: &ConvertOptions, follow: Option<Vec<String>>) -> State {
    let name = if opts.context_name.is_empty() {
        "context"
    } else {
        opts.context_name.as_str()
    };
    let Ok(mut local) = Local::new(name) else {
        return State::scratch();
    };
    if !opts.session_id.is_empty() {
        local = local.session(opts.session_id.clone());
    }
    local = local
        .exclude_patterns(opts.excludes.clone())
        .shared_key_hint(name)
        .custom_name("[internal] load build context");
    if let Some(paths) = follow {
        local = local.follow_paths(paths);
    }
    local.build()
}

/// `normalizeContextPaths`: `None` when the whole context is used.
fn normalize_context_paths(paths: &BTreeSet<String>) -> Option<Vec<String>> {
    if paths.contains("/") {
        return None;
    }
    let mut out: Vec<String> = paths.iter().map(|p| paths::join(&[".", p])).collect();
    out.sort();
    Some(out)
}

fn marshal_error(e: &LlbError) -> ConvertError {
    ConvertError::new(e.to_string(), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn context_paths() {
        let set = |v: &[&str]| {
            v.iter()
                .map(|s| (*s).to_owned())
                .collect::<BTreeSet<String>>()
        };
        assert_eq!(
            normalize_context_paths(&set(&["/b", "/a/x"])),
            Some(vec!["a/x".into(), "b".into()])
        );
        assert_eq!(normalize_context_paths(&set(&["/b", "/"])), None);
        assert_eq!(normalize_context_paths(&set(&[])), Some(vec![]));
    }
}
