//! BuildKit frontend subrequests: questions a client asks about a Dockerfile instead
//! of building it (`docker buildx build --call outline|targets|check`, `buildctl
//! … --opt requestid=…`).
//!
//! The request arrives as the `requestid` option. The answer is an ordinary gateway
//! result with an empty ref and metadata only, exactly as BuildKit's Dockerfile
//! frontend answers (`dockerui.HandleSubrequest`):
//!
//! * `result.json`: the answer as Go's `json.MarshalIndent(…, "", "  ")`;
//! * `result.txt`: the same for humans (tables by Go's `text/tabwriter`), except for
//!   `frontend.convertllb`, which has none;
//! * `result.statuscode`: `frontend.lint` only, `1` when there are findings or an error;
//! * `version`: the answering subrequest's version.
//!
//! As in BuildKit the Dockerfile is read first (for every request, `describe`
//! included), and an unknown request is refused with `unsupported request <name>`
//! (gRPC `Unimplemented` plus an `errdefs.Subrequest` detail). One file per
//! subrequest; [`gojson`] writes Go's formats, [`protojson`] the LLB messages.

mod convertllb;
mod describe;
pub mod gojson;
mod lint;
mod outline;
pub mod protojson;
mod targets;

use std::collections::BTreeMap;

use dfopt_dockerfile::instructions::scope::Vars;
use dfopt_dockerfile::lint::BaseImage;
use dfopt_dockerfile::LineIndex;
use dfopt_llb::{ImageRef, Platform};

use crate::bridge::Bridge;
use crate::caps::Caps;
use crate::contexts::BuildContexts;
use crate::dockerfile_source::LoadedDockerfile;
use crate::errors::{BuildError, LineRange, SourceFile};
use crate::lowering::Lowering;
use crate::options::FrontendEnv;
use crate::platform;

/// Metadata key of the JSON answer.
pub const RESULT_JSON: &str = "result.json";
/// Metadata key of the text answer.
pub const RESULT_TXT: &str = "result.txt";
/// Metadata key of the lint status (`0` or `1`).
pub const RESULT_STATUSCODE: &str = "result.statuscode";
/// Metadata key of the answering subrequest's version.
pub const VERSION: &str = "version";

/// A subrequest's self-description, as `frontend.subrequests.describe` lists it
/// (BuildKit's `subrequests.Request`).
#[derive(Debug, Clone, Copy)]
pub struct Definition {
    pub name: &'static str,
    pub version: &'static str,
    pub description: &'static str,
    /// Options it reads; `None` is Go's nil slice (`null`), `Some(&[])` an empty one.
    pub opts: Option<&'static [(&'static str, &'static str)]>,
    /// Metadata keys of its answer.
    pub metadata: &'static [&'static str],
}

pub const OUTLINE: Definition = Definition {
    name: "frontend.outline",
    version: "1.0.0",
    description: "List all parameters current build target supports",
    opts: Some(&[("target", "Target build stage")]),
    metadata: &[RESULT_JSON, RESULT_TXT],
};

pub const TARGETS: Definition = Definition {
    name: "frontend.targets",
    version: "1.0.0",
    description: "List all targets current build supports",
    opts: Some(&[]),
    metadata: &[RESULT_JSON, RESULT_TXT],
};

pub const LINT: Definition = Definition {
    name: "frontend.lint",
    version: "1.0.0",
    description: "Lint a Dockerfile",
    opts: Some(&[]),
    metadata: &[RESULT_JSON, RESULT_TXT, RESULT_STATUSCODE],
};

pub const CONVERT_LLB: Definition = Definition {
    name: "frontend.convertllb",
    version: "0.1.0",
    description: "Convert Dockerfile to LLB",
    opts: Some(&[]),
    metadata: &[RESULT_JSON],
};

pub const DESCRIBE: Definition = Definition {
    name: "frontend.subrequests.describe",
    version: "1.0.0",
    description: "List available subrequest types",
    opts: None,
    metadata: &[RESULT_JSON, RESULT_TXT],
};

/// Every subrequest this frontend answers, in the order `describe` lists them.
///
/// BuildKit's own Dockerfile frontend lists only outline, targets and describe even
/// though it answers lint and convertllb too; we list everything we answer, so a
/// client that checks `describe` before asking finds lint and convertllb.
pub const ALL: [Definition; 5] = [OUTLINE, TARGETS, LINT, CONVERT_LLB, DESCRIBE];

/// What a subrequest handler may use.
pub(crate) struct Context<'a> {
    pub bridge: &'a Bridge,
    pub lowering: &'a dyn Lowering,
    pub env: &'a FrontendEnv,
    pub caps: &'a Caps,
    pub loaded: &'a LoadedDockerfile,
    /// The build's sources (remote, input and named contexts).
    pub contexts: &'a BuildContexts,
}

