//! The one error type of this crate.
//!
//! Build-time errors (a malformed reference, two mounts on one path, …) come from the
//! op builders' `build()`; capability errors come from [`crate::State::marshal`]
//! because only then is the daemon's [`crate::CapSet`] known.

use crate::reference::ReferenceError;

/// Everything that can go wrong while building or marshalling an LLB graph.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// An image reference could not be normalized.
    #[error(transparent)]
    Reference(#[from] ReferenceError),

    /// The daemon lacks a capability that an op relies on. Emitting the op anyway would
    /// either fail the solve ("unknown API capability") or, worse, be silently
    /// misinterpreted by an older daemon that drops unknown fields.
    #[error("{feature} needs the BuildKit capability `{cap}`, which the daemon does not advertise (op: {op})")]
    MissingCapability {
        /// The cap id (or ids, joined with ` or `) that is missing.
        cap: String,
        /// What the op uses that needs it, in words.
        feature: &'static str,
        /// The op's custom name, or its kind when it has none.
        op: String,
    },

    /// An exec was built without a command.
    #[error("exec needs at least one argument")]
    EmptyArgs,

    /// Two mounts of one exec target the same path.
    #[error("two mounts target `{0}`")]
    DuplicateMountTarget(String),

    /// A non-root mount targets `/`, which only the root mount may do.
    #[error("mount target `{0}` is the root, which only the exec's base may be mounted on")]
    InvalidMountTarget(String),

    /// A file op without actions (BuildKit rejects it: "invalid file op with no actions").
    #[error("file op has no actions")]
    NoFileActions,

    /// A chown by name must be resolved against some input's `/etc/passwd` and
    /// `/etc/group`; the state it would be resolved against is scratch.
    #[error("owner `{0}` is a name, but the state it would be resolved against is scratch; use numeric ids or name a state to resolve against")]
    NamedOwnerOnScratch(String),

    /// A git remote could not be understood.
    #[error("invalid git remote `{remote}`: {reason}")]
    InvalidGitRemote {
        /// The remote as given.
        remote: String,
        /// Why it was rejected.
        reason: &'static str,
    },

    /// A source identifier (local name, http URL) is empty or malformed.
    #[error("invalid source: {0}")]
    InvalidSource(String),
}
