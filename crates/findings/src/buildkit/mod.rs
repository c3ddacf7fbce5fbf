//! BuildKit's Dockerfile build checks (the warnings of `docker build`, `docker build
//! --check`, the `frontend.lint` subrequest) and the facts of the `frontend.outline`
//! subrequest, from the parsed Dockerfile and what the caller knows about the base
//! images.
//!
//! BuildKit finds both while converting the Dockerfile (`dockerfile2llb`): checks
//! fire as instructions are parsed and dispatched, and the outline collects the ARGs,
//! secrets and SSH sockets the target stage uses. [`analyze`] walks the stages the
//! same way (same order of findings, same stages, same variable scoping, same
//! errors) without building LLB. The only outside facts it needs are in
//! [`Options`]: the build args and platforms, the base images' configs (for
//! UndefinedVar, JSONArgsRecommended, InvalidBaseImagePlatform and their ONBUILD
//! triggers) and the `.dockerignore` patterns (for CopyIgnoredFile).
//!
//! Base images are looked up through [`Options::images`] when the walk needs them;
//! the queries that found nothing are returned ([`Analysis::missing_images`]), so a
//! caller that resolves images on demand can resolve them and walk again.
//!
//! No I/O; never panics on any input.

mod args;
mod dispatch;
mod expose;
mod graph;
pub mod ignore;
mod image_config;
mod images;
mod instruction;
mod outline;
mod parse_phase;
pub mod rules;
mod stages;
mod walk;

use std::collections::BTreeMap;

use dfopt_dockerfile::{LineIndex, Span};
use dfopt_llb::Platform;

use crate::config::CheckConfig;
use crate::finding::Finding;

pub use image_config::base_image;
pub use outline::{Outline, OutlineArg, OutlineMount};

/// The platform of an image, as its config states it (not normalized).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImagePlatform {
    pub os: String,
    pub architecture: String,
    pub variant: String,
    pub os_version: String,
}

/// What the checks need from a base image's config.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BaseImage {
    /// `config.Env` (`KEY=value`).
    pub env: Vec<String>,
    /// `config.Shell`.
    pub shell: Vec<String>,
    /// `config.WorkingDir`.
    pub working_dir: String,
    /// `config.OnBuild`: triggers that run first in a stage built on the image.
    pub onbuild: Vec<String>,
    /// `os`, `architecture`, `variant`, `os.version`, for InvalidBaseImagePlatform;
    /// `None` where BuildKit does not check the platform: an image without layers
    /// (it counts as `scratch`) or one a named context supplies.
    pub platform: Option<ImagePlatform>,
}

/// An image the walk needs: the name as the Dockerfile gives it (global ARGs
/// expanded, not normalized) and the platform it is resolved for (the stage's
/// `--platform`, else the target platform).
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct ImageQuery {
    pub name: String,
    pub platform: Platform,
}

/// Inputs besides the Dockerfile.
pub struct Options<'a> {
    /// `build-arg:NAME` values.
    pub build_args: &'a BTreeMap<String, String>,
    /// The `target` option.
    pub target: Option<&'a str>,
    /// The platform RUN steps execute on (the first worker's first platform).
    pub build_platform: Platform,
    /// The platform built for; `None` when the build names none (BuildKit then
    /// builds for the build platform and lets a base image's own platform win).
    pub target_platform: Option<Platform>,
    /// `build-arg:BUILDKIT_DOCKERFILE_CHECK` when given (it replaces the `# check=`
    /// directive); `None` reads the directive.
    pub check: Option<CheckConfig>,
    /// The config of an image; `None` when it is not known, and then the stage gets
    /// no UndefinedVar findings (its environment is unknown), no platform check and
    /// no image ONBUILD triggers.
    pub images: &'a dyn Fn(&ImageQuery) -> Option<BaseImage>,
    /// `.dockerignore` patterns.
    pub dockerignore: &'a [String],
    /// Whether a string is a valid image reference (BuildKit's
    /// `reference.ParseNormalizedNamed`), and why not: for InvalidDefaultArgInFrom
    /// and the error of a stage whose base cannot be an image.
    pub is_valid_image_ref: &'a dyn Fn(&str) -> Result<(), String>,
    /// Dispatch every stage (lint without a target) instead of those the target needs.
    pub all_stages: bool,
}

/// Why the walk stopped early.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorKind {
    /// The check configuration (`# check=` or the build-arg) does not parse.
    Config,
    /// The Dockerfile cannot be built (an invalid instruction, an unknown target, …):
    /// the conversion fails with the same error.
    Invalid,
    /// `error=true` and something was found.
    Violation,
}

/// The error that fails the build, as the lint result reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LintError {
    pub kind: ErrorKind,
    pub message: String,
    /// Where; empty when BuildKit's error carries no location.
    pub spans: Vec<Span>,
}

/// The result of [`analyze`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Analysis {
    /// Findings in the order BuildKit reports them.
    pub findings: Vec<Finding>,
    /// The error the build fails with, if any (findings before it are kept).
    pub error: Option<LintError>,
    /// The target's outline (absent when an error stopped the walk).
    pub outline: Option<Outline>,
    /// Image queries [`Options::images`] had no answer for, each once.
    pub missing_images: Vec<ImageQuery>,
}

/// Runs BuildKit's checks over `parsed` (parsed from `source`) and collects the
/// target's outline.
pub fn analyze(source: &str, parsed: &dfopt_dockerfile::Parsed, options: &Options) -> Analysis {
    walk::run(source, parsed, options)
}

/// The one-line form of a finding that BuildKit sends with `Warn` and clients print
/// beside the build step (`linter.LintFormatShort`): `Rule: message (line N)`, the
/// line omitted when the finding has no place.
pub fn warn_short(finding: &Finding, index: &LineIndex) -> String {
    let mut short = format!("{}: {}", finding.rule.id, finding.message);
    if let Some(line) = finding.first_line(index).filter(|&line| line > 0) {
        short.push_str(&format!(" (line {line})"));
    }
    short
}
