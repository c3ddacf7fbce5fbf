//! Source ops: images, local directories, git repositories, HTTP files.
//!
//! A source op is an identifier (`docker-image://…`, `local://…`, `git://…`, `https://…`)
//! plus string attributes whose keys are spelled as in BuildKit's `solver/pb/attr.go`.
//! Every attribute we set records the cap that makes the daemon understand it, because a
//! daemon that does not know an attribute silently ignores it.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::caps::{CapId, Need};
use crate::marshal::Encoder;
use crate::ops::{write_op, InputList, Node, OpKind, OpMeta};
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
    pub(crate) platform: Option<Arc<Platform>>,
}

#[derive(Debug)]
pub(crate) struct OptionalAttr {
    pub(crate) cap: CapId,
    pub(crate) key: &'static str,
    pub(crate) value: &'static str,
    pub(crate) feature: &'static str,
}

impl SourceOp {
    pub(crate) fn encode(&self, enc: &Encoder<'_>, needs: &mut Vec<Need>) -> Vec<u8> {
        needs.extend_from_slice(&self.needs);
        // The optional attributes the daemon understands, merged into the sorted
        // attributes as map entries are: by key.
        let mut optional: Vec<&OptionalAttr> = Vec::new();
        for attr in &self.optional_attrs {
            if enc.caps().supports(attr.cap) {
                optional.push(attr);
                needs.push(Need::cap(attr.cap, attr.feature));
            }
        }
        write_op(
            enc,
            &InputList::default(),
            3,
            self.platform.as_deref(),
            |w| {
                // pb.SourceOp
                w.string(1, &self.identifier);
                if optional.is_empty() {
                    for (key, value) in &self.attrs {
                        w.map_entry(2, key, value);
                    }
                } else {
                    let mut attrs: BTreeMap<&str, &str> = self
                        .attrs
                        .iter()
                        .map(|(k, v)| (k.as_str(), v.as_str()))
                        .collect();
                    for attr in optional {
                        attrs.insert(attr.key, attr.value);
                    }
                    for (key, value) in attrs {
                        w.map_entry(2, key, value);
                    }
                }
            },
        )
    }
}

pub(crate) fn source_state(op: SourceOp, meta: OpMeta, values: StateValues) -> State {
    let node = Arc::new(Node {
        kind: OpKind::Source(op),
        meta,
    });
    State::from_output(Output::new(node, 0), Arc::new(values))
}
