//! What the converter lowers: a Dockerfile parsed once into typed instructions,
//! possibly rewritten, with every instruction located in the user's file.
//!
//! The converter never needs the text of a rewritten Dockerfile: an instruction the
//! optimizer rewrote carries its own text ([`Command::original`], which names its
//! progress step) and a [`CommandOrigin`] that says which of the user's instructions
//! it stands for. Source maps, errors and warnings are therefore in the user's lines
//! from the start.

use std::collections::BTreeMap;

use dfopt_dockerfile::instructions::{self, Ir};
use dfopt_dockerfile::{Parsed, Span};

#[cfg(doc)]
use dfopt_dockerfile::instructions::Command;

use crate::options::{ConvertError, Warning};

/// A Dockerfile ready for [`crate::lower`].
#[derive(Debug, Clone)]
pub struct ConvertInput {
    /// The typed instructions to lower. Spans of commands without an
    /// [`origins`](Self::origins) entry are byte spans of the user's Dockerfile.
    pub ir: Ir,
    /// The file's escape character (`# escape=`).
    pub escape: char,
    /// The parser's warnings (BuildKit's, e.g. an empty continuation line), located in
    /// the user's Dockerfile.
    pub warnings: Vec<Warning>,
    /// Commands that are not the user's text as written, by `(stage, command index)`.
    pub origins: BTreeMap<(usize, usize), CommandOrigin>,
}

/// Where a rewritten command stands in the user's Dockerfile.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CommandOrigin {
    /// The user's instructions it stands for, in file order (one or more). The first
    /// is where errors about the command point; all of them are its source map.
    pub spans: Vec<Span>,
    /// Appended to the progress name of its step, e.g. `(dfopt: 3 RUNs merged)`.
    pub note: Option<String>,
}

impl ConvertInput {
    /// Parses `source` (the error BuildKit reports when it does not parse).
    pub fn parse(source: &str) -> Result<Self, ConvertError> {
        if source.is_empty() {
            return Err(empty_dockerfile());
        }
        let parsed = dfopt_dockerfile::parse(source);
        Self::from_parsed(&parsed)
    }

    /// The typed instructions of an already parsed Dockerfile.
    pub fn from_parsed(parsed: &Parsed) -> Result<Self, ConvertError> {
        if let Some(d) = parsed.error() {
            return Err(ConvertError::new(d.message.clone(), Some(d.span)));
        }
        let ir = instructions::parse_dockerfile(&parsed.dockerfile)
            .map_err(|d| ConvertError::new(d.message, Some(d.span)).instruction())?;
        Ok(Self::typed(parsed, ir))
    }

    /// An IR that was typed from `parsed` (and may since have been rewritten; say
    /// where rewritten commands come from in [`origins`](Self::origins)).
    pub fn typed(parsed: &Parsed, ir: Ir) -> Self {
        let warnings = parsed
            .warnings()
            .map(|d| Warning {
                message: d.message.clone(),
                span: Some(d.span),
            })
            .collect();
        ConvertInput {
            ir,
            escape: parsed.dockerfile.escape,
            warnings,
            origins: BTreeMap::new(),
        }
    }
}

/// BuildKit's error for an empty Dockerfile.
pub(crate) fn empty_dockerfile() -> ConvertError {
    ConvertError::new("the Dockerfile cannot be empty", None)
}
