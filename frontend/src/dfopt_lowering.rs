//! The real lowering: `dfopt-convert` behind the frontend's [`Lowering`] seam.
//!
//! A thin adapter: it maps the gateway's parsed options onto the converter's
//! options, the converter's image requests onto [`ImageToResolve`], and its
//! errors (byte spans) onto line ranges.

use std::collections::BTreeMap;

use dfopt_convert::{ConvertError, ConvertErrorKind, ConvertOptions, ImageRequest, NoCache};
use dfopt_dockerfile::stages::builtin_args::{ArgPlatform, PredefinedArgs};
use dfopt_dockerfile::stages::scope::Vars;
use dfopt_dockerfile::{LineIndex, Span};
use dfopt_llb::{Network, Platform, ResolveMode};

use crate::optimize;

use crate::errors::LineRange;
use crate::lowering::{
    ImageKey, ImageToResolve, LowerError, LowerRequest, LowerWarning, Lowered, Lowering,
    ResolvedImages,
};
use crate::options::{self, ImageResolveMode, NetworkMode};

/// Converts Dockerfiles with `dfopt-convert`.
#[derive(Debug, Clone, Copy, Default)]
pub struct DfoptLowering;

impl Lowering for DfoptLowering {
    fn images(
        &self,
        request: &LowerRequest,
        _resolved: &ResolvedImages,
    ) -> Result<Vec<ImageToResolve>, LowerError> {
        let opts = convert_options(request);
        let source = &request.dockerfile.text;
        let wanted = dfopt_convert::images_to_resolve(source, &opts).map_err(|e| {
            lower_error(&e, source, |(start, end)| Some(LineRange::new(start, end)))
        })?;
        Ok(wanted
            .into_iter()
            .map(|r| ImageToResolve {
                key: image_key(&r),
                lines: None,
            })
            .collect())
    }

    fn lower(
        &self,
        request: &LowerRequest,
        resolved: &ResolvedImages,
    ) -> Result<Lowered, LowerError> {
        let opts = convert_options(request);
        let original = &request.dockerfile.text;
        let target = request
            .target_platform
            .clone()
            .unwrap_or_else(|| request.build_platform.clone());
        let infos = optimize::image_infos(
            original,
            &opts.build_args,
            platform_args(&request.build_platform, &target),
            resolved,
        );
        let rewritten = optimize::rewrite(
            original,
            &opts.build_args,
            opts.target.as_deref(),
            Some(target.to_string()),
            Some(request.build_platform.to_string()),
            infos,
        )?;
        let source = rewritten
            .as_ref()
            .map_or(original.as_str(), |r| r.text.as_str());
        // Lines of the rewritten text back to the user's.
        let user_lines = |(start, end): (u32, u32)| match &rewritten {
            None => Some(LineRange::new(start, end)),
            Some(r) => r
                .original_lines(start, end)
                .first()
                .map(|&(s, e)| LineRange::new(s, e)),
        };
        let located = |e: &ConvertError| lower_error(e, source, user_lines);
        let wanted = dfopt_convert::images_to_resolve(source, &opts).map_err(|e| located(&e))?;
        let mut images = BTreeMap::new();
        for r in &wanted {
            if let Some(image) = resolved.get(&image_key(r)) {
                let answer = dfopt_convert::ResolvedImage {
                    digest: image.digest.clone(),
                    config: image.config.clone(),
                };
                images.insert(r.key.clone(), answer);
            }
        }
        let converted = dfopt_convert::convert(source, &opts, &images).map_err(|e| located(&e))?;
        let mut warnings = Vec::new();
        for warning in &converted.warnings {
            eprintln!("dfopt: warning: {}", warning.message);
            let lines = warning
                .span
                .map(|span| {
                    let (start, end) = span_lines(&LineIndex::new(source), span);
                    match &rewritten {
                        Some(r) => r
                            .original_lines(start, end)
                            .into_iter()
                            .map(|(s, e)| LineRange::new(s, e))
                            .collect(),
                        None => vec![LineRange::new(start, end)],
                    }
                })
                .unwrap_or_default();
            warnings.push(LowerWarning {
                short: warning.message.clone(),
                detail: Vec::new(),
                lines,
            });
        }
        let mut definition = converted.definition;
        if let Some(rewritten) = &rewritten {
            rewritten.restore(&mut definition, &request.dockerfile.data);
            let index = LineIndex::new(original);
            for change in rewritten
                .optimized
                .rewrites()
                .chain(rewritten.optimized.reports())
            {
                eprintln!(
                    "dfopt: {}: {} ({})",
                    change.pass, change.title, change.reason
                );
                let lines = change
                    .ranges
                    .iter()
                    .map(|span| {
                        let (start, end) = span_lines(&index, *span);
                        LineRange::new(start, end)
                    })
                    .collect();
                warnings.push(LowerWarning {
                    short: format!("dfopt {}: {}", change.pass, change.title),
                    detail: vec![change.reason.clone()],
                    lines,
                });
            }
        }
        Ok(Lowered {
            definition,
            image_config: converted.image_config,
            metadata: BTreeMap::new(),
            warnings,
        })
    }
}

