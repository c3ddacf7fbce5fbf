//! Merge and diff ops (BuildKit v0.10+, caps `mergeop` / `diffop`).
//!
//! Docker 20.10's BuildKit has neither. Marshalling refuses them for such a daemon; the
//! frontend is expected to check [`crate::CapSet::supports`] first and fall back to a
//! plain copy (which is what BuildKit's own frontend does for `COPY --link`).

use std::sync::Arc;

use crate::caps::{self, Need};
use crate::marshal::Encoder;
use crate::ops::{write_op, InputList, Node, OpKind, OpMeta, OpOptions};
use crate::state::{Output, State};

/// Builder for a merge: the layers of several states stacked, later ones on top.
#[derive(Debug, Clone)]
pub struct Merge {
    inputs: Vec<State>,
    meta: OpMeta,
}

impl Merge {
    /// Merges `inputs` in order.
    pub fn new(inputs: impl IntoIterator<Item = State>) -> Self {
        Self {
            inputs: inputs.into_iter().collect(),
            meta: OpMeta::default(),
        }
    }

    /// The merged state, with the first non-scratch input's settings. Like the Go
    /// client, scratch inputs are dropped; with none left the result is scratch and with
    /// one left it is that input, so no op (and no `mergeop` cap) is needed.
    pub fn build(self) -> State {
        let inputs: Vec<State> = self
            .inputs
            .into_iter()
            .filter(|s| !s.is_scratch())
            .collect();
        let outputs: Vec<Output> = inputs.iter().filter_map(|s| s.output().cloned()).collect();
        match inputs.first() {
            None => State::scratch(),
            Some(first) if outputs.len() == 1 => first.clone(),
            Some(first) => {
                let node = Arc::new(Node {
                    kind: OpKind::Merge(MergeOp { inputs: outputs }),
                    meta: self.meta,
                });
                first.with_output(Some(Output::new(node, 0)))
            }
        }
    }
}

impl OpOptions for Merge {
    fn op_meta(&mut self) -> &mut OpMeta {
        &mut self.meta
    }
}

/// Builder for a diff: what `upper` adds on top of `lower`.
#[derive(Debug, Clone)]
pub struct Diff {
    lower: State,
    upper: State,
    meta: OpMeta,
}

impl Diff {
    /// The changes from `lower` to `upper`.
    pub fn new(lower: &State, upper: &State) -> Self {
        Self {
            lower: lower.clone(),
            upper: upper.clone(),
            meta: OpMeta::default(),
        }
    }

    /// The diff as a state with `lower`'s settings. A diff against scratch is `upper`
    /// itself (as in the Go client), so no op is emitted for it.
    pub fn build(self) -> State {
        let Some(lower) = self.lower.output().cloned() else {
            return self.upper;
        };
        let node = Arc::new(Node {
            kind: OpKind::Diff(DiffOp {
                lower,
                upper: self.upper.output().cloned(),
            }),
            meta: self.meta,
        });
        self.lower.with_output(Some(Output::new(node, 0)))
    }
}

impl OpOptions for Diff {
    fn op_meta(&mut self) -> &mut OpMeta {
        &mut self.meta
    }
}

/// A frozen merge op (at least two inputs).
#[derive(Debug)]
pub(crate) struct MergeOp {
    inputs: Vec<Output>,
}

impl MergeOp {
    pub(crate) fn push_inputs<'a>(&'a self, out: &mut Vec<&'a Output>) {
        out.extend(&self.inputs);
    }

    pub(crate) fn encode(&self, enc: &Encoder<'_>, needs: &mut Vec<Need>) -> Vec<u8> {
        // One `Op.inputs` entry per merge input, even for repeats: order is the meaning.
        let mut inputs = InputList::default();
        let indexes: Vec<i64> = self
            .inputs
            .iter()
            .map(|o| inputs.push(enc.input(o)))
            .collect();
        let bytes = write_op(enc, &inputs, 6, None, |w| {
            // pb.MergeOp
            for input in indexes {
                w.message(1, |w| w.int64(1, input));
            }
        });
        needs.push(Need::cap(caps::MERGE_OP, "merge op"));
        bytes
    }
}

/// A frozen diff op.
#[derive(Debug)]
pub(crate) struct DiffOp {
    lower: Output,
    upper: Option<Output>,
}

impl DiffOp {
    pub(crate) fn push_inputs<'a>(&'a self, out: &mut Vec<&'a Output>) {
        out.push(&self.lower);
        out.extend(&self.upper);
    }

    pub(crate) fn encode(&self, enc: &Encoder<'_>, needs: &mut Vec<Need>) -> Vec<u8> {
        let mut inputs = InputList::default();
        let lower = inputs.push(enc.input(&self.lower));
        let upper = self
            .upper
            .as_ref()
            .map_or(-1, |o| inputs.push(enc.input(o)));
        let bytes = write_op(enc, &inputs, 7, None, |w| {
            // pb.DiffOp
            w.message(1, |w| w.int64(1, lower));
            w.message(2, |w| w.int64(1, upper));
        });
        needs.push(Need::cap(caps::DIFF_OP, "diff op"));
        bytes
    }
}
