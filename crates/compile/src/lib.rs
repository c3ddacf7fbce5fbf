//! dfopt's compile pipeline, shared by the gateway frontend and the `dfopt` CLI.
//!
//! ```text
//! Dockerfile text ──parse once──▶ Compilation { parsed, typed IR }
//!     ├─ images_to_resolve(options)          phase 1: the base images to resolve
//!     ├─ context_queries(options, …, facts)  what the passes read from the build context
//!     └─ lower(options, answers, facts)      phase 2:
//!          settings (DFOPT) ─▶ optimizer passes (IR → IR + change records)
//!          ─▶ lowering of that IR ─▶ Definition + image config + located warnings
//! ```
//!
//! The file is parsed once, when the [`Compilation`] is made; every platform and
//! both phases reuse that parse. The optimizer rewrites the typed IR and says which
//! of the user's instructions each rewritten command stands for; the converter
//! lowers the rewritten IR directly, so the Definition's source map, errors and
//! warnings are in the user's byte spans from the start (no rendered text is
//! parsed again, nothing is mapped back afterwards).
//!
//! **Invariants.** No I/O: base-image configs come in as answers to
//! [`Compilation::images_to_resolve`], build-context files and listings as answers
//! to [`Compilation::context_queries`] (two seams of the same shape). Same input, same output, byte for byte.
//! With `DFOPT=off` (or `# dfopt=off`) the passes do not run and the result is the
//! converter's lowering of the file as written.

mod base_images;
mod error;
mod rewritten;

use std::collections::BTreeMap;

use dfopt_convert::{ConvertInput, ConvertOptions, ImageRequest, ResolvedImage};
use dfopt_dockerfile::{Parsed, Span};
use dfopt_llb::pb;
use dfopt_optimizer::{ContextFacts, ContextQuery, Optimized, Settings};

pub use error::CompileError;

/// A Dockerfile parsed once, ready to be lowered for any platform and options.
#[derive(Debug, Clone)]
pub struct Compilation {
    text: String,
    parsed: Parsed,
    /// The typed instructions, or the error that stops the lowering (reported by
    /// both phases, as BuildKit reports it when it converts).
    input: Result<ConvertInput, dfopt_convert::ConvertError>,
}

/// The answers to [`Compilation::images_to_resolve`].
#[derive(Debug, Clone, Default)]
pub struct BaseImages {
    /// Each request answered (a request without an answer fails the lowering).
    pub answers: Vec<(ImageRequest, ResolvedImage)>,
    /// The answers are the images' real configs (a daemon resolved them). Only then
    /// do the passes read a base image's user, env, working directory, shell and
    /// OS from it; otherwise they assume what official images do, and say so.
    pub resolved: bool,
}

/// What a lowering produced.
#[derive(Debug, Clone)]
pub struct Compiled {
    /// The build graph (its source map is the user's Dockerfile).
    pub definition: pb::Definition,
    /// The image config JSON.
    pub image_config: Vec<u8>,
    /// The parser's and the converter's warnings, in the user's Dockerfile.
    pub warnings: Vec<CompileWarning>,
    /// The passes' result when they rewrote something: every change record (its
    /// ranges are spans of the user's Dockerfile). `None`: the file was lowered as
    /// written (`DFOPT=off`, or nothing to rewrite).
    pub optimized: Option<Optimized>,
}

/// A warning about the build, at the user's instructions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CompileWarning {
    pub message: String,
    /// The instructions it is about (several for a command that stands for several
    /// of the user's instructions); empty when it is about none.
    pub spans: Vec<Span>,
}

impl Compilation {
    /// Parses `text`. Never fails: a Dockerfile that does not parse or type gives
    /// its error from [`images_to_resolve`](Self::images_to_resolve) and
    /// [`lower`](Self::lower); [`parsed`](Self::parsed) is there for checks either way.
    pub fn new(text: impl Into<String>) -> Self {
        let text = text.into();
        let parsed = dfopt_dockerfile::parse(&text);
        let input = if text.is_empty() {
            // The converter's own error for an empty file.
            ConvertInput::parse(&text)
        } else {
            ConvertInput::from_parsed(&parsed)
        };
        Compilation {
            text,
            parsed,
            input,
        }
    }

