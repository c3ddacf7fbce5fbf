//! The op kinds and what they share.
//!
//! Each op is built by a consuming builder (`Image`, `Exec`, `FileBuilder`, …) and frozen
//! into an immutable `Node` behind an `Arc` when the builder finishes. A node knows
//! how to encode itself as `pb.Op` bytes given the digests of its inputs, and which
//! capabilities that encoding relies on (`Need`s); [`crate::marshal`] does the rest.

pub mod exec;
pub mod file;
pub mod merge;
pub mod mount;
pub mod source;

use std::collections::BTreeMap;

use crate::caps::Need;
use crate::marshal::{Encoder, Input, OpFieldOrder};
use crate::platform::Platform;
use crate::sourcemap::Location;
use crate::state::Output;
use crate::wire::Wire;

/// The `OpMetadata.description` key BuildKit shows as the vertex name in progress output.
pub const CUSTOM_NAME_KEY: &str = "llb.customname";

/// Per-op metadata that is not part of the op's digest: names, cache flags, locations.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct OpMeta {
    pub(crate) descriptions: BTreeMap<String, String>,
    pub(crate) ignore_cache: bool,
    pub(crate) export_cache: Option<bool>,
    pub(crate) locations: Vec<Location>,
    /// `OpMetadata.progress_group`: `(id, name, weak)`.
    pub(crate) progress_group: Option<(String, String, bool)>,
}

impl OpMeta {
    pub(crate) fn custom_name(&self) -> Option<&str> {
        self.descriptions.get(CUSTOM_NAME_KEY).map(String::as_str)
    }
}

/// Options every op builder accepts. Import it (or the [`crate::prelude`]) to call them.
pub trait OpOptions: Sized {
    /// The builder's metadata; an implementation detail of the provided methods.
    #[doc(hidden)]
    fn op_meta(&mut self) -> &mut OpMeta;

    /// The name progress output shows for this op (`llb.customname`), e.g. `[2/3] RUN …`.
    fn custom_name(mut self, name: impl Into<String>) -> Self {
        self.op_meta()
            .descriptions
            .insert(CUSTOM_NAME_KEY.to_owned(), name.into());
        self
    }

    /// Any other description entry (e.g. `com.docker.dockerfile.v1.command`).
    fn description(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.op_meta().descriptions.insert(key.into(), value.into());
        self
    }

    /// Never reuse a cached result for this op (`--no-cache`).
    fn ignore_cache(mut self, ignore: bool) -> Self {
        self.op_meta().ignore_cache = ignore;
        self
    }

    /// Force (or forbid) exporting this op's result to a remote cache.
    fn export_cache(mut self, export: bool) -> Self {
        self.op_meta().export_cache = Some(export);
        self
    }

    /// Shows this op in progress output as part of the group `id` named `name`
    /// (`llb.ProgressGroup`); a `weak` member does not start the group on its own.
    fn progress_group(
        mut self,
        id: impl Into<String>,
        name: impl Into<String>,
        weak: bool,
    ) -> Self {
        self.op_meta().progress_group = Some((id.into(), name.into(), weak));
        self
    }

    /// Where in the source file this op comes from; may be called more than once.
    fn location(mut self, location: Location) -> Self {
        self.op_meta().locations.push(location);
        self
    }
}

/// A frozen op: what it does plus its metadata.
#[derive(Debug)]
pub(crate) struct Node {
    pub(crate) kind: OpKind,
    pub(crate) meta: OpMeta,
}

// Sizes differ, but each op lives exactly once, inside an `Arc<Node>`.
#[allow(clippy::large_enum_variant)]
#[derive(Debug)]
pub(crate) enum OpKind {
    Source(source::SourceOp),
    Exec(exec::ExecOp),
    File(file::FileOp),
    Merge(merge::MergeOp),
    Diff(merge::DiffOp),
}

