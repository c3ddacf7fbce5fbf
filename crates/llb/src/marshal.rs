//! Marshalling a graph into a `pb.Definition`.
//!
//! * Ops are visited post-order (inputs before the ops that read them), iteratively so
//!   that deep graphs cannot overflow the stack.
//! * Each op is written as `pb.Op` bytes by the `wire` module in the field order the
//!   daemon itself uses ([`OpFieldOrder`]: tag order for old daemons, the `op` oneof
//!   last for daemons that re-marshal with Go's deterministic encoding), zero values
//!   omitted, map entries in key order. Its digest is `sha256:<hex>` of those bytes,
//!   exactly what the daemon recomputes.
//! * Ops with equal digests are emitted once; their metadata and locations are merged.
//! * The last entry is the terminal op: only `inputs = [result]`.
//! * Every op's capability needs are checked against the daemon's [`CapSet`].
//!
//! Nothing here iterates a `HashMap` into the output, and nothing reads the clock, the
//! environment or a counter, so one graph always gives byte-identical bytes.

use std::collections::btree_map::Entry;
use std::collections::{hash_map, BTreeMap, HashMap};
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Arc;

use bollard_buildkit_proto::pb;
use prost::Message;
use sha2::{Digest as _, Sha256};

use crate::caps::{self, CapSet, Need};
use crate::error::Error;
use crate::ops::{Node, OpMeta};
use crate::sourcemap::SourceMap;
use crate::state::{Output, State};
use crate::wire::Wire;

/// What an op sees of the marshalling in progress: the daemon's caps and the digests of
/// the ops it reads.
pub(crate) struct Encoder<'a> {
    caps: &'a CapSet,
    /// Each visited node's position in the post-order, which indexes `digests`.
    positions: &'a NodeMap<usize>,
    /// The digests of the ops encoded so far, in post-order, concatenated: each is
    /// [`DIGEST_LEN`] bytes long (one buffer per marshal instead of a `String` per op).
    digests: &'a str,
    replace: Option<&'a Replace>,
}

/// A map keyed by node identity. Only looked up, never iterated, so its order cannot
/// reach the output.
type NodeMap<V> = HashMap<*const Node, V, BuildHasherDefault<PtrHasher>>;

/// A hasher for pointer keys: one multiply instead of SipHash. Graphs are built by the
/// caller, not by an adversary, and a map holds one entry per op.
#[derive(Default)]
struct PtrHasher(u64);

impl Hasher for PtrHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        // Not used for pointers (they hash through `write_usize`); kept correct anyway.
        for &b in bytes {
            self.mix(self.0.rotate_left(8) ^ u64::from(b));
        }
    }

    fn write_usize(&mut self, n: usize) {
        self.mix(n as u64);
    }
}

impl PtrHasher {
    /// Fibonacci hashing mixes the value into the high bits; folding them down also
    /// mixes the low bits, which pick the bucket (aligned addresses end in zeros).
    fn mix(&mut self, value: u64) {
        let x = value.wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = x ^ (x >> 32);
    }
}

/// One op standing in for another while marshalling (see [`State::marshal_replacing`]).
struct Replace {
    placeholder: *const Node,
    replacement: Arc<Node>,
}

impl Replace {
    /// The node to encode for `node`: the replacement for the placeholder, else itself.
    fn resolve<'n>(replace: Option<&'n Replace>, node: &'n Arc<Node>) -> &'n Arc<Node> {
        match replace {
            Some(r) if Arc::as_ptr(node) == r.placeholder => &r.replacement,
            _ => node,
        }
    }
}

impl<'a> Encoder<'a> {
    pub(crate) fn caps(&self) -> &CapSet {
        self.caps
    }

    /// The order in which `pb.Op` fields are written for this daemon.
    pub(crate) fn field_order(&self) -> OpFieldOrder {
        OpFieldOrder::for_caps(self.caps)
    }

    /// The `Op.inputs` entry for `output`. Post-order guarantees its op was encoded
    /// already.
    pub(crate) fn input(&self, output: &Output) -> Input<'a> {
        let node = Replace::resolve(self.replace, &output.node);
        let digests = self.digests;
        Input {
            digest: self
                .positions
                .get(&Arc::as_ptr(node))
                .and_then(|&position| {
                    digests.get(position * DIGEST_LEN..(position + 1) * DIGEST_LEN)
                })
                .unwrap_or(""),
            index: i64::from(output.index),
        }
    }
}