    /// A Dockerfile the caller has parsed (without error) and typed: `ir` must be
    /// `parse_dockerfile(&parsed.dockerfile)` of `text`. Nothing is parsed again.
    pub fn typed(
        text: impl Into<String>,
        parsed: Parsed,
        ir: dfopt_dockerfile::instructions::Ir,
    ) -> Self {
        let input = Ok(ConvertInput::typed(&parsed, ir));
        Compilation {
            text: text.into(),
            parsed,
            input,
        }
    }

    /// The Dockerfile as given.
    pub fn text(&self) -> &str {
        &self.text
    }

    /// The syntax tree and the parser's diagnostics.
    pub fn parsed(&self) -> &Parsed {
        &self.parsed
    }

    /// The typed instructions, when the file types.
    pub fn ir(&self) -> Option<&dfopt_dockerfile::instructions::Ir> {
        self.input.as_ref().ok().map(|input| &input.ir)
    }

    /// Phase 1: the base images to resolve (only for stages the target needs).
    pub fn images_to_resolve(
        &self,
        opts: &ConvertOptions,
    ) -> Result<Vec<ImageRequest>, CompileError> {
        let input = self.input.as_ref().map_err(CompileError::converting)?;
        dfopt_convert::images_for(&self.text, input, opts).map_err(|e| CompileError::converting(&e))
    }

    /// Between the phases: what the enabled passes need to read from the build
    /// context, given the facts read so far. The caller answers every query into
    /// `context` and asks again, until nothing new is asked (an answer can raise
    /// more: a requirements file that includes another).
    pub fn context_queries(
        &self,
        opts: &ConvertOptions,
        images: &BaseImages,
        context: &ContextFacts,
    ) -> Result<Vec<ContextQuery>, CompileError> {
        let input = self.input.as_ref().map_err(CompileError::converting)?;
        let settings = Settings::from_build_args(&opts.build_args, &self.text)
            .map_err(|e| CompileError::settings(&self.text, e))?;
        if settings.is_off() {
            return Ok(Vec::new());
        }
        let mut options = base_images::optimizer_options(input, opts, images);
        options.context = context.clone();
        Ok(dfopt_optimizer::context_queries_typed(
            &self.text,
            &self.parsed,
            &input.ir,
            &settings,
            &options,
        ))
    }

    /// Phase 2: runs the passes the settings enable on the typed IR (with what was
    /// read from the build context), then lowers the result.
    pub fn lower(
        &self,
        opts: &ConvertOptions,
        images: &BaseImages,
        context: &ContextFacts,
    ) -> Result<Compiled, CompileError> {
        let input = self.input.as_ref().map_err(CompileError::converting)?;
        let settings = Settings::from_build_args(&opts.build_args, &self.text)
            .map_err(|e| CompileError::settings(&self.text, e))?;
        let optimized = if settings.is_off() {
            None
        } else {
            let mut options = base_images::optimizer_options(input, opts, images);
            options.context = context.clone();
            let optimized = dfopt_optimizer::optimize_typed(
                &self.text,
                &self.parsed,
                input.ir.clone(),
                &settings,
                &options,
            )
            .map_err(|d| CompileError::message(format!("dfopt: {}", d.message)))?;
            let rewrote = optimized.rewrites().next().is_some();
            rewrote.then_some(optimized)
        };
        let rewritten = optimized
            .as_ref()
            .map(|optimized| rewritten::convert_input(input, optimized));
        let lowered = rewritten.as_ref().unwrap_or(input);
        let answers: BTreeMap<String, ResolvedImage> = images
            .answers
            .iter()
            .map(|(request, image)| (request.key.clone(), image.clone()))
            .collect();
        let converted = dfopt_convert::lower(&self.text, lowered, opts, &answers)
            .map_err(|e| CompileError::converting(&e).in_rewritten(&rewritten))?;
        let warnings = converted
            .warnings
            .into_iter()
            .map(|w| CompileWarning {
                spans: match w.span {
                    Some(span) => rewritten::spans_of(&rewritten, span),
                    None => Vec::new(),
                },
                message: w.message,
            })
            .collect();
        Ok(Compiled {
            definition: converted.definition,
            image_config: converted.image_config,
            warnings,
            optimized,
        })
    }
}

#[cfg(test)]
mod tests;
