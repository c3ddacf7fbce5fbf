//! `frontend.convertllb`: the LLB Definition the build would solve, as JSON.
//!
//! The Definition is produced exactly as for a build (base images resolved, dfopt's
//! rewrites applied, contexts in place, source locations mapped back to the user's Dockerfile), for the
//! first target platform, but not solved. BuildKit's answer is
//! `{"def": {<digest>: <op>}, "metadata": {<digest>: <op metadata>}, "source": <source map>}`
//! where ops and the source map are protojson and the metadata Go's `encoding/json`
//! of `llb.OpMetadata`; maps are ordered by digest. There is no `result.txt`.

use std::collections::BTreeMap;

use dfopt_llb::pb;
use prost::Message;

use super::gojson::{pb_types, Json};
use super::{parse, protojson, reply, Reply, CONVERT_LLB, RESULT_JSON};
use crate::errors::BuildError;
use crate::session::Session;

pub(super) async fn answer(context: &Session<'_>) -> Result<Reply, BuildError> {
    let compilation = parse(context)?;
    let target = context.env.options.platforms.first().cloned();
    let lowered = crate::per_platform::lower_for_platform(context, &compilation, target).await?;
    let json = definition_json(&lowered.definition)?;
    Ok(reply(
        &CONVERT_LLB,
        vec![(RESULT_JSON, json.indented().into_bytes())],
    ))
}

/// The answer for one Definition.
pub fn definition_json(definition: &pb::Definition) -> Result<Json, BuildError> {
    let mut ops = BTreeMap::new();
    for bytes in &definition.def {
        let op = pb::Op::decode(bytes.as_slice())
            .map_err(|error| BuildError::new(format!("failed to decode an LLB op: {error}")))?;
        ops.insert(dfopt_llb::digest(bytes), protojson::op(&op));
    }
    let mut def = Json::object();
    for (digest, op) in ops {
        def = def.field(&digest, op);
    }
    let mut metadata = Json::object();
    for (digest, meta) in &definition.metadata {
        metadata = metadata.field(digest, pb_types::op_metadata(meta));
    }
    let source = definition
        .source
        .as_ref()
        .map_or_else(Json::object, protojson::source);
    Ok(Json::object()
        .field("def", def)
        .field("metadata", metadata)
        .field("source", source))
}
