//! The target platform an op runs for.

use std::fmt;

use bollard_buildkit_proto::pb;

/// An OCI platform (`linux/amd64`, `linux/arm64/v8`, …).
///
/// The builder never guesses a platform: an op without one is sent without one and the
/// daemon substitutes its own default. Guessing the host's platform (as the Go client
/// does) would make the Definition depend on the machine that built it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Platform {
    /// `linux`, `windows`, …
    pub os: String,
    /// `amd64`, `arm64`, …
    pub architecture: String,
    /// `v7`, `v8`, or empty.
    pub variant: String,
}

impl Platform {
    /// A platform without variant.
    pub fn new(os: impl Into<String>, architecture: impl Into<String>) -> Self {
        Self {
            os: os.into(),
            architecture: architecture.into(),
            variant: String::new(),
        }
    }

    /// The same platform with a variant.
    pub fn with_variant(mut self, variant: impl Into<String>) -> Self {
        self.variant = variant.into();
        self
    }

    pub(crate) fn to_pb(&self) -> pb::Platform {
        pb::Platform {
            architecture: self.architecture.clone(),
            os: self.os.clone(),
            variant: self.variant.clone(),
            os_version: String::new(),
            os_features: Vec::new(),
        }
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.os, self.architecture)?;
        if !self.variant.is_empty() {
            write!(f, "/{}", self.variant)?;
        }
        Ok(())
    }
}
