//! Marshalling a graph into a `pb.Definition`.
//!
//! * Ops are visited post-order (inputs before the ops that read them), iteratively so
//!   that deep graphs cannot overflow the stack.
//! * Each op is encoded with prost, whose encoding is deterministic for our messages:
//!   fields in tag order, zero values omitted, and every proto map a `BTreeMap` (sorted
//!   keys) in `bollard-buildkit-proto`. Its digest is `sha256:<hex>` of those bytes,
//!   exactly what the daemon recomputes.
//! * Ops with equal digests are emitted once; their metadata and locations are merged.
//! * The last entry is the terminal op: only `inputs = [result]`.
//! * Every op's capability needs are checked against the daemon's [`CapSet`].
//!
//! Nothing here iterates a `HashMap` into the output, and nothing reads the clock, the
//! environment or a counter, so one graph always gives byte-identical bytes.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::Arc;

use bollard_buildkit_proto::pb;
use prost::Message;
use sha2::{Digest as _, Sha256};

use crate::caps::{self, CapSet, Need};
use crate::error::Error;
use crate::ops::{Node, OpMeta};
use crate::sourcemap::SourceMap;
use crate::state::{Output, State};

/// What an op sees of the marshalling in progress: the daemon's caps and the digests of
/// the ops it reads.
pub(crate) struct Encoder<'a> {
    caps: &'a CapSet,
    digests: &'a HashMap<*const Node, String>,
}

impl Encoder<'_> {
    pub(crate) fn caps(&self) -> &CapSet {
        self.caps
    }

    /// The `pb.Input` for `output`. Post-order guarantees its op was encoded already.
    pub(crate) fn input(&self, output: &Output) -> pb::Input {
        pb::Input {
            digest: self
                .digests
                .get(&Arc::as_ptr(&output.node))
                .cloned()
                .unwrap_or_default(),
            index: i64::from(output.index),
        }
    }
}

/// `sha256:<hex>` of `bytes`, the digest BuildKit gives an op.
pub fn digest(bytes: &[u8]) -> String {
    let hash = Sha256::digest(bytes);
    let mut out = String::with_capacity(7 + 64);
    out.push_str("sha256:");
    for byte in hash {
        out.push(char::from(HEX[usize::from(byte >> 4)]));
        out.push(char::from(HEX[usize::from(byte & 0xf)]));
    }
    out
}

const HEX: &[u8; 16] = b"0123456789abcdef";

/// The bytes of a Definition as sent over the wire (e.g. for `dfopt llb` output).
pub fn encode_definition(definition: &pb::Definition) -> Vec<u8> {
    definition.encode_to_vec()
}

impl State {
    /// Marshals the graph that produces this state for a daemon with `caps`.
    ///
    /// Scratch marshals to an empty Definition, which the gateway treats as "no
    /// result" (the daemon's loader would reject it as "invalid empty definition").
    /// Fails with [`Error::MissingCapability`] if any op needs what the daemon lacks.
    pub fn marshal(&self, caps: &CapSet) -> Result<pb::Definition, Error> {
        let Some(root) = self.output() else {
            return Ok(pb::Definition::default());
        };
        let mut digests: HashMap<*const Node, String> = HashMap::new();
        let mut emitted: BTreeSet<String> = BTreeSet::new();
        let mut def = Vec::new();
        let mut metadata: BTreeMap<String, pb::OpMetadata> = BTreeMap::new();
        let mut sources = SourceCollector::default();

        for node in post_order(&root.node) {
            let encoded = node.kind.encode(&Encoder {
                caps,
                digests: &digests,
            });
            let op_caps = check_needs(&encoded.needs, caps, &node)?;
            let bytes = encoded.op.encode_to_vec();
            let dgst = digest(&bytes);
            merge_metadata(
                metadata.entry(dgst.clone()).or_default(),
                &node.meta,
                op_caps,
            );
            sources.add(&dgst, &node.meta);
            digests.insert(Arc::as_ptr(&node), dgst.clone());
            if emitted.insert(dgst) {
                def.push(bytes);
            }
        }

        let terminal = pb::Op {
            inputs: vec![Encoder {
                caps,
                digests: &digests,
            }
            .input(root)],
            ..pb::Op::default()
        };
        let bytes = terminal.encode_to_vec();
        let mut terminal_caps = vec![
            Need::cap(caps::CONSTRAINTS, "worker constraints"),
            Need::cap(caps::PLATFORM, "op platforms"),
        ];
        let any = |f: fn(&pb::OpMetadata) -> bool| metadata.values().any(f);
        if any(|m| m.ignore_cache) {
            terminal_caps.push(Need::cap(caps::META_IGNORE_CACHE, "ignore-cache metadata"));
        }
        if any(|m| !m.description.is_empty()) {
            terminal_caps.push(Need::cap(caps::META_DESCRIPTION, "description metadata"));
        }
        if any(|m| m.export_cache.is_some()) {
            terminal_caps.push(Need::cap(caps::META_EXPORT_CACHE, "export-cache metadata"));
        }
        let terminal_meta = pb::OpMetadata {
            caps: check_needs(&terminal_caps, caps, &root.node)?,
            ..pb::OpMetadata::default()
        };
        metadata.insert(digest(&bytes), terminal_meta);
        def.push(bytes);

        Ok(pb::Definition {
            def,
            metadata,
            source: Some(sources.finish()),
        })
    }
}

