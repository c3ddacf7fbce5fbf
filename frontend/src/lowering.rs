//! The seam between the gateway protocol (this crate) and the Dockerfile → LLB
//! conversion (implemented elsewhere).
//!
//! The frontend drives a build like this, once per target platform:
//!
//! 1. [`Lowering::images`] names the images the Dockerfile needs (`FROM`, `COPY
//!    --from=<image>`, …), given the images resolved so far;
//! 2. the frontend resolves them with `ResolveImageConfig`, and asks again, until no
//!    new image is named (so a resolved config may reveal more images, e.g. through
//!    `ONBUILD`);
//! 3. [`Lowering::lower`] turns the Dockerfile plus the resolved configs into the final
//!    LLB Definition and image config;
//! 4. the frontend solves the Definition and returns it with the config.
//!
//! **Invariant:** a `Lowering` does no I/O and never talks to the daemon. Everything it
//! may depend on is in [`LowerRequest`] or the resolved images, so it can be tested
//! (and run by the CLI) without BuildKit.

use std::collections::BTreeMap;
use std::sync::Arc;

use dfopt_compile::Compilation;
use dfopt_llb::{pb, Platform};
use dfopt_optimizer::{ContextFacts, ContextQuery};

use crate::bridge::ResolvedImage;
use crate::caps::Caps;
use crate::errors::{LineRange, SourceFile};
use crate::options::FrontendOptions;

/// Metadata key of the image config in a single-platform result (and in a named
/// context's result).
pub const IMAGE_CONFIG_KEY: &str = "containerimage.config";
/// Metadata key listing the platforms of a multi-platform result.
pub const PLATFORMS_KEY: &str = "refs.platforms";

/// Everything a lowering may look at.
#[derive(Debug, Clone)]
pub struct LowerRequest {
    /// The Dockerfile as read from the daemon.
    pub dockerfile: DockerfileSource,
    /// The Dockerfile parsed once (the frontend reports parse errors itself before
    /// calling the lowering), shared by every platform's lowering.
    pub compilation: Arc<Compilation>,
    /// The build options.
    pub options: FrontendOptions,
    /// What the daemon can do: check `caps.llb` before emitting an op
    /// (`State::marshal(&caps.llb)` does), `caps.gateway` for request features.
    pub caps: Caps,
    /// Where RUN steps execute by default (`BUILDKIT_WORKERS[0].Platforms[0]`).
    pub build_platform: Platform,
    /// The platform this lowering builds for; `None` = the default (no `--platform`).
    pub target_platform: Option<Platform>,
    /// Whether the result is one of several platforms: BuildKit then prefixes progress
    /// names with the platform (`[linux/arm64 2/3] RUN …`).
    pub multi_platform: bool,
    /// `BUILDKIT_SESSION_ID`, for `local.session` of the `context` local source.
    pub session_id: String,
    /// Exclude patterns from `.dockerignore` (for `local.excludepatterns`), already
    /// parsed like `ignorefile.ReadAll`; empty when there is no `.dockerignore`.
    pub dockerignore: Vec<String>,
    /// What the frontend read from the build context for the passes
    /// ([`Lowering::context_queries`] says what).
    pub context: ContextFacts,
}

/// The Dockerfile's name and content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DockerfileSource {
    /// The requested path inside the `dockerfile` local (the `filename` option, e.g.
    /// `Dockerfile`), kept even when the lowercase `dockerfile` fallback was read, as
    /// BuildKit does. Use it in source maps and messages.
    pub filename: String,
    /// The exact bytes (for `Definition.source` / source maps).
    pub data: Vec<u8>,
    /// `data` as text (invalid UTF-8 replaced by U+FFFD), which `parsed` was parsed from.
    pub text: String,
}

impl DockerfileSource {
    /// A Dockerfile from its bytes.
    pub fn new(filename: impl Into<String>, data: Vec<u8>) -> Self {
        let text = String::from_utf8_lossy(&data).into_owned();
        Self {
            filename: filename.into(),
            data,
            text,
        }
    }

    /// The file for error locations.
    pub fn source_file(&self) -> SourceFile {
        SourceFile::new(self.filename.clone(), self.data.clone())
    }
}

