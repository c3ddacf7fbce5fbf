//! What the converter is told (frontend options, daemon caps) and what it returns.

use std::collections::BTreeMap;

use dfopt_dockerfile::{LineIndex, Span};
use dfopt_llb::{pb, CapSet, Network, Platform, ResolveMode};

/// Which stages must not use the build cache (opt `no-cache`).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum NoCache {
    /// Use the cache (no `no-cache` option).
    #[default]
    None,
    /// `no-cache=` (empty): every stage.
    All,
    /// `no-cache=a,b`: the named stages (case-insensitive; unnamed stages never match).
    Stages(Vec<String>),
}

/// The conversion's inputs besides the Dockerfile: frontend options already parsed by
/// the caller, and what the daemon can do.
#[derive(Debug, Clone)]
pub struct ConvertOptions {
    /// `target`: the stage to build; `None` builds the last one.
    pub target: Option<String>,
    /// `build-arg:*` options (keys without the prefix). `BUILDKIT_CACHE_MOUNT_NS` is
    /// read from here, as BuildKit does.
    pub build_args: BTreeMap<String, String>,
    /// `label:*` options; they win over `LABEL`s of the target stage.
    pub labels: BTreeMap<String, String>,
    /// The `platform` option (already normalized); `None` means "the build platform,
    /// implicitly", in which case the image config keeps the base image's platform.
    pub target_platform: Option<Platform>,
    /// The worker's platform (first platform of the first worker).
    pub build_platform: Platform,
    /// Prefix progress names with the platform (`[linux/arm64 2/3] RUN …`), as a
    /// multi-platform build does.
    pub prefix_platform: bool,
    /// `BUILDKIT_SESSION_ID`: the session that exposes the local directories.
    pub session_id: String,
    /// The local name of the build context (opt `contextkey`, default `context`).
    pub context_name: String,
    /// The Dockerfile's name, for the source map (opt `filename`, default `Dockerfile`).
    pub dockerfile_name: String,
    /// The Dockerfile's bytes for the source map, when they are not the text
    /// converted: a file that is not valid UTF-8 (BuildKit records the bytes as read)
    /// or a text the caller edited. `None`: the text converted.
    pub dockerfile_data: Option<Vec<u8>>,
    /// `.dockerignore` patterns, sent as the context's `local.excludepatterns`.
    pub excludes: Vec<String>,
    /// `image-resolve-mode`.
    pub image_resolve_mode: ResolveMode,
    /// `no-cache`.
    pub no_cache: NoCache,
    /// `force-network-mode` (`None`: sandbox).
    pub force_network_mode: Option<Network>,
    /// `add-hosts` as `(host, ip)` pairs; IPs are normalized like Go's `net.IP.String`.
    pub extra_hosts: Vec<(String, String)>,
    /// `hostname` for `RUN`.
    pub hostname: Option<String>,
    /// The daemon's LLB capabilities (from `Ping`).
    pub caps: CapSet,
}

impl ConvertOptions {
    /// Defaults as the official frontend has them without options, for a daemon
    /// with `caps` and a worker of platform `build_platform`.
    pub fn new(session_id: impl Into<String>, build_platform: Platform, caps: CapSet) -> Self {
        ConvertOptions {
            target: None,
            build_args: BTreeMap::new(),
            labels: BTreeMap::new(),
            target_platform: None,
            build_platform,
            prefix_platform: false,
            session_id: session_id.into(),
            context_name: "context".to_owned(),
            dockerfile_name: "Dockerfile".to_owned(),
            dockerfile_data: None,
            excludes: Vec::new(),
            image_resolve_mode: ResolveMode::Default,
            no_cache: NoCache::None,
            force_network_mode: None,
            extra_hosts: Vec::new(),
            hostname: None,
            caps,
        }
    }
}