impl Context<'_> {
    /// The Dockerfile as an error location.
    fn source(&self) -> SourceFile {
        self.loaded.dockerfile.source_file()
    }

    /// The platform the answer is about: the first `platform` option, else the
    /// build platform.
    fn target_platform(&self) -> Platform {
        self.env
            .options
            .platforms
            .first()
            .cloned()
            .unwrap_or_else(|| self.env.build_platform.clone())
    }

    /// BuildKit's predefined platform ARGs for the build and target platforms.
    fn platform_args(&self) -> Vars {
        let mut vars = Vars::default();
        let build = &self.env.build_platform;
        let target = self.target_platform();
        for (prefix, p) in [("BUILD", build), ("TARGET", &target)] {
            vars.set(&format!("{prefix}PLATFORM"), &platform::format(p));
            vars.set(&format!("{prefix}OS"), &p.os);
            vars.set(&format!("{prefix}OSVERSION"), "");
            vars.set(&format!("{prefix}ARCH"), &p.architecture);
            vars.set(&format!("{prefix}VARIANT"), &p.variant);
        }
        vars
    }

    /// The `Env` and `Shell` of the stages' base images, resolved over the bridge as
    /// BuildKit resolves them for lint and outline. An image that cannot be resolved
    /// is left out (its stage then gets no UndefinedVar findings) instead of failing
    /// the answer.
    async fn base_images(&self, parsed: &dfopt_dockerfile::Parsed) -> BTreeMap<usize, BaseImage> {
        let options = &self.env.options;
        let bases = dfopt_dockerfile::lint::external_bases(
            parsed,
            &options.build_args,
            &self.platform_args(),
            options.target.as_deref(),
        );
        let target = self.target_platform();
        let mut images = BTreeMap::new();
        for (stage, name) in bases {
            let Ok(reference) = ImageRef::parse_normalized(&name) else {
                continue;
            };
            let reference = reference.to_string();
            let log_name = format!("[internal] load metadata for {reference}");
            let resolved = self
                .bridge
                .resolve_image_config(
                    &reference,
                    Some(&target),
                    options.image_resolve_mode,
                    &log_name,
                )
                .await;
            match resolved {
                Ok(image) => {
                    images.insert(stage, base_image(&image.config));
                }
                Err(error) => crate::log(format_args!(
                    "subrequest: cannot resolve {reference}: {error}"
                )),
            }
        }
        images
    }
}

/// `config.Env` and `config.Shell` of an image config.
fn base_image(config: &[u8]) -> BaseImage {
    let value: serde_json::Value =
        serde_json::from_slice(config).unwrap_or(serde_json::Value::Null);
    let strings = |key: &str| -> Vec<String> {
        value
            .get("config")
            .and_then(|c| c.get(key))
            .and_then(|v| v.as_array())
            .map(|items| {
                items
                    .iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    BaseImage {
        env: strings("Env"),
        shell: strings("Shell"),
    }
}

/// The answer: metadata only.
pub(crate) type Reply = BTreeMap<String, Vec<u8>>;

/// Answers the subrequest named `request`.
pub(crate) async fn answer(context: &Context<'_>, request: &str) -> Result<Reply, BuildError> {
    match request {
        name if name == DESCRIBE.name => Ok(describe::answer()),
        name if name == OUTLINE.name => outline::answer(context).await,
        name if name == TARGETS.name => targets::answer(context),
        name if name == LINT.name => lint::answer(context).await,
        name if name == CONVERT_LLB.name => convertllb::answer(context).await,
        other => Err(BuildError::unsupported_subrequest(other)),
    }
}

/// The parsed Dockerfile, or its syntax error located at its line.
fn parse(context: &Context<'_>) -> Result<dfopt_dockerfile::Parsed, BuildError> {
    let text = &context.loaded.dockerfile.text;
    let parsed = dfopt_dockerfile::parse(text);
    if let Some(diagnostic) = parsed.error() {
        let (start, end) = LineIndex::new(text).lines(diagnostic.span);
        return Err(BuildError::new(diagnostic.message.clone())
            .at(&context.source(), vec![LineRange::new(start, end)]));
    }
    Ok(parsed)
}

/// `[(key, bytes)]` → metadata with the `version` key.
fn reply(definition: &Definition, entries: Vec<(&str, Vec<u8>)>) -> Reply {
    let mut metadata: Reply = entries
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect();
    metadata.insert(VERSION.to_owned(), definition.version.as_bytes().to_vec());
    metadata
}

/// Whether a string is an image reference BuildKit would accept.
fn is_valid_image_ref(name: &str) -> bool {
    ImageRef::parse_normalized(name).is_ok()
}

/// `build-arg:BUILDKIT_DOCKERFILE_CHECK`, which replaces the `# check=` directive.
fn check_override(
    context: &Context<'_>,
) -> Result<Option<dfopt_dockerfile::lint::CheckConfig>, BuildError> {
    const KEY: &str = "BUILDKIT_DOCKERFILE_CHECK";
    match context.env.options.build_args.get(KEY) {
        Some(value) => dfopt_dockerfile::lint::CheckConfig::parse(value)
            .map(Some)
            .map_err(|e| {
                BuildError::new(format!("failed to parse build-arg:{KEY}: {e}"))
                    .with_code(tonic::Code::InvalidArgument)
            }),
        None => Ok(None),
    }
}

/// The analysis inputs for this request.
fn analysis_options<'a>(
    context: &'a Context<'_>,
    images: &'a BTreeMap<usize, BaseImage>,
    check: Option<dfopt_dockerfile::lint::CheckConfig>,
    all_stages: bool,
) -> dfopt_dockerfile::lint::Options<'a> {
    let options = &context.env.options;
    dfopt_dockerfile::lint::Options {
        build_args: &options.build_args,
        target: options.target.as_deref(),
        platform_args: context.platform_args(),
        check,
        images,
        dockerignore: &context.loaded.dockerignore,
        is_valid_image_ref: &is_valid_image_ref,
        all_stages,
    }
}

/// An analysis error as a build error at its Dockerfile lines.
fn located(context: &Context<'_>, error: dfopt_dockerfile::lint::LintError) -> BuildError {
    let ranges = error
        .location
        .iter()
        .map(|&(start, end)| LineRange::new(start, end))
        .collect();
    BuildError::new(error.message).at(&context.source(), ranges)
}