/// Which image to resolve: a normalized reference on a platform.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ImageKey {
    /// Fully normalized reference (`docker.io/library/alpine:3.18`, or with
    /// `@sha256:…`), as `ResolveImageConfig` requires.
    pub reference: String,
    /// The platform to resolve for; `None` lets the daemon pick its default.
    pub platform: Option<Platform>,
}

/// An image the Dockerfile needs, and where (for error messages).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageToResolve {
    /// What to resolve.
    pub key: ImageKey,
    /// The Dockerfile lines that name it (e.g. the `FROM` line); a resolve failure is
    /// reported there.
    pub lines: Option<LineRange>,
}

/// Resolved images by key.
pub type ResolvedImages = BTreeMap<ImageKey, ResolvedImage>;

/// What a lowering produces.
#[derive(Debug, Clone, PartialEq)]
pub struct Lowered {
    /// The build graph to solve (marshalled by `dfopt_llb`, checked against
    /// `LowerRequest::caps.llb`). An empty Definition means an empty filesystem.
    pub definition: pb::Definition,
    /// The image config JSON, returned as `containerimage.config` (without it the
    /// exporter writes a default config: no ENV, CMD, …).
    pub image_config: Vec<u8>,
    /// Extra result metadata (e.g. `containerimage.base.config`); keys are used as
    /// given in a single-platform build and suffixed with `/<platform>` in a
    /// multi-platform one.
    pub metadata: BTreeMap<String, Vec<u8>>,
    /// What the user should know that is not an error: converter warnings and
    /// the optimizer's change records (what was rewritten, and why).
    pub warnings: Vec<LowerWarning>,
}

/// A warning about the build, at Dockerfile lines. Always written to the daemon
/// log; also sent with the gateway's `Warn` call where the daemon has the
/// `gateway.warnings` cap (BuildKit v0.10+; Docker 20.10 has not).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LowerWarning {
    /// One line, e.g. `dfopt merge-runs: Merged 3 consecutive RUN instructions into one`.
    pub short: String,
    /// Further lines (the reason).
    pub detail: Vec<String>,
    /// Where (1-based, in the user's Dockerfile).
    pub lines: Vec<LineRange>,
}

/// A conversion failure, reported to the user as `Dockerfile:LINE: message`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{message}")]
pub struct LowerError {
    /// What went wrong, without a location prefix (the frontend adds it).
    pub message: String,
    /// Where, if known (1-based lines).
    pub lines: Option<LineRange>,
    /// Further instructions involved, each framed on its own after `lines`.
    pub related: Vec<LineRange>,
    /// An instruction that could not be parsed: BuildKit's clients then read
    /// `dockerfile parse error on line N: …`.
    pub instruction_parse: bool,
}

impl LowerError {
    /// An error without location.
    pub fn new(message: impl Into<String>) -> Self {
        Self {
            message: message.into(),
            lines: None,
            related: Vec::new(),
            instruction_parse: false,
        }
    }

    /// An error at some lines.
    pub fn at(message: impl Into<String>, lines: LineRange) -> Self {
        Self {
            lines: Some(lines),
            ..Self::new(message)
        }
    }
}

/// The Dockerfile → LLB conversion, as the frontend uses it. See the module docs for
/// the call sequence.
pub trait Lowering {
    /// The images the build needs, given those resolved so far. Called repeatedly
    /// until it names nothing new (at most [`MAX_RESOLVE_ROUNDS`] times); already
    /// resolved keys are ignored, so returning the full list each time is fine.
    fn images(
        &self,
        request: &LowerRequest,
        resolved: &ResolvedImages,
    ) -> Result<Vec<ImageToResolve>, LowerError>;

    /// What to read from the build context before [`lower`](Self::lower), given the
    /// facts read so far (`request.context`). Called until it asks for nothing new
    /// (at most eight rounds). A lowering that
    /// reads nothing from the context keeps this default.
    fn context_queries(
        &self,
        _request: &LowerRequest,
        _resolved: &ResolvedImages,
    ) -> Result<Vec<ContextQuery>, LowerError> {
        Ok(Vec::new())
    }

    /// The final Definition and image config, given every image `images` named.
    fn lower(
        &self,
        request: &LowerRequest,
        resolved: &ResolvedImages,
    ) -> Result<Lowered, LowerError>;
}

/// How many times [`Lowering::images`] is asked before the build fails (guards
/// against a lowering that keeps naming new images).
pub const MAX_RESOLVE_ROUNDS: usize = 16;
