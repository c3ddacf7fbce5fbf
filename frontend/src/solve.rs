//! Solving the lowered graphs: every platform at once, and a failure located at
//! the Dockerfile lines of the step that failed.

use dfopt_llb::{pb, Platform};
use tokio::task::JoinSet;

use crate::bridge::{Bridge, BridgeError};
use crate::errors::{BuildError, LineRange, SourceFile};
use crate::lowering::Lowered;
use crate::options::FrontendEnv;

/// Solves every platform's Definition at once (BuildKit builds platforms in
/// parallel); the ref ids come back in the order of `builds`. When several fail, the
/// first platform's error is reported.
pub(crate) async fn solve_all(
    bridge: &Bridge,
    env: &FrontendEnv,
    builds: &[(Platform, Lowered)],
    evaluate: bool,
    source: &SourceFile,
) -> Result<Vec<String>, BuildError> {
    let mut tasks = JoinSet::new();
    for (index, (_, lowered)) in builds.iter().enumerate() {
        let bridge = bridge.clone();
        let definition = lowered.definition.clone();
        let cache_imports = env.options.cache_imports.clone();
        tasks.spawn(async move {
            (
                index,
                bridge
                    .solve_with_cache(definition, &cache_imports, evaluate)
                    .await,
            )
        });
    }
    let mut results: Vec<Option<Result<String, BridgeError>>> = vec![None; builds.len()];
    while let Some(joined) = tasks.join_next().await {
        let (index, result) =
            joined.map_err(|error| BuildError::new(format!("solve task failed: {error}")))?;
        if let Some(slot) = results.get_mut(index) {
            *slot = Some(result);
        }
    }
    let mut references = Vec::with_capacity(builds.len());
    for ((_, lowered), result) in builds.iter().zip(results) {
        match result {
            Some(Ok(reference)) => references.push(reference),
            Some(Err(error)) => return Err(solve_error(&error, &lowered.definition, source)),
            None => return Err(BuildError::new("a platform's solve did not finish")),
        }
    }
    Ok(references)
}

/// A failed solve, located at the Dockerfile lines of the failing step when the
/// daemon named the vertex and the Definition's source map knows it.
fn solve_error(
    error: &BridgeError,
    definition: &pb::Definition,
    source: &SourceFile,
) -> BuildError {
    let BridgeError::Status {
        message,
        vertex: Some(digest),
        ..
    } = error
    else {
        return BuildError::new(error.to_string()).with_code(error.code());
    };
    let ranges: Vec<LineRange> = step_location(definition, digest)
        .map(|location| {
            location
                .ranges
                .iter()
                .filter_map(|r| {
                    let start = u32::try_from(r.start.as_ref()?.line).ok()?;
                    let end = r
                        .end
                        .as_ref()
                        .and_then(|e| u32::try_from(e.line).ok())
                        .unwrap_or(start);
                    Some(LineRange::new(start, end))
                })
                .collect()
        })
        .unwrap_or_default();
    let message = if ranges.len() > 1 {
        let lines: Vec<String> = ranges.iter().map(|r| r.start.to_string()).collect();
        format!(
            "{message} (dfopt merged the RUN instructions at lines {} into this step; build with --build-arg DFOPT=-merge-runs to run them separately)",
            lines.join(", ")
        )
    } else {
        message.clone()
    };
    BuildError::new(message)
        .with_code(error.code())
        .at(source, ranges)
}

/// The source location of the vertex `digest`, or, for a vertex that has none
/// (the HTTP or git source of an `ADD <url>`, whose download or checksum can
/// fail), that of the first op in the Definition that reads it: the
/// instruction that asked for the source.
fn step_location<'a>(definition: &'a pb::Definition, digest: &str) -> Option<&'a pb::Location> {
    let locations = &definition.source.as_ref()?.locations;
    if let Some(found) = locations.get(digest).and_then(|l| l.locations.first()) {
        return Some(found);
    }
    definition.def.iter().find_map(|bytes| {
        let op = <pb::Op as prost::Message>::decode(bytes.as_slice()).ok()?;
        if !op.inputs.iter().any(|input| input.digest == digest) {
            return None;
        }
        locations.get(&dfopt_llb::digest(bytes))?.locations.first()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A failing `ADD <url>` source has no location of its own: the error is
    /// placed at the instruction whose op reads it.
    #[test]
    fn step_location_falls_back_to_the_reader() {
        use prost::Message;
        let encode = |op: pb::Op| op.encode_to_vec();
        let source = encode(pb::Op {
            op: Some(pb::op::Op::Source(pb::SourceOp {
                identifier: "https://example.com/x.txt".into(),
                ..Default::default()
            })),
            ..Default::default()
        });
        let source_digest = dfopt_llb::digest(&source);
        let reader = encode(pb::Op {
            inputs: vec![pb::Input {
                digest: source_digest.clone(),
                index: 0,
            }],
            ..Default::default()
        });
        let at_line = |line: i32| pb::Locations {
            locations: vec![pb::Location {
                source_index: 0,
                ranges: vec![pb::Range {
                    start: Some(pb::Position { line, character: 0 }),
                    end: Some(pb::Position { line, character: 0 }),
                }],
            }],
        };
        let definition = pb::Definition {
            def: vec![source, reader.clone()],
            source: Some(pb::Source {
                locations: [(dfopt_llb::digest(&reader), at_line(3))]
                    .into_iter()
                    .collect(),
                ..Default::default()
            }),
            ..Default::default()
        };
        let found = step_location(&definition, &source_digest).expect("the reader's location");
        assert_eq!(found.ranges[0].start.as_ref().map(|p| p.line), Some(3));
        assert!(step_location(&definition, "sha256:unknown").is_none());
    }
}