/// The order in which a `pb.Op`'s fields are written, which decides its digest.
///
/// Protobuf leaves field order to the encoder, and BuildKit's encoders differ:
/// gogo-protobuf (BuildKit up to v0.16) writes fields by number, with the `op` oneof
/// (exec 2, source 3, file 4, …) between `inputs` (1) and `platform` (10);
/// vtprotobuf (v0.17) and Go's deterministic `proto.Marshal` (v0.18+, which
/// re-marshals every op a frontend sends and uses that digest for the vertex) write
/// oneof fields after all others. Only `pb.Op` is affected among the messages dfopt
/// writes: `FileAction`'s oneof already has the highest numbers, and `UserOpt` is a
/// oneof alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OpFieldOrder {
    /// By field number: what BuildKit up to v0.16 (Docker 20.10–27.2) writes.
    FieldNumber,
    /// The `op` oneof after `inputs`, `platform` and `constraints`: BuildKit v0.17+.
    OneofLast,
}

impl OpFieldOrder {
    /// The daemon's order, told by its caps: `exec.validexitcode` first appeared in
    /// v0.17, together with the change of encoder. (v0.17 keeps a frontend's digests
    /// as sent, so either order names its vertices; v0.18+ needs this one.)
    pub fn for_caps(caps: &CapSet) -> Self {
        if caps.supports(crate::caps::EXEC_VALID_EXIT_CODE) {
            OpFieldOrder::OneofLast
        } else {
            OpFieldOrder::FieldNumber
        }
    }
}

/// One `pb.Input`: an op's digest and output index, borrowed while the reader encodes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct Input<'a> {
    pub(crate) digest: &'a str,
    pub(crate) index: i64,
}

/// `sha256:<hex>` of `bytes`, the digest BuildKit gives an op.
pub fn digest(bytes: &[u8]) -> String {
    let mut out = String::with_capacity(DIGEST_LEN);
    push_digest(&mut out, bytes);
    out
}

/// The length of `sha256:<hex>`.
const DIGEST_LEN: usize = 7 + 64;

