//! Base images of the states that are built, as BuildKit's `resolveStages` handles
//! them: each external base is checked to be an image reference, looked up, and its
//! platform compared with the one the build expects (InvalidBaseImagePlatform);
//! then the ONBUILD triggers of reachable stages (from the image config, or from
//! the stage they build on) are parsed, which can make more states reachable.

use std::collections::BTreeMap;

use dfopt_dockerfile::shell::Lexer;
use dfopt_dockerfile::stages::lookup;
use dfopt_dockerfile::{go_quote, Span};
use dfopt_llb::platform as platforms;
use dfopt_llb::Platform;

use super::graph;
use super::stages::{Platforms, StageRt};
use super::walk::{invalid, Cmd, Lookups, StageDef};
use super::{rules, BaseImage, ImagePlatform, ImageQuery, LintError, Options};
use crate::config::CheckConfig;
use crate::report::Report;

/// The base name of an empty state.
const SCRATCH: &str = "scratch";

/// What resolving needs besides the states.
pub(super) struct Context<'a> {
    pub lookups: &'a Lookups<'a>,
    pub lexer: &'a Lexer,
    pub platforms: &'a Platforms,
    pub options: &'a Options<'a>,
    /// The file's configuration: BuildKit checks base image platforms with it, not
    /// with a stage's `# check=` comment.
    pub config: &'a CheckConfig,
}

/// Resolves the base images and collects the ONBUILD triggers of each reachable
/// stage (into `triggers`, by stage). Returns which states the target reaches.
pub(super) fn resolve(
    states: &mut Vec<StageRt>,
    defs: &[StageDef],
    target: usize,
    triggers: &mut BTreeMap<usize, Vec<Cmd>>,
    cx: &Context,
    report: &mut Report,
) -> Result<Vec<bool>, LintError> {
    loop {
        let reachable = graph::reachable(states, target);
        for (i, &reaches) in reachable.iter().enumerate() {
            let state = &states[i];
            if state.base_stage.is_some() || state.dispatched || state.resolved {
                continue;
            }
            let reaches = reaches || cx.options.all_stages;
            states[i].resolved = reaches;
            if states[i].base_name == SCRATCH {
                states[i].image = Some(BaseImage::default());
            } else {
                resolve_base_image(&mut states[i], reaches, cx, report)?;
            }
            if states[i].extra {
                states[i].dispatched = true;
            }
        }
        let mut new_deps = false;
        for (i, &reaches) in reachable.iter().enumerate() {
            if !reaches || states[i].extra {
                continue;
            }
            let mut exprs = Vec::new();
            if let Some(image) = states[i].image.as_mut() {
                exprs.append(&mut image.onbuild);
            }
            if let Some(base) = states[i].base_stage.filter(|_| !states[i].onbuild_init) {
                exprs.extend(onbuild_expressions(defs, base));
                states[i].onbuild_init = true;
            }
            if exprs.is_empty() {
                continue;
            }
            let span = states[i].span.unwrap_or_default();
            for expr in exprs {
                let cmd = parse_trigger(&expr, span)?;
                new_deps |= graph::add_sources(states, i, &cmd, cx.lexer).map_err(|mut e| {
                    e.spans = vec![span];
                    e
                })?;
                triggers.entry(i).or_default().push(cmd);
            }
        }
        if !new_deps {
            return Ok(graph::reachable(states, target));
        }
    }
}

/// The expressions of a stage's own `ONBUILD` instructions.
fn onbuild_expressions(defs: &[StageDef], stage: usize) -> Vec<String> {
    let Some(def) = defs.get(stage) else {
        return Vec::new();
    };
    def.commands
        .iter()
        .filter_map(|cmd| match &cmd.command.kind {
            dfopt_dockerfile::instructions::CommandKind::Onbuild(expr) => Some(expr.clone()),
            _ => None,
        })
        .collect()
}

/// One trigger parsed on its own and placed at the `FROM` of the stage it runs in.
fn parse_trigger(expr: &str, span: Span) -> Result<Cmd, LintError> {
    let (command, keyword) =
        lookup::parse_trigger(expr).map_err(|message| invalid(message, vec![span]))?;
    Ok(Cmd {
        command,
        keyword: keyword.to_owned(),
        span,
    })
}

