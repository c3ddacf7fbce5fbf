//! What every step of a build reads, passed around as one value.

use crate::bridge::Bridge;
use crate::caps::Caps;
use crate::contexts::BuildContexts;
use crate::dockerfile_source::LoadedDockerfile;
use crate::errors::SourceFile;
use crate::lowering::Lowering;
use crate::options::FrontendEnv;

/// One build's fixed inputs once the Dockerfile is read: the daemon connection and
/// what it can do, the lowering, the request's options, the Dockerfile and the
/// build's sources (remote, input and named contexts).
#[derive(Clone, Copy)]
pub(crate) struct Session<'a> {
    pub bridge: &'a Bridge,
    pub lowering: &'a dyn Lowering,
    pub env: &'a FrontendEnv,
    pub caps: &'a Caps,
    pub loaded: &'a LoadedDockerfile,
    pub contexts: &'a BuildContexts,
}

impl Session<'_> {
    /// The Dockerfile as an error location.
    pub fn source(&self) -> SourceFile {
        self.loaded.dockerfile.source_file()
    }
}