/// Appends `sha256:<hex>` of `bytes` to `out`.
fn push_digest(out: &mut String, bytes: &[u8]) {
    let hash = Sha256::digest(bytes);
    // Hex digits into a buffer first: one copy instead of 64 checked pushes.
    let mut hex = [0u8; 64];
    for (pair, byte) in hex.chunks_exact_mut(2).zip(hash) {
        pair[0] = HEX[usize::from(byte >> 4)];
        pair[1] = HEX[usize::from(byte & 0xf)];
    }
    out.push_str("sha256:");
    // Always ASCII, so never the empty fallback.
    out.push_str(std::str::from_utf8(&hex).unwrap_or_default());
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
        self.marshal_graph(caps, None)
    }

    /// Marshals like [`State::marshal`], with the op of `placeholder` replaced by the op
    /// of `replacement` wherever the graph reads it (at the same output index).
    ///
    /// This is the Go client's `mutableOutput`: some ops are read before all of their
    /// attributes are known. The Dockerfile frontend learns which context paths to
    /// transfer (`local.followpaths`) only after every stage has been built on the build
    /// context; building the stages on a placeholder context and swapping the real one
    /// in here spares building the whole graph a second time.
    pub fn marshal_replacing(
        &self,
        caps: &CapSet,
        placeholder: &Output,
        replacement: &Output,
    ) -> Result<pb::Definition, Error> {
        let replace = Replace {
            placeholder: Arc::as_ptr(&placeholder.node),
            replacement: Arc::clone(&replacement.node),
        };
        self.marshal_graph(caps, Some(&replace))
    }

    fn marshal_graph(
        &self,
        caps: &CapSet,
        replace: Option<&Replace>,
    ) -> Result<pb::Definition, Error> {
        let Some(root) = self.output() else {
            return Ok(pb::Definition::default());
        };
        let (order, positions) = post_order(&root.node, replace);
        let mut digests = String::with_capacity(order.len() * DIGEST_LEN);
        let mut def = Vec::with_capacity(order.len() + 1);
        let mut metadata: BTreeMap<String, pb::OpMetadata> = BTreeMap::new();
        let mut sources = SourceCollector::default();
        // Every op's needs, cleared and reused.
        let mut needs = Vec::with_capacity(16);

        for node in order {
            needs.clear();
            let bytes = node.kind.encode(
                &Encoder {
                    caps,
                    positions: &positions,
                    digests: &digests,
                    replace,
                },
                &mut needs,
            );
            let op_caps = check_needs(&needs, caps, node)?;
            let start = digests.len();
            push_digest(&mut digests, &bytes);
            let dgst = &digests[start..];
            // The first op with a digest is emitted; later equal ones only add metadata.
            let entry = match metadata.entry(dgst.to_owned()) {
                Entry::Vacant(vacant) => {
                    def.push(bytes);
                    vacant.insert(pb::OpMetadata::default())
                }
                Entry::Occupied(occupied) => occupied.into_mut(),
            };
            merge_metadata(entry, &node.meta, op_caps);
            sources.add(dgst, &node.meta);
        }

        let root_input = Encoder {
            caps,
            positions: &positions,
            digests: &digests,
            replace,
        }
        .input(root);
        let mut terminal = Wire::with_capacity(80);
        terminal.message(1, |w| {
            w.string(1, root_input.digest);
            w.int64(2, root_input.index);
        });
        let bytes = terminal.into_bytes();
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

/// Inputs before readers, each node once, siblings in input order; the placeholder of
/// `replace` is visited as its replacement. Also returns each node's position in that
/// order (by identity), which is where its digest will be.
fn post_order<'a>(
    root: &'a Arc<Node>,
    replace: Option<&'a Replace>,
) -> (Vec<&'a Node>, NodeMap<usize>) {
    // Sized for a typical Dockerfile's graph, so that small graphs never regrow.
    let mut order = Vec::with_capacity(32);
    // Pointer identity only decides what was visited; the order comes from the stack.
    let mut positions = NodeMap::with_capacity_and_hasher(32, Default::default());
    let mut stack: Vec<(&Arc<Node>, bool)> = Vec::with_capacity(32);
    stack.push((Replace::resolve(replace, root), false));
    // One buffer for every node's inputs.
    let mut inputs: Vec<&Output> = Vec::with_capacity(8);
    while let Some((node, expanded)) = stack.pop() {
        let key = Arc::as_ptr(node);
        if expanded {
            if let hash_map::Entry::Vacant(vacant) = positions.entry(key) {
                vacant.insert(order.len());
                order.push(&**node);
            }
            continue;
        }
        if positions.contains_key(&key) {
            continue;
        }
        stack.push((node, true));
        inputs.clear();
        node.kind.push_inputs(&mut inputs);
        for input in inputs.iter().rev() {
            let child = Replace::resolve(replace, &input.node);
            if !positions.contains_key(&Arc::as_ptr(child)) {
                stack.push((child, false));
            }
        }
    }
    (order, positions)
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
                if !recorded.contains_key(cap.as_str()) {
                    recorded.insert(cap.as_str().to_owned(), true);
                }
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

/// The Go client's `mergeMetadata`, for ops that dedup to one digest. The first op of
/// a digest (the usual case) gives its maps whole.
fn merge_metadata(into: &mut pb::OpMetadata, meta: &OpMeta, caps: BTreeMap<String, bool>) {
    into.ignore_cache |= meta.ignore_cache;
    if into.description.is_empty() {
        into.description.clone_from(&meta.descriptions);
    } else {
        into.description.extend(
            meta.descriptions
                .iter()
                .map(|(k, v)| (k.clone(), v.clone())),
        );
    }
    if let Some(value) = meta.export_cache {
        into.export_cache = Some(pb::ExportCache { value });
    }
    if let Some((id, name, weak)) = &meta.progress_group {
        into.progress_group = Some(pb::ProgressGroup {
            id: id.clone(),
            name: name.clone(),
            weak: *weak,
        });
    }
    if into.caps.is_empty() {
        into.caps = caps;
    } else {
        into.caps.extend(caps);
    }
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
            let location = pb::Location {
                source_index: i32::try_from(index).unwrap_or(i32::MAX),
                ranges: location.ranges().iter().map(|r| r.to_pb()).collect(),
            };
            match self.locations.get_mut(dgst) {
                Some(existing) => existing.locations.push(location),
                None => {
                    let locations = pb::Locations {
                        locations: vec![location],
                    };
                    self.locations.insert(dgst.to_owned(), locations);
                }
            }
        }
    }

    fn finish(self) -> pb::Source {
        pb::Source {
            locations: self.locations,
            infos: self.infos.iter().map(SourceMap::to_pb).collect(),
        }
    }
}