/// BuildKit's `resolveBaseImage` for the checks: the name must be an image
/// reference (even for a state that is not built); a state that is built gets its
/// image config and the platform check.
fn resolve_base_image(
    state: &mut StageRt,
    reaches: bool,
    cx: &Context,
    report: &mut Report,
) -> Result<(), LintError> {
    let spans: Vec<Span> = state.span.into_iter().collect();
    if let Err(reason) = (cx.options.is_valid_image_ref)(&state.base_name) {
        return Err(invalid(
            format!(
                "failed to parse stage name {}: {reason}",
                go_quote(&state.base_name)
            ),
            spans,
        ));
    }
    if !reaches {
        return Ok(());
    }
    let platform = state
        .platform
        .clone()
        .unwrap_or_else(|| cx.platforms.target.clone());
    let query = ImageQuery {
        name: state.base_name.clone(),
        platform: platform.clone(),
    };
    let Some(image) = cx.lookups.get(&query) else {
        return Ok(());
    };
    if let Some(actual) = &image.platform {
        let expected = if state.platform.is_none() && cx.platforms.implicit {
            auto_detect(actual, &platform, &cx.platforms.build)
        } else {
            platform
        };
        if expected.os != actual.os || expected.architecture != actual.architecture {
            report.add(
                cx.config,
                &rules::INVALID_BASE_IMAGE_PLATFORM,
                spans,
                rules::invalid_base_image_platform_detail(
                    &state.base_name,
                    &platforms::format(&platforms::normalize(&expected)),
                    &format_image_platform(actual),
                ),
            );
        }
    }
    state.image = Some(image);
    Ok(())
}

/// BuildKit's `autoDetectPlatform` with its one build platform: without an asked-for
/// target, an image built for the build platform sets the stage's platform.
fn auto_detect(image: &ImagePlatform, target: &Platform, build: &Platform) -> Platform {
    let same = |p: &Platform| p.os == image.os && p.architecture == image.architecture;
    if same(target) {
        target.clone()
    } else if same(build) {
        build.clone()
    } else {
        target.clone()
    }
}

/// containerd's `FormatAll(Normalize(p))` of an image's platform: empty parts are
/// left out, an OS version goes in parentheses after the OS.
fn format_image_platform(platform: &ImagePlatform) -> String {
    let normalized = platforms::normalize(
        &Platform::new(platform.os.clone(), platform.architecture.clone())
            .with_variant(platform.variant.clone()),
    );
    let mut os = normalized.os;
    if !platform.os_version.is_empty() {
        os = format!("{os}({})", platform.os_version);
    }
    [os, normalized.architecture, normalized.variant]
        .into_iter()
        .filter(|part| !part.is_empty())
        .collect::<Vec<_>>()
        .join("/")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn image_platforms_format_like_containerd() {
        let p = |os: &str, arch: &str, variant: &str| ImagePlatform {
            os: os.into(),
            architecture: arch.into(),
            variant: variant.into(),
            os_version: String::new(),
        };
        assert_eq!(
            format_image_platform(&p("linux", "arm64", "v8")),
            "linux/arm64"
        );
        assert_eq!(
            format_image_platform(&p("linux", "arm", "")),
            "linux/arm/v7"
        );
        assert_eq!(format_image_platform(&p("", "", "")), "linux");
        let mut windows = p("windows", "amd64", "");
        windows.os_version = "10.0.17763.1".into();
        assert_eq!(
            format_image_platform(&windows),
            "windows(10.0.17763.1)/amd64"
        );
    }

    #[test]
    fn auto_detect_prefers_the_target_then_the_build_platform() {
        let image = ImagePlatform {
            os: "linux".into(),
            architecture: "arm64".into(),
            ..ImagePlatform::default()
        };
        let amd = Platform::new("linux", "amd64");
        let arm = Platform::new("linux", "arm64");
        assert_eq!(auto_detect(&image, &amd, &arm), arm);
        assert_eq!(auto_detect(&image, &amd, &amd), amd);
    }
}
