//! The real lowering: the compile pipeline (`dfopt-compile`) behind the
//! frontend's [`Lowering`] seam.
//!
//! A thin adapter: it maps the gateway's parsed options onto the converter's
//! options, the pipeline's image requests onto [`ImageToResolve`] and the resolved
//! configs back, and its errors, warnings and change records (byte spans of the
//! user's Dockerfile) onto line ranges.

use std::collections::BTreeMap;

use dfopt_compile::{BaseImages, CompileError};
use dfopt_convert::{ConvertOptions, ImageRequest, NoCache};
use dfopt_dockerfile::{LineIndex, Span};
use dfopt_llb::{Network, ResolveMode};
use dfopt_optimizer::ContextQuery;

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
        let compilation = &request.compilation;
        let wanted = compilation
            .images_to_resolve(&convert_options(request))
            .map_err(|e| lower_error(&e, compilation.text()))?;
        Ok(wanted
            .into_iter()
            .map(|r| ImageToResolve {
                key: image_key(&r),
                lines: None,
            })
            .collect())
    }

    fn context_queries(
        &self,
        request: &LowerRequest,
        resolved: &ResolvedImages,
    ) -> Result<Vec<ContextQuery>, LowerError> {
        let opts = convert_options(request);
        let compilation = &request.compilation;
        let images = base_images(request, &opts, resolved)?;
        compilation
            .context_queries(&opts, &images, &request.context)
            .map_err(|e| lower_error(&e, compilation.text()))
    }

    fn lower(
        &self,
        request: &LowerRequest,
        resolved: &ResolvedImages,
    ) -> Result<Lowered, LowerError> {
        let opts = convert_options(request);
        let compilation = &request.compilation;
        let text = compilation.text();
        let images = base_images(request, &opts, resolved)?;
        let compiled = compilation
            .lower(&opts, &images, &request.context)
            .map_err(|e| lower_error(&e, text))?;
        let index = LineIndex::new(text);
        let mut warnings = Vec::new();
        for warning in &compiled.warnings {
            eprintln!("dfopt: warning: {}", warning.message);
            warnings.push(LowerWarning {
                short: warning.message.clone(),
                detail: Vec::new(),
                lines: warning
                    .spans
                    .iter()
                    .map(|&s| line_range(&index, s))
                    .collect(),
            });
        }
        if let Some(optimized) = &compiled.optimized {
            for change in optimized.rewrites().chain(optimized.reports()) {
                eprintln!(
                    "dfopt: {}: {} ({})",
                    change.pass, change.title, change.reason
                );
                warnings.push(LowerWarning {
                    short: format!("dfopt {}: {}", change.pass, change.title),
                    detail: vec![change.reason.clone()],
                    lines: change
                        .ranges
                        .iter()
                        .map(|&s| line_range(&index, s))
                        .collect(),
                });
            }
        }
        Ok(Lowered {
            definition: compiled.definition,
            image_config: compiled.image_config,
            metadata: BTreeMap::new(),
            warnings,
        })
    }
}

/// The resolved configs of the images the Dockerfile names, as the pipeline's answers.
fn base_images(
    request: &LowerRequest,
    opts: &ConvertOptions,
    resolved: &ResolvedImages,
) -> Result<BaseImages, LowerError> {
    let compilation = &request.compilation;
    let wanted = compilation
        .images_to_resolve(opts)
        .map_err(|e| lower_error(&e, compilation.text()))?;
    let answers = wanted
        .into_iter()
        .filter_map(|r| {
            let image = resolved.get(&image_key(&r))?;
            let answer = dfopt_convert::ResolvedImage {
                digest: image.digest.clone(),
                config: image.config.clone(),
            };
            Some((r, answer))
        })
        .collect();
    Ok(BaseImages {
        answers,
        resolved: true,
    })
}

/// First and last 1-based line of a byte span (its end is exclusive).
fn line_range(index: &LineIndex, span: Span) -> LineRange {
    let (start, end) = (
        index.line(span.start),
        index.line(span.end.saturating_sub(1).max(span.start)),
    );
    LineRange::new(start, end)
}

fn image_key(request: &ImageRequest) -> ImageKey {
    ImageKey {
        reference: request.reference.clone(),
        platform: Some(request.platform.clone()),
    }
}

/// The pipeline's error in lines of the user's Dockerfile.
fn lower_error(error: &CompileError, text: &str) -> LowerError {
    let index = LineIndex::new(text);
    let lines = |span: Span| {
        let (start, end) = index.lines(span);
        LineRange::new(start, end)
    };
    let mut lowered = LowerError::new(error.message.clone());
    lowered.lines = error.span.map(lines);
    lowered.related = error.related.iter().map(|&span| lines(span)).collect();
    lowered.instruction_parse = error.instruction_parse;
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
    // The source map holds the file as read, whatever text is lowered.
    opts.dockerfile_data = Some(request.dockerfile.data.clone());
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