impl OpKind {
    pub(crate) fn name(&self) -> &'static str {
        match self {
            OpKind::Source(_) => "source",
            OpKind::Exec(_) => "exec",
            OpKind::File(_) => "file",
            OpKind::Merge(_) => "merge",
            OpKind::Diff(_) => "diff",
        }
    }

    /// Appends the outputs this op reads to `out`, in the order they become
    /// `Op.inputs`. Appending (rather than returning a `Vec`) lets the marshaller reuse
    /// one buffer for the whole graph.
    pub(crate) fn push_inputs<'a>(&'a self, out: &mut Vec<&'a Output>) {
        match self {
            OpKind::Source(_) => {}
            OpKind::Exec(op) => op.push_inputs(out),
            OpKind::File(op) => op.push_inputs(out),
            OpKind::Merge(op) => op.push_inputs(out),
            OpKind::Diff(op) => op.push_inputs(out),
        }
    }

    /// The op as `pb.Op` bytes; appends what that encoding needs from the daemon to
    /// `needs`, a buffer the marshaller clears and reuses for every op (one allocation
    /// per marshal instead of one per op).
    pub(crate) fn encode(
        &self,
        enc: &crate::marshal::Encoder<'_>,
        needs: &mut Vec<Need>,
    ) -> Vec<u8> {
        match self {
            OpKind::Source(op) => op.encode(enc, needs),
            OpKind::Exec(op) => op.encode(enc, needs),
            OpKind::File(op) => op.encode(enc, needs),
            OpKind::Merge(op) => op.encode(enc, needs),
            OpKind::Diff(op) => op.encode(enc, needs),
        }
    }
}

/// `Op.inputs` under construction: appends an input unless an equal one (same digest
/// and output index) is already there, and returns its index either way.
#[derive(Default)]
pub(crate) struct InputList<'a> {
    inputs: Vec<Input<'a>>,
}

impl<'a> InputList<'a> {
    pub(crate) fn add(&mut self, input: Input<'a>) -> i64 {
        let position = match self.inputs.iter().position(|i| *i == input) {
            Some(existing) => existing,
            None => {
                self.inputs.push(input);
                self.inputs.len() - 1
            }
        };
        to_i64(position)
    }

    /// Appends without de-duplication (merge ops list every input separately).
    pub(crate) fn push(&mut self, input: Input<'a>) -> i64 {
        self.inputs.push(input);
        to_i64(self.inputs.len() - 1)
    }

    pub(crate) fn len(&self) -> i64 {
        to_i64(self.inputs.len())
    }
}

/// Index conversions that cannot fail for any graph that fits in memory.
pub(crate) fn to_i64(n: usize) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// `pb.Op`: the inputs (tag 1), the op itself under `body_tag` (the `op` oneof, 2–7),
/// the platform (10) and the `constraints` every non-terminal op carries
/// (`WorkerConstraints{}`, as the Go client sends it; kept for byte-identical digests
/// with Go-built LLB).
///
/// The order of the fields is the daemon's ([`OpFieldOrder`]): BuildKit up to v0.16
/// marshals in field-number order (the oneof at its number), v0.17+ puts the oneof
/// last, and v0.18+ re-marshals every op a frontend sends that way and uses that
/// digest for the vertex; so the digests in the source map and in `Warn` requests
/// name real vertices only when written in the daemon's order.
pub(crate) fn write_op(
    enc: &Encoder<'_>,
    inputs: &InputList<'_>,
    body_tag: u32,
    platform: Option<&Platform>,
    body: impl FnOnce(&mut Wire),
) -> Vec<u8> {
    let mut w = Wire::with_capacity(256);
    for input in &inputs.inputs {
        w.message(1, |w| {
            w.string(1, input.digest);
            w.int64(2, input.index);
        });
    }
    let write_rest = |w: &mut Wire| {
        if let Some(platform) = platform {
            w.message(10, |w| platform.write(w));
        }
        w.message(11, |_| {});
    };
    match enc.field_order() {
        OpFieldOrder::FieldNumber => {
            w.message(body_tag, body);
            write_rest(&mut w);
        }
        OpFieldOrder::OneofLast => {
            write_rest(&mut w);
            w.message(body_tag, body);
        }
    }
    w.into_bytes()
}
