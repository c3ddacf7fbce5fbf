//! What the passes may know about the build: its options, and each stage's base
//! image config when a daemon resolved it.

use std::collections::BTreeMap;

use dfopt_convert::{ConvertInput, ConvertOptions};
use dfopt_dockerfile::shell::Lexer;
use dfopt_dockerfile::stages::builtin_args::{ArgPlatform, PredefinedArgs};
use dfopt_dockerfile::stages::scope::{global_arg_decls, resolve_meta_args};
use dfopt_llb::{ImageRef, Platform};
use dfopt_optimizer::{ImageInfo, Options};

use crate::BaseImages;

/// The optimizer's options for one lowering: the build's target, build-args (all
/// of them: a lowering has every build-arg of the build) and platforms, and the
/// configs of the stages' base images.
pub(crate) fn optimizer_options(
    input: &ConvertInput,
    opts: &ConvertOptions,
    images: &BaseImages,
) -> Options {
    let target = opts
        .target_platform
        .clone()
        .unwrap_or_else(|| opts.build_platform.clone());
    let infos = if images.resolved {
        stage_images(input, opts, &target, images)
    } else {
        BTreeMap::new()
    };
    Options {
        target: opts.target.clone(),
        build_args: opts.build_args.clone(),
        complete_build_args: true,
        target_platform: Some(target.to_string()),
        build_platform: Some(opts.build_platform.to_string()),
        images: infos,
        context: Default::default(),
    }
}

/// Each stage's external base image, by stage index: `FROM` expanded with the
/// global ARGs (and the platform ARGs) and matched against the resolved images by
/// normalized reference.
fn stage_images(
    input: &ConvertInput,
    opts: &ConvertOptions,
    target: &Platform,
    images: &BaseImages,
) -> BTreeMap<usize, ImageInfo> {
    let mut infos = BTreeMap::new();
    let arg_platform =
        |p: &Platform| ArgPlatform::new(p.to_string(), &p.os, &p.architecture, &p.variant);
    let platform_args = PredefinedArgs {
        build: Some(arg_platform(&opts.build_platform)),
        target: Some(arg_platform(target)),
        target_stage: None,
        os_version: false,
    }
    .vars(None);
    let lexer = Lexer::new(input.escape);
    let decls = global_arg_decls(&input.ir);
    let Ok((globals, _)) = resolve_meta_args(decls, &opts.build_args, platform_args, &lexer) else {
        return infos;
    };
    for stage in &input.ir.stages {
        let Ok(base) = lexer.process_word(&stage.base, &globals) else {
            continue;
        };
        let Ok(reference) = ImageRef::parse_normalized(&base) else {
            continue;
        };
        let wanted = reference.to_string();
        let Some((_, image)) = images
            .answers
            .iter()
            .find(|(request, _)| request.reference == wanted)
        else {
            continue;
        };
        if let Some(info) = image_info(&image.config) {
            infos.insert(stage.index, info);
        }
    }
    infos
}

/// The parts of an image config JSON the passes read.
fn image_info(config: &[u8]) -> Option<ImageInfo> {
    let value: serde_json::Value = serde_json::from_slice(config).ok()?;
    let cfg = value
        .get("config")
        .cloned()
        .unwrap_or(serde_json::Value::Null);
    let strings = |v: Option<&serde_json::Value>| -> Vec<String> {
        v.and_then(|v| v.as_array())
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let text = |v: Option<&serde_json::Value>| v.and_then(|v| v.as_str()).unwrap_or("").to_owned();
    Some(ImageInfo {
        user: text(cfg.get("User")),
        env: strings(cfg.get("Env")),
        working_dir: text(cfg.get("WorkingDir")),
        shell: strings(cfg.get("Shell")),
        os: text(value.get("os")),
        on_build: strings(cfg.get("OnBuild")),
    })
}
