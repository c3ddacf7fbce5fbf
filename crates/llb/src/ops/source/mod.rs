//! Source ops: images, local directories, git repositories, HTTP files.
//!
//! A source op is an identifier (`docker-image://…`, `local://…`, `git://…`, `https://…`)
//! plus string attributes whose keys are spelled as in BuildKit's `solver/pb/attr.go`.
//! Every attribute we set records the cap that makes the daemon understand it, because a
//! daemon that does not know an attribute silently ignores it.

use std::collections::BTreeMap;
use std::sync::Arc;

use bollard_buildkit_proto::pb;

use crate::caps::{CapId, Need};
use crate::marshal::Encoder;
use crate::ops::{empty_constraints, Encoded, Node, OpKind, OpMeta};
use crate::platform::Platform;
use crate::state::{Output, State, StateValues};

mod git;
mod http;
mod image;
mod local;

pub use git::Git;
pub use http::Http;
pub use image::{Image, ResolveMode};
pub use local::{Differ, Local};

/// A frozen source op.
#[derive(Debug)]
pub(crate) struct SourceOp {
    pub(crate) identifier: String,
    pub(crate) attrs: BTreeMap<String, String>,
    pub(crate) needs: Vec<Need>,
    /// Attributes that are only sent when the daemon has their cap (hints whose absence
    /// changes nothing but speed).
    pub(crate) optional_attrs: Vec<OptionalAttr>,
    /// Only image sources are platform specific (as in the Go client).
    pub(crate) platform: Option<Platform>,
}

#[derive(Debug)]
pub(crate) struct OptionalAttr {
    pub(crate) cap: CapId,
    pub(crate) key: &'static str,
    pub(crate) value: &'static str,
    pub(crate) feature: &'static str,
}

impl SourceOp {
    pub(crate) fn encode(&self, enc: &Encoder<'_>) -> Encoded {
        let mut attrs = self.attrs.clone();
        let mut needs = self.needs.clone();
        for optional in &self.optional_attrs {
            if enc.caps().supports(optional.cap) {
                attrs.insert(optional.key.to_owned(), optional.value.to_owned());
                needs.push(Need::cap(optional.cap, optional.feature));
            }
        }
        Encoded {
            op: pb::Op {
                inputs: Vec::new(),
                op: Some(pb::op::Op::Source(pb::SourceOp {
                    identifier: self.identifier.clone(),
                    attrs,
                })),
                platform: self.platform.as_ref().map(Platform::to_pb),
                constraints: empty_constraints(),
            },
            needs,
        }
    }
}

pub(crate) fn source_state(op: SourceOp, meta: OpMeta, values: StateValues) -> State {
    let node = Arc::new(Node {
        kind: OpKind::Source(op),
        meta,
    });
    State::from_output(Output::new(node, 0), Arc::new(values))
}
