//! The real lowering: `dfopt-convert` behind the frontend's [`Lowering`] seam.
//!
//! A thin adapter: it maps the gateway's parsed options onto the converter's
//! options, the converter's image requests onto [`ImageToResolve`], and its
//! errors (byte spans) onto line ranges.

use std::collections::BTreeMap;

use dfopt_convert::{ConvertError, ConvertOptions, ImageRequest, NoCache};
use dfopt_llb::{Network, ResolveMode};

use crate::errors::LineRange;
use crate::lowering::{ImageKey, ImageToResolve, LowerError, LowerRequest, Lowered, Lowering, ResolvedImages};
use crate::options::{self, ImageResolveMode, NetworkMode};

/// Converts Dockerfiles with `dfopt-convert`.
#[derive(Debug, Clone, Copy, Default)]
pub struct DfoptLowering;

impl Lowering for DfoptLowering {
    fn images(&self, request: &LowerRequest, _resolved: &ResolvedImages) -> Result<Vec<ImageToResolve>, LowerError> {
        let opts = convert_options(request);
        let source = &request.dockerfile.text;
        let wanted = dfopt_convert::images_to_resolve(source, &opts).map_err(|e| lower_error(&e, source))?;
        Ok(wanted.into_iter().map(|r| ImageToResolve { key: image_key(&r), lines: None }).collect())
    }

    fn lower(&self, request: &LowerRequest, resolved: &ResolvedImages) -> Result<Lowered, LowerError> {
        let opts = convert_options(request);
        let source = &request.dockerfile.text;
        let wanted = dfopt_convert::images_to_resolve(source, &opts).map_err(|e| lower_error(&e, source))?;
        let mut images = BTreeMap::new();
        for r in &wanted {
            if let Some(image) = resolved.get(&image_key(r)) {
                let answer = dfopt_convert::ResolvedImage { digest: image.digest.clone(), config: image.config.clone() };
                images.insert(r.key.clone(), answer);
            }
        }
        let converted = dfopt_convert::convert(source, &opts, &images).map_err(|e| lower_error(&e, source))?;
        for warning in &converted.warnings {
            eprintln!("dfopt: warning: {}", warning.message);
        }
        Ok(Lowered { definition: converted.definition, image_config: converted.image_config, metadata: BTreeMap::new() })
    }
}

fn image_key(request: &ImageRequest) -> ImageKey {
    ImageKey { reference: request.reference.clone(), platform: Some(request.platform.clone()) }
}

fn lower_error(error: &ConvertError, source: &str) -> LowerError {
    match error.lines(source) {
        Some((start, end)) => LowerError::at(error.message.clone(), LineRange::new(start, end)),
        None => LowerError::new(error.message.clone()),
    }
}

/// The converter's view of the build options.
fn convert_options(request: &LowerRequest) -> ConvertOptions {
    let o = &request.options;
    let mut opts = ConvertOptions::new(request.session_id.clone(), request.build_platform.clone(), request.caps.llb.clone());
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
    opts.extra_hosts = o.extra_hosts.iter().map(|h| (h.host.clone(), h.ip.to_string())).collect();
    opts.hostname = o.hostname.clone();
    opts
}
