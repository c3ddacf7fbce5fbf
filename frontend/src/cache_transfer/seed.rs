//! Seeding: fill the build's empty cache mounts from the `dfopt-cache` context
//! before the build's own graph is solved.
//!
//! The context is loaded like any named context (a `local:` directory from
//! `--build-context`, but an image or a URL work too), its `index.json` is read,
//! and each cache of the build that the index has gets one exec of the cache tool
//! with that cache mounted and the cache's directory of the seed beside it
//! ([`super::graph`]). The execs are separate Definitions, solved (and evaluated)
//! concurrently, before and apart from the build's Definition, which is sent
//! exactly as it would be without a seed.
//!
//! Nothing here fails the build: whatever goes wrong is a warning, and the build
//! goes on with the caches as they were.

use std::collections::BTreeMap;

use dfopt_llb::pb;
use tokio::task::JoinSet;

use super::graph::{add_tool_exec, paths, Bind, GraphBuilder, ToolExec, ToolImage};
use super::index::{Index, INDEX_FILE};
use super::mounts::{self, CacheUse};
use super::tool::seed::{Report, SeedSpec, Status};
use super::{warn, SEED_CONTEXT};
use crate::bridge::Bridge;
use crate::caps::{gateway, Caps};
use crate::contexts::BuildContexts;
use crate::dockerfile_source::LoadedDockerfile;
use crate::options::FrontendEnv;

/// Seeds the caches of `definitions` (the build's, one per platform) from the
/// seed context. Problems become warnings; the build goes on.
pub async fn seed(
    bridge: &Bridge,
    caps: &Caps,
    env: &FrontendEnv,
    loaded: &LoadedDockerfile,
    contexts: &BuildContexts,
    definitions: &[&pb::Definition],
) {
    match seed_caches(bridge, caps, env, contexts, definitions).await {
        Ok(notes) => {
            for note in notes {
                match note {
                    Note::Log(line) => crate::log(format_args!("cache: {line}")),
                    Note::Warn(line) => warn(bridge, caps, loaded, &line).await,
                }
            }
        }
        Err(message) => {
            warn(
                bridge,
                caps,
                loaded,
                &format!("{message}; building without the seed"),
            )
            .await;
        }
    }
}

/// What to tell the user: a log line, or a warning.
enum Note {
    Log(String),
    Warn(String),
}

async fn seed_caches(
    bridge: &Bridge,
    caps: &Caps,
    env: &FrontendEnv,
    contexts: &BuildContexts,
    definitions: &[&pb::Definition],
) -> Result<Vec<Note>, String> {
    let uses = mounts::collect(definitions)?;
    let mut notes = Vec::new();
    if uses.is_empty() {
        notes.push(Note::Log(
            "the build mounts no cache; nothing to seed".into(),
        ));
        return Ok(notes);
    }
    let platform = &env.build_platform;
    let spec = contexts
        .named
        .find(SEED_CONTEXT, platform)
        .ok_or_else(|| format!("no `{SEED_CONTEXT}` context"))?;
    let seed = contexts
        .named
        .load(bridge, &spec, platform)
        .await
        .map_err(|error| error.message().to_owned())?;
    if seed.definition.def.is_empty() {
        notes.push(Note::Log("the seed is empty; nothing to seed".into()));
        return Ok(notes);
    }
    let evaluate = caps.gateway_supports(gateway::SOLVE_EVALUATE);
    let imports = &env.options.cache_imports;
    let seed_ref = bridge
        .solve_with_cache(seed.definition.clone(), imports, false)
        .await
        .map_err(|error| format!("cannot load the seed: {error}"))?;
    let data = bridge
        .read_file(&seed_ref, INDEX_FILE)
        .await
        .map_err(|error| format!("cannot read the seed's {INDEX_FILE}: {error}"))?;
    let Some(data) = data else {
        // The first run of a CI cache: an empty directory.
        notes.push(Note::Log(format!(
            "the seed has no {INDEX_FILE} (an empty directory: nothing exported yet); nothing to seed"
        )));
        return Ok(notes);
    };
    let index = Index::parse(&data)
        .map_err(|error| format!("the seed's {INDEX_FILE} is corrupt and was ignored: {error}"))?;
    let tool = ToolImage::locate(env, caps)?;

    let mut tasks = JoinSet::new();
    for (order, cache) in uses.iter().enumerate() {
        let describe = cache.describe();
        let Some(entry) = index.find(&cache.key) else {
            notes.push(Note::Log(format!("{describe}: not in the seed")));
            continue;
        };
        if cache.reset_by_no_cache {
            notes.push(Note::Warn(format!(
                "{describe} not seeded: a step that mounts it runs without the build cache (--no-cache), and BuildKit empties its cache mounts"
            )));
            continue;
        }
        let definition = seed_definition(cache, entry, &seed.definition, &tool, env, caps)?;
        let bridge = bridge.clone();
        let imports = imports.clone();
        tasks.spawn(async move {
            let outcome = run_seed(&bridge, definition, &imports, evaluate).await;
            (order, describe, outcome)
        });
    }
    let mut outcomes = BTreeMap::new();
    while let Some(joined) = tasks.join_next().await {
        let (order, describe, outcome) =
            joined.map_err(|error| format!("a seed task failed: {error}"))?;
        outcomes.insert(order, (describe, outcome));
    }
    for (describe, outcome) in outcomes.into_values() {
        notes.push(match outcome {
            Ok(report) => match report.status {
                Status::Seeded | Status::Kept => {
                    Note::Log(format!("{describe}: {}", report.message))
                }
                Status::Corrupt | Status::Failed => {
                    Note::Warn(format!("{describe}: {}", report.message))
                }
            },
            Err(message) => Note::Warn(format!("{describe} not seeded: {message}")),
        });
    }
    Ok(notes)
}

/// The seed graph of one cache: the tool exec with the cache and the seed's
/// directory for it mounted; its result is the report.
fn seed_definition(
    cache: &CacheUse,
    entry: &super::index::Entry,
    seed: &pb::Definition,
    tool: &ToolImage,
    env: &FrontendEnv,
    caps: &Caps,
) -> Result<pb::Definition, String> {
    let spec = SeedSpec {
        entry: entry.clone(),
        label: cache.label(),
    };
    let spec = serde_json::to_string(&spec).map_err(|error| error.to_string())?;
    let mut graph = GraphBuilder::default();
    let seed_input = graph.add_definition(seed)?;
    let result = add_tool_exec(
        &mut graph,
        tool,
        ToolExec {
            name: format!("[dfopt cache] seed {}", cache.describe()),
            args: vec!["seed".to_owned(), spec],
            cache,
            cache_readonly: false,
            binds: vec![Bind {
                dest: paths::SEED,
                input: seed_input,
                selector: format!("/{}", entry.dir),
            }],
            output: (paths::REPORT, None),
        },
        &env.session_id,
        caps,
    )?;
    Ok(graph.finish(result))
}

async fn run_seed(
    bridge: &Bridge,
    definition: pb::Definition,
    imports: &[crate::options::CacheImport],
    evaluate: bool,
) -> Result<Report, String> {
    let reference = bridge
        .solve_with_cache(definition, imports, evaluate)
        .await
        .map_err(|error| error.to_string())?;
    let data = bridge
        .read_file(&reference, paths::REPORT_FILE)
        .await
        .map_err(|error| error.to_string())?
        .ok_or("the cache tool wrote no report")?;
    serde_json::from_slice(&data).map_err(|error| format!("unreadable report: {error}"))
}