/// Inputs before readers, each node once, siblings in input order.
fn post_order(root: &Arc<Node>) -> Vec<Arc<Node>> {
    let mut order = Vec::new();
    let mut done: BTreeSet<*const Node> = BTreeSet::new();
    let mut stack: Vec<(Arc<Node>, bool)> = vec![(Arc::clone(root), false)];
    while let Some((node, expanded)) = stack.pop() {
        let key = Arc::as_ptr(&node);
        if done.contains(&key) {
            continue;
        }
        if expanded {
            done.insert(key);
            order.push(node);
            continue;
        }
        let children: Vec<Arc<Node>> = node
            .kind
            .inputs()
            .into_iter()
            .map(|o| Arc::clone(&o.node))
            .collect();
        stack.push((node, true));
        for child in children.into_iter().rev() {
            if !done.contains(&Arc::as_ptr(&child)) {
                stack.push((child, false));
            }
        }
    }
    order
}

/// Checks every need against the daemon's caps; returns the caps to record.
fn check_needs(
    needs: &[Need],
    caps: &CapSet,
    node: &Node,
) -> Result<BTreeMap<String, bool>, Error> {
    let mut recorded = BTreeMap::new();
    for need in needs {
        match need {
            Need::Cap { cap, feature } => {
                if !caps.supports(*cap) {
                    return Err(missing(cap.as_str().to_owned(), feature, node));
                }
                recorded.insert(cap.as_str().to_owned(), true);
            }
            Need::Gate { any_of, feature } => {
                if !any_of.iter().any(|c| caps.supports(*c)) {
                    let names: Vec<&str> = any_of.iter().map(|c| c.as_str()).collect();
                    return Err(missing(names.join("` or `"), feature, node));
                }
            }
        }
    }
    Ok(recorded)
}

fn missing(cap: String, feature: &'static str, node: &Node) -> Error {
    Error::MissingCapability {
        cap,
        feature,
        op: node
            .meta
            .custom_name()
            .map_or_else(|| format!("{} op", node.kind.name()), |n| format!("`{n}`")),
    }
}

/// The Go client's `mergeMetadata`, for ops that dedup to one digest.
fn merge_metadata(into: &mut pb::OpMetadata, meta: &OpMeta, caps: BTreeMap<String, bool>) {
    into.ignore_cache |= meta.ignore_cache;
    into.description.extend(
        meta.descriptions
            .iter()
            .map(|(k, v)| (k.clone(), v.clone())),
    );
    if let Some(value) = meta.export_cache {
        into.export_cache = Some(pb::ExportCache { value });
    }
    into.caps.extend(caps);
}

/// Collects locations per digest and the distinct source files they point into.
#[derive(Default)]
struct SourceCollector {
    infos: Vec<SourceMap>,
    locations: BTreeMap<String, pb::Locations>,
}

impl SourceCollector {
    fn add(&mut self, dgst: &str, meta: &OpMeta) {
        for location in &meta.locations {
            let index = match self.infos.iter().position(|s| s.same(location.source())) {
                Some(i) => i,
                None => {
                    self.infos.push(location.source().clone());
                    self.infos.len() - 1
                }
            };
            self.locations
                .entry(dgst.to_owned())
                .or_default()
                .locations
                .push(pb::Location {
                    source_index: i32::try_from(index).unwrap_or(i32::MAX),
                    ranges: location.ranges().iter().map(|r| r.to_pb()).collect(),
                });
        }
    }

    fn finish(self) -> pb::Source {
        pb::Source {
            locations: self.locations,
            infos: self.infos.iter().map(SourceMap::to_pb).collect(),
        }
    }
}
