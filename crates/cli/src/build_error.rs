//! Whether a build of the Dockerfile would fail before it runs anything, as far as
//! the file and the build options tell: the error of BuildKit's build-check walk
//! (`dfopt_findings::buildkit`), which meets the errors the conversion fails with
//! (an invalid check configuration, a circular stage reference, an invalid
//! `EXPOSE`, `--chmod`, `--checksum`, a mount without a target, …) in the order
//! BuildKit does. `dfopt check`, `explain` and `rewrite` refuse such a file with
//! exit 2 as `dfopt llb` does, instead of reporting on a Dockerfile no build accepts.
//!
//! Offline: base image configs are unknown, so nothing that depends on them is
//! judged (the walk then skips those checks). When the build-args given are not
//! all the build will get (`explain`, `rewrite`, `check`), an error located on an
//! instruction that uses a variable is left to the build: its value may differ.
//! `error=true` with findings is not bad input: the findings are the report.
//!
//! The walk does not type every value the conversion does (`--chmod`,
//! `--checksum`, …), so the file as written is then lowered too, offline (every
//! base image with an empty config) and for the newest BuildKit (what an older
//! daemon lacks is not the file's fault), and the first error of that counts the
//! same way. With `all_stages`, every named stage is lowered as a target.

use std::collections::BTreeMap;

use dfopt_convert::{convert, images_to_resolve, ConvertError, ConvertOptions, ResolvedImage};
use dfopt_dockerfile::instructions::Ir;
use dfopt_dockerfile::{Diagnostic, Parsed, Span};
use dfopt_findings::buildkit::{self, ErrorKind, ImageQuery, Options};
use dfopt_findings::CheckConfig;
use dfopt_llb::{CapSet, ImageRef, Platform};

use crate::common::located;
use crate::input::Input;
use crate::llb_cmd::unresolved_config;
use crate::platform;

/// The build-arg whose value replaces the `# check=` directive.
const CHECK_BUILD_ARG: &str = "BUILDKIT_DOCKERFILE_CHECK";

/// What a build would be given.
pub struct BuildSetup<'a> {
    pub build_args: &'a BTreeMap<String, String>,
    /// The target stage; `None` with `all_stages`: every stage is checked (as
    /// `docker build --check` without a target), else the last stage's.
    pub target: Option<&'a str>,
    pub target_platform: Option<Platform>,
    pub all_stages: bool,
    /// Whether `build_args` are all the build will get.
    pub complete_build_args: bool,
}

fn is_valid_image_ref(name: &str) -> Result<(), String> {
    ImageRef::parse_normalized(name)
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// `build-arg:BUILDKIT_DOCKERFILE_CHECK`, parsed, which replaces the `# check=`
/// directive; the error is printed form.
fn check_override(build_args: &BTreeMap<String, String>) -> Result<Option<CheckConfig>, String> {
    match build_args.get(CHECK_BUILD_ARG) {
        Some(value) => CheckConfig::parse(value)
            .map(Some)
            .map_err(|e| format!("error: failed to parse build-arg:{CHECK_BUILD_ARG}: {e}")),
        None => Ok(None),
    }
}

/// The check configuration error a build fails with before anything else (the
/// build-arg's, else the `# check=` directive's), printed form. For `dfopt llb`,
/// whose own lowering finds the other errors.
pub fn check_config_error(
    input: &Input,
    parsed: &Parsed,
    build_args: &BTreeMap<String, String>,
) -> Option<String> {
    match check_override(build_args) {
        Err(message) => Some(message),
        Ok(Some(_)) => None,
        Ok(None) => CheckConfig::from_directive(&parsed.dockerfile)
            .err()
            .map(|message| format!("{}: {message}", input.name)),
    }
}

/// Whether an error at `spans` may depend on a variable's value.
fn uses_variables(text: &str, spans: &[Span]) -> bool {
    spans.iter().any(|s| {
        text.get(s.start as usize..s.end as usize)
            .is_some_and(|t| t.contains('$'))
    })
}

/// The error a build would fail with, printed form (`FILE:LINE:COL: message`, or
/// `FILE: message` when BuildKit's error has no place); `None` when the file and
/// options give no reason to fail.
pub fn build_error(input: &Input, parsed: &Parsed, ir: &Ir, setup: &BuildSetup) -> Option<String> {
    walk_error(input, parsed, setup).or_else(|| lowering_error(input, ir, setup))
}

/// The error of BuildKit's build-check walk.
fn walk_error(input: &Input, parsed: &Parsed, setup: &BuildSetup) -> Option<String> {
    let check = match check_override(setup.build_args) {
        Ok(check) => check,
        Err(message) => return Some(message),
    };
    let images = |_: &ImageQuery| None;
    let options = Options {
        build_args: setup.build_args,
        target: setup.target,
        build_platform: platform::host(),
        target_platform: setup.target_platform.clone(),
        check,
        images: &images,
        dockerignore: &[],
        is_valid_image_ref: &is_valid_image_ref,
        all_stages: setup.all_stages,
    };
    let error = buildkit::analyze(&input.text, parsed, &options).error?;
    match error.kind {
        ErrorKind::Violation => return None,
        ErrorKind::Config | ErrorKind::Invalid => {}
    }
    if !setup.complete_build_args && uses_variables(&input.text, &error.spans) {
        return None;
    }
    Some(match error.spans.first() {
        Some(&span) => located(input, &Diagnostic::error(error.message, span)),
        None => format!("{}: {}", input.name, error.message),
    })
}

/// The first error of lowering the file as written, for the target (or, with
/// `all_stages`, the last stage and every named one).
fn lowering_error(input: &Input, ir: &Ir, setup: &BuildSetup) -> Option<String> {
    let mut targets: Vec<Option<&str>> = vec![setup.target];
    if setup.all_stages {
        targets.extend(ir.stages.iter().filter_map(|s| s.name.as_deref()).map(Some));
    }
    targets
        .into_iter()
        .find_map(|target| lower(input, setup, target).err())
        .filter(|e| !e.message.contains("the daemon lacks"))
        .filter(|e| {
            setup.complete_build_args || !e.span.is_some_and(|s| uses_variables(&input.text, &[s]))
        })
        .map(|e| match e.span {
            Some(span) => located(input, &Diagnostic::error(e.message, span)),
            None => format!("{}: {}", input.name, e.message),
        })
}

fn lower(input: &Input, setup: &BuildSetup, target: Option<&str>) -> Result<(), ConvertError> {
    let mut opts = ConvertOptions::new(String::new(), platform::host(), CapSet::buildkit_head());
    opts.target = target.map(str::to_owned);
    opts.build_args = setup.build_args.clone();
    opts.target_platform = setup.target_platform.clone();
    let images: BTreeMap<String, ResolvedImage> = images_to_resolve(&input.text, &opts)?
        .into_iter()
        .map(|r| {
            let config = unresolved_config(&r.platform);
            (
                r.key,
                ResolvedImage {
                    digest: None,
                    config,
                },
            )
        })
        .collect();
    convert(&input.text, &opts, &images).map(|_| ())
}
