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
use std::sync::Arc;

use dfopt_compile::Compilation;
use dfopt_dockerfile::{LineIndex, Parsed};
use dfopt_findings::buildkit::{Analysis, BaseImage, ImageQuery};

use crate::checks;
use crate::errors::{BuildError, LineRange};
use crate::session::Session;

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

impl Session<'_> {
    /// BuildKit's checks and outline walk over `parsed`, with the base images
    /// resolved over the bridge as the walk asks for them (BuildKit resolves them
    /// for lint and outline too). A resolved config can name more images (ONBUILD
    /// triggers), so the walk runs again until it asks for nothing new. An image
    /// that cannot be resolved stays unknown (its stage then gets no UndefinedVar
    /// findings) instead of failing the answer.
    async fn analyze(&self, parsed: &Parsed, all_stages: bool) -> Result<Analysis, BuildError> {
        const MAX_ROUNDS: usize = 8;
        let check = checks::check_override(&self.env.options)?;
        let mut images: BTreeMap<ImageQuery, Option<BaseImage>> = BTreeMap::new();
        let mut rounds = 0;
        loop {
            let lookup = |query: &ImageQuery| images.get(query).cloned().flatten();
            let options = checks::options(
                self.env,
                self.loaded,
                check.clone(),
                &lookup,
                None,
                all_stages,
            );
            let analysis =
                dfopt_findings::buildkit::analyze(&self.loaded.dockerfile.text, parsed, &options);
            let wanted: Vec<ImageQuery> = analysis
                .missing_images
                .iter()
                .filter(|query| !images.contains_key(*query))
                .cloned()
                .collect();
            rounds += 1;
            if wanted.is_empty() || rounds > MAX_ROUNDS {
                return Ok(analysis);
            }
            for query in wanted {
                let image = self.resolve(&query).await;
                images.insert(query, image);
            }
        }
    }

    /// One image's config, as the walk needs it.
    async fn resolve(&self, query: &ImageQuery) -> Option<BaseImage> {
        let reference = checks::reference(query)?;
        let log_name = format!("[internal] load metadata for {reference}");
        let resolved = self
            .bridge
            .resolve_image_config(
                &reference,
                Some(&query.platform),
                self.env.options.image_resolve_mode,
                &log_name,
            )
            .await;
        match resolved {
            Ok(image) => Some(dfopt_findings::buildkit::base_image(&image.config)),
            Err(error) => {
                crate::log(format_args!(
                    "subrequest: cannot resolve {reference}: {error}"
                ));
                None
            }
        }
    }
}

/// The answer: metadata only.
pub(crate) type Reply = BTreeMap<String, Vec<u8>>;

/// Answers the subrequest named `request`.
pub(crate) async fn answer(context: &Session<'_>, request: &str) -> Result<Reply, BuildError> {
    match request {
        name if name == DESCRIBE.name => Ok(describe::answer()),
        name if name == OUTLINE.name => outline::answer(context).await,
        name if name == TARGETS.name => targets::answer(context),
        name if name == LINT.name => lint::answer(context).await,
        name if name == CONVERT_LLB.name => convertllb::answer(context).await,
        other => Err(BuildError::unsupported_subrequest(other)),
    }
}

/// The Dockerfile parsed once, or its syntax error located at its line.
fn parse(context: &Session<'_>) -> Result<Arc<Compilation>, BuildError> {
    let text = &context.loaded.dockerfile.text;
    let compilation = Compilation::new(text.clone());
    if let Some(diagnostic) = compilation.parsed().error() {
        let (start, end) = LineIndex::new(text).lines(diagnostic.span);
        return Err(BuildError::new(diagnostic.message.clone())
            .at(&context.source(), vec![LineRange::new(start, end)]));
    }
    Ok(Arc::new(compilation))
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

/// An analysis error as a build error at its Dockerfile lines.
fn located(context: &Session<'_>, error: dfopt_findings::buildkit::LintError) -> BuildError {
    let index = LineIndex::new(&context.loaded.dockerfile.text);
    let ranges = error
        .spans
        .iter()
        .map(|&span| {
            let (start, end) = index.lines(span);
            LineRange::new(start, end)
        })
        .collect();
    BuildError::new(error.message).at(&context.source(), ranges)
}

/// 1-based line ranges of spans of the Dockerfile.
fn lines(index: &LineIndex, spans: &[dfopt_dockerfile::Span]) -> Vec<(u32, u32)> {
    spans.iter().map(|&span| index.lines(span)).collect()
}