/// BuildKit's predefined platform ARGs, for expanding `FROM` in global scope.
fn platform_args(build: &Platform, target: &Platform) -> Vars {
    let arg_platform =
        |p: &Platform| ArgPlatform::new(p.to_string(), &p.os, &p.architecture, &p.variant);
    PredefinedArgs {
        build: Some(arg_platform(build)),
        target: Some(arg_platform(target)),
        target_stage: None,
        os_version: false,
    }
    .vars(None)
}

/// First and last 1-based line of a byte span (its end is exclusive).
fn span_lines(index: &LineIndex, span: Span) -> (u32, u32) {
    (
        index.line(span.start),
        index.line(span.end.saturating_sub(1).max(span.start)),
    )
}

fn image_key(request: &ImageRequest) -> ImageKey {
    ImageKey {
        reference: request.reference.clone(),
        platform: Some(request.platform.clone()),
    }
}

/// The converter's error in lines of the user's Dockerfile (`user_lines` maps lines
/// of `source`, the text converted, back to them).
fn lower_error(
    error: &ConvertError,
    source: &str,
    user_lines: impl Fn((u32, u32)) -> Option<LineRange>,
) -> LowerError {
    let index = LineIndex::new(source);
    let mut lowered = LowerError::new(error.message.clone());
    lowered.lines = error.span.and_then(|span| user_lines(index.lines(span)));
    lowered.related = error
        .related
        .iter()
        .filter_map(|&span| user_lines(index.lines(span)))
        .collect();
    lowered.instruction_parse = error.kind == ConvertErrorKind::Instruction;
    lowered
}

/// The converter's view of the build options.
fn convert_options(request: &LowerRequest) -> ConvertOptions {
    let o = &request.options;
    let mut opts = ConvertOptions::new(
        request.session_id.clone(),
        request.build_platform.clone(),
        request.caps.llb.clone(),
    );
    opts.target = o.target.clone();
    opts.build_args = o.build_args.clone();
    opts.labels = o.labels.clone();
    opts.target_platform = request.target_platform.clone();
    opts.prefix_platform = request.multi_platform;
    opts.context_name = o.context_key.clone();
    opts.dockerfile_name = request.dockerfile.filename.clone();
    opts.excludes = request.dockerignore.clone();
    opts.image_resolve_mode = match o.image_resolve_mode {
        ImageResolveMode::Default => ResolveMode::Default,
        ImageResolveMode::Pull => ResolveMode::ForcePull,
        ImageResolveMode::Local => ResolveMode::PreferLocal,
    };
    opts.no_cache = match &o.no_cache {
        options::NoCache::Off => NoCache::None,
        options::NoCache::AllStages => NoCache::All,
        options::NoCache::Stages(stages) => NoCache::Stages(stages.clone()),
    };
    opts.force_network_mode = match o.network_mode {
        NetworkMode::Sandbox => None,
        NetworkMode::Host => Some(Network::Host),
        NetworkMode::None => Some(Network::None),
    };
    opts.extra_hosts = o
        .extra_hosts
        .iter()
        .map(|h| (h.host.clone(), h.ip.to_string()))
        .collect();
    opts.hostname = o.hostname.clone();
    opts
}
