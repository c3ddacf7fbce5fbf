//! Export: the build's result becomes the directory of cache archives.
//!
//! One exec of the cache tool per cache, chained: each mounts its cache read-only
//! and adds its archive and index entry to the output of the exec before it, so a
//! size cap applies to the export as a whole and a `locked` cache is held only by
//! its own exec. The image itself is not built (its steps' results are not needed
//! to read the caches; a cache's base ops are, and come along).

use std::collections::BTreeMap;

use dfopt_llb::{pb, Mkfile, State};
use tonic::Code;

use super::graph::{add_tool_exec, paths, GraphBuilder, ToolExec, ToolImage};
use super::index::{human_size, Index, INDEX_FILE};
use super::mounts::{self, sharing_name};
use super::tool::export::ExportSpec;
use super::warn;
use crate::bridge::Bridge;
use crate::caps::{gateway, Caps};
use crate::dockerfile_source::LoadedDockerfile;
use crate::errors::BuildError;
use crate::options::FrontendEnv;

/// Builds the export of the caches of `definitions`; returns the result's ref and
/// its metadata (none: the result is a directory, not an image).
pub async fn export(
    bridge: &Bridge,
    caps: &Caps,
    env: &FrontendEnv,
    loaded: &LoadedDockerfile,
    definitions: &[&pb::Definition],
    max_size: Option<u64>,
) -> Result<(String, BTreeMap<String, Vec<u8>>), BuildError> {
    let failed =
        |message: String| BuildError::new(format!("cannot export the cache mounts: {message}"));
    let uses = mounts::collect(definitions).map_err(failed)?;
    let definition = if uses.is_empty() {
        warn(
            bridge,
            caps,
            loaded,
            "the build mounts no cache; the export holds an empty index",
        )
        .await;
        empty_export(caps).map_err(failed)?
    } else {
        let tool = ToolImage::locate(env, caps).map_err(failed)?;
        let mut graph = GraphBuilder::default();
        let mut out = None;
        for cache in &uses {
            let spec = ExportSpec {
                key: cache.key.clone(),
                target: cache.target.clone(),
                sharing: sharing_name(cache.sharing).to_owned(),
                label: cache.label(),
                max_size,
            };
            let spec = serde_json::to_string(&spec).map_err(|e| failed(e.to_string()))?;
            let result = add_tool_exec(
                &mut graph,
                &tool,
                ToolExec {
                    name: format!("[dfopt cache] export {}", cache.describe()),
                    args: vec!["export".to_owned(), spec],
                    cache,
                    cache_readonly: true,
                    binds: Vec::new(),
                    output: (paths::OUT, out.take()),
                },
                &env.session_id,
                caps,
            )
            .map_err(failed)?;
            out = Some(result);
        }
        let result = out.ok_or_else(|| failed("no cache to export".to_owned()))?;
        graph.finish(result)
    };
    let evaluate = caps.gateway_supports(gateway::SOLVE_EVALUATE);
    let reference = bridge
        .solve_with_cache(definition, &env.options.cache_imports, evaluate)
        .await
        .map_err(|error| failed(error.to_string()).with_code(error.code()))?;
    let summary = bridge
        .read_file(&reference, INDEX_FILE)
        .await
        .map_err(|error| failed(error.to_string()).with_code(error.code()))?
        .ok_or_else(|| {
            failed(format!("the export has no {INDEX_FILE}")).with_code(Code::Internal)
        })?;
    let index = Index::parse(&summary).map_err(failed)?;
    let archived = index.caches.iter().filter(|e| e.skipped.is_none()).count();
    crate::log(format_args!(
        "cache: exported {archived} of {} caches, {}",
        index.caches.len(),
        human_size(index.total_size())
    ));
    for entry in &index.caches {
        if let Some(reason) = &entry.skipped {
            if reason != "empty" {
                warn(
                    bridge,
                    caps,
                    loaded,
                    &format!("{} not exported: {reason}", entry.key.id),
                )
                .await;
            }
        }
    }
    Ok((reference, BTreeMap::new()))
}

/// An export of no cache: just an empty index.
fn empty_export(caps: &Caps) -> Result<pb::Definition, String> {
    State::scratch()
        .file()
        .mkfile(Mkfile::new(
            format!("/{INDEX_FILE}"),
            0o644,
            Index::default().to_json(),
        ))
        .build()
        .and_then(|state| state.marshal(&caps.llb))
        .map_err(|error| error.to_string())
}