/// One image config the converter needs before it can convert: the caller resolves
/// it with the gateway's `ResolveImageConfig` and passes the answer to
/// [`crate::convert`] under [`ImageRequest::key`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageRequest {
    /// The key of this request in the map given to [`crate::convert`]
    /// (`<reference> <platform>`).
    pub key: String,
    /// The normalized reference to resolve (`docker.io/library/busybox:latest`).
    pub reference: String,
    /// The platform to resolve for (`ResolveImageConfigRequest.Platform`).
    pub platform: Platform,
    /// `ResolveImageConfigRequest.ResolveMode` (`default`, `pull` or `local`).
    pub resolve_mode: String,
    /// The progress name (`[internal] load metadata for docker.io/library/busybox:latest`).
    pub log_name: String,
}

/// The answer to an [`ImageRequest`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResolvedImage {
    /// The manifest digest, `None` when the daemon answered without one (Docker's
    /// local image store): the image is then not pinned.
    pub digest: Option<String>,
    /// The image config JSON.
    pub config: Vec<u8>,
}

/// A non-fatal finding (a fallback taken, a flag ignored as Docker 20.10 ignores it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Warning {
    pub message: String,
    /// The instruction it is about, if any.
    pub span: Option<Span>,
}

/// The result of [`crate::convert`].
#[derive(Debug, Clone)]
pub struct Converted {
    /// The LLB of the target stage (empty when the target is `scratch` with no
    /// filesystem changes, which the gateway treats as "no result").
    pub definition: pb::Definition,
    /// The `containerimage.config` metadata: the image config JSON.
    pub image_config: Vec<u8>,
    pub warnings: Vec<Warning>,
}

/// A conversion failure: BuildKit's message and the instruction it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConvertError {
    /// The message (BuildKit's wording where BuildKit has one).
    pub message: String,
    /// The instruction (or `FROM`) the error is about, as a byte span of the Dockerfile.
    pub span: Option<Span>,
    /// Further instructions the error is about, in the order BuildKit wraps them
    /// around the error after `span` (a circular stage reference names every
    /// `COPY --from`/`--mount=from` on the cycle). Each is a source frame of its own.
    pub related: Vec<Span>,
    /// What failed: BuildKit words an instruction that cannot be parsed as
    /// `dockerfile parse error on line N: …` where its client frames the source.
    pub kind: ConvertErrorKind,
}

/// The kind of a [`ConvertError`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConvertErrorKind {
    /// An instruction's own syntax: its flags, arguments or form (BuildKit's
    /// `instructions.Parse`).
    Instruction,
    /// Everything found while planning or dispatching the build.
    Build,
}

impl ConvertError {
    pub(crate) fn new(message: impl Into<String>, span: Option<Span>) -> Self {
        ConvertError {
            message: message.into(),
            span,
            related: Vec::new(),
            kind: ConvertErrorKind::Build,
        }
    }

    /// The same error, about `spans` too.
    pub(crate) fn with_related(mut self, spans: Vec<Span>) -> Self {
        self.related = spans;
        self
    }

    /// The same error, as an instruction that could not be parsed.
    pub(crate) fn instruction(mut self) -> Self {
        self.kind = ConvertErrorKind::Instruction;
        self
    }

    /// The 1-based first and last line of the span in `source`.
    pub fn lines(&self, source: &str) -> Option<(u32, u32)> {
        self.span.map(|span| LineIndex::new(source).lines(span))
    }

    /// `Dockerfile:3: message` (or `Dockerfile:3-5: …`), the form Docker 20.10's CLI
    /// can show, since it never renders source locations itself.
    pub fn display_with_lines(&self, filename: &str, source: &str) -> String {
        match self.lines(source) {
            Some((a, b)) if a == b => format!("{filename}:{a}: {}", self.message),
            Some((a, b)) => format!("{filename}:{a}-{b}: {}", self.message),
            None => self.message.clone(),
        }
    }
}

impl std::fmt::Display for ConvertError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for ConvertError {}
