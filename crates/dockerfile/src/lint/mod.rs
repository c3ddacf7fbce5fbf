//! BuildKit's Dockerfile checks (`docker build --check`, the `frontend.lint`
//! subrequest) and the facts of the `frontend.outline` subrequest, computed from the
//! parsed Dockerfile alone.
//!
//! BuildKit finds both while converting the Dockerfile (`dockerfile2llb`): checks fire
//! as instructions are parsed and dispatched, and the outline collects the ARGs,
//! secrets and SSH sockets the target stage uses. [`analyze`] walks the stages the
//! same way (same order of findings, same stages, same variable scoping) without
//! building LLB, so the only outside facts it needs are passed in [`Options`]: the
//! build args, the platform args, the base images' `Env`/`Shell` (for UndefinedVar
//! and JSONArgsRecommended) and the `.dockerignore` patterns (for CopyIgnoredFile).
//!
//! Rules that need more than that are not implemented: InvalidBaseImagePlatform
//! (needs the resolved image's platform), ExposeProtoCasing and ExposeInvalidFormat
//! (not part of this port yet).
//!
//! No I/O; never panics on any input.

pub mod config;
pub mod ignore;
pub mod rules;
mod walk;

use std::collections::BTreeMap;

use crate::instructions::scope::Vars;
use crate::syntax::Parsed;

pub use config::CheckConfig;
pub use rules::Rule;
pub use walk::external_bases;

/// 1-based first and last line of a location.
pub type Lines = (u32, u32);

/// One finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    pub rule: Rule,
    /// The finding's message (BuildKit's "detail").
    pub detail: String,
    /// Where; empty when the finding has no place.
    pub location: Vec<Lines>,
}

/// The error that would fail the build, as the lint result reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LintError {
    pub message: String,
    /// Where; empty when BuildKit's error carries no location.
    pub location: Vec<Lines>,
}

/// What is known about a stage's base image.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BaseImage {
    /// The image config's `Env` (`KEY=value`).
    pub env: Vec<String>,
    /// The image config's `Shell`.
    pub shell: Vec<String>,
}

/// Inputs besides the Dockerfile.
pub struct Options<'a> {
    /// `build-arg:NAME` values.
    pub build_args: &'a BTreeMap<String, String>,
    /// The `target` option.
    pub target: Option<&'a str>,
    /// BuildKit's predefined platform args (`BUILDPLATFORM` … `TARGETVARIANT`);
    /// `TARGETSTAGE` is added here.
    pub platform_args: Vars,
    /// `build-arg:BUILDKIT_DOCKERFILE_CHECK` when given (it replaces the `# check=`
    /// directive); `None` reads the directive.
    pub check: Option<CheckConfig>,
    /// Resolved base images by stage index; a stage on an external image missing
    /// here gets no UndefinedVar findings (its environment is unknown).
    pub images: &'a BTreeMap<usize, BaseImage>,
    /// `.dockerignore` patterns.
    pub dockerignore: &'a [String],
    /// Whether a string is a valid image reference (BuildKit's
    /// `reference.ParseNormalizedNamed`), for InvalidDefaultArgInFrom.
    pub is_valid_image_ref: &'a dyn Fn(&str) -> bool,
    /// Dispatch every stage (lint without a target) instead of those the target needs.
    pub all_stages: bool,
}

/// An ARG the target uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutlineArg {
    pub name: String,
    pub description: String,
    pub value: String,
    pub location: Vec<Lines>,
}

/// A secret or SSH socket the target uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutlineMount {
    pub name: String,
    pub required: bool,
    pub location: Vec<Lines>,
}

/// What the target stage needs (BuildKit's `Outline`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outline {
    /// The target stage's name (lowercase), empty for an unnamed stage.
    pub name: String,
    /// The stage's doc comment (`# <name> <description>` above FROM).
    pub description: String,
    pub args: Vec<OutlineArg>,
    pub secrets: Vec<OutlineMount>,
    pub ssh: Vec<OutlineMount>,
}

/// The result of [`analyze`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Analysis {
    /// Findings in the order BuildKit reports them.
    pub warnings: Vec<Warning>,
    /// The error the build would fail with, if any (findings before it are kept).
    pub error: Option<LintError>,
    /// The target's outline (absent when an error stopped the walk).
    pub outline: Option<Outline>,
}

/// Runs BuildKit's checks over `parsed` (parsed from `source`) and collects the
/// target's outline.
pub fn analyze(source: &str, parsed: &Parsed, options: &Options) -> Analysis {
    walk::run(source, parsed, options)
}
