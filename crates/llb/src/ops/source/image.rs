//! `docker-image://` sources.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::caps::{self, Need};
use crate::error::Error;
use crate::ops::source::{source_state, SourceOp};
use crate::ops::{OpMeta, OpOptions};
use crate::platform::Platform;
use crate::reference::ImageRef;
use crate::state::{State, StateValues};

/// How the daemon resolves an image (`image.resolvemode`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum ResolveMode {
    /// Use the daemon's default (no attribute is sent).
    #[default]
    Default,
    /// Always pull (`--pull`); the only mode that needs `source.image.resolvemode`,
    /// because ignoring it would weaken a security-relevant request.
    ForcePull,
    /// Prefer an image already in the local store.
    PreferLocal,
}

/// A `docker-image://` source.
#[derive(Debug, Clone)]
pub struct Image {
    reference: ImageRef,
    resolve_mode: ResolveMode,
    record_type: Option<String>,
    platform: Option<Platform>,
    meta: OpMeta,
}

impl Image {
    /// An image by reference; `busybox` is normalized to
    /// `docker.io/library/busybox:latest` (see [`ImageRef`]).
    pub fn new(reference: &str) -> Result<Self, Error> {
        Ok(Self::from_ref(ImageRef::parse_normalized(reference)?))
    }

    /// An image by an already normalized reference.
    pub fn from_ref(reference: ImageRef) -> Self {
        Self {
            reference,
            resolve_mode: ResolveMode::Default,
            record_type: None,
            platform: None,
            meta: OpMeta::default(),
        }
    }

    /// Pins the image to a manifest digest (keeping the tag, like BuildKit's frontend).
    pub fn pin_digest(mut self, digest: &str) -> Result<Self, Error> {
        self.reference = self.reference.with_digest(digest)?;
        Ok(self)
    }

    /// How to resolve the image.
    pub fn resolve_mode(mut self, mode: ResolveMode) -> Self {
        self.resolve_mode = mode;
        self
    }

    /// `image.recordtype` (e.g. `internal` for images that are not part of the result).
    pub fn record_type(mut self, record_type: impl Into<String>) -> Self {
        self.record_type = Some(record_type.into());
        self
    }

    /// The platform to pull; also becomes the resulting state's platform.
    pub fn platform(mut self, platform: Platform) -> Self {
        self.platform = Some(platform);
        self
    }

    /// The image's filesystem as a state (cwd `/`, no env: applying the image config
    /// is the caller's business).
    pub fn build(self) -> State {
        let mut attrs = BTreeMap::new();
        let mut needs = vec![Need::cap(caps::SOURCE_IMAGE, "image source")];
        let mode = match self.resolve_mode {
            ResolveMode::Default => None,
            ResolveMode::ForcePull => {
                needs.push(Need::cap(
                    caps::SOURCE_IMAGE_RESOLVE_MODE,
                    "image resolve mode `pull`",
                ));
                Some("pull")
            }
            ResolveMode::PreferLocal => Some("local"),
        };
        if let Some(mode) = mode {
            attrs.insert("image.resolvemode".to_owned(), mode.to_owned());
        }
        if let Some(record_type) = self.record_type {
            attrs.insert("image.recordtype".to_owned(), record_type);
        }
        // The op and the resulting state share one platform.
        let platform = self.platform.map(Arc::new);
        let values = StateValues {
            platform: platform.clone(),
            ..StateValues::default()
        };
        let op = SourceOp {
            identifier: format!("docker-image://{}", self.reference),
            attrs,
            needs,
            optional_attrs: Vec::new(),
            platform,
        };
        source_state(op, self.meta, values)
    }
}

impl OpOptions for Image {
    fn op_meta(&mut self) -> &mut OpMeta {
        &mut self.meta
    }
}
