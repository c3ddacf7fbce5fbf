//! The optimizer's result as the converter's input: the rewritten IR, each
//! rewritten command located at the user's instructions it stands for.

use std::collections::BTreeMap;

use dfopt_convert::{CommandOrigin, ConvertInput};
use dfopt_dockerfile::Span;
use dfopt_optimizer::Optimized;

/// What the converter lowers when the passes rewrote something. Commands the
/// passes left as written keep their own spans; every other one gets an origin
/// (the user's instructions, in file order, and its progress note).
pub(crate) fn convert_input(original: &ConvertInput, optimized: &Optimized) -> ConvertInput {
    let mut origins = BTreeMap::new();
    for (stage, commands) in optimized.origins.iter().enumerate() {
        for (index, origin) in commands.iter().enumerate() {
            let note = optimized.note(stage, index);
            if origin.text.is_none() && origin.instructions.len() == 1 && note.is_none() {
                continue;
            }
            origins.insert(
                (stage, index),
                CommandOrigin {
                    spans: optimized.command_spans(stage, index),
                    note,
                },
            );
        }
    }
    ConvertInput {
        ir: optimized.ir.clone(),
        escape: original.escape,
        warnings: original.warnings.clone(),
        origins,
    }
}

/// Every user instruction behind the command whose error or warning span is
/// `span` (the first of a rewritten command's spans), else just `span`.
pub(crate) fn spans_of(input: &Option<ConvertInput>, span: Span) -> Vec<Span> {
    input
        .as_ref()
        .and_then(|input| origin_at(input, span))
        .map_or_else(|| vec![span], |origin| origin.spans.clone())
}

/// The origin of the rewritten command whose errors point at `span`.
pub(crate) fn origin_at(input: &ConvertInput, span: Span) -> Option<&CommandOrigin> {
    input
        .origins
        .values()
        .find(|origin| origin.spans.first() == Some(&span))
}
