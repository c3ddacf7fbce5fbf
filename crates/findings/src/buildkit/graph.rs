//! Which states read which: BuildKit's `toCommand`/`detectRunMount` (the sources of
//! `COPY --from` and `RUN --mount from=`), `validateCircularDependency` and
//! `allReachableStages`.

use dfopt_dockerfile::go_quote;
use dfopt_dockerfile::instructions::commands::CommandKind;
use dfopt_dockerfile::shell::{EmptyEnv, Lexer};
use dfopt_dockerfile::stages::reachability;
use dfopt_dockerfile::Span;

use super::stages::{stage_names, StageRt};
use super::walk::{invalid, Cmd, StageDef};
use super::LintError;

/// Adds the sources of every stage's commands to `states` (extra states for sources
/// that are not stages).
pub(super) fn dependencies(
    stages: &[StageDef],
    states: &mut Vec<StageRt>,
    lexer: &Lexer,
) -> Result<(), LintError> {
    for (i, def) in stages.iter().enumerate() {
        for cmd in &def.commands {
            add_sources(states, i, cmd, lexer)?;
        }
    }
    Ok(())
}

/// The sources `cmd` (in state `reader`) reads, added as dependencies of `reader`.
/// Returns whether it has any. Its errors have no place, as BuildKit's `toCommand`
/// gives them none (an ONBUILD trigger's caller places them at its stage).
pub(super) fn add_sources(
    states: &mut Vec<StageRt>,
    reader: usize,
    cmd: &Cmd,
    lexer: &Lexer,
) -> Result<bool, LintError> {
    let mut found = false;
    match &cmd.command.kind {
        CommandKind::Copy(copy) => {
            let Some(from) = &copy.from else {
                return Ok(false);
            };
            let expanded = lexer
                .process_word(&from.value, &EmptyEnv)
                .map_err(|e| invalid(e.message, Vec::new()))?;
            if expanded != from.value {
                return Err(invalid(
                    "variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround",
                    Vec::new(),
                ));
            }
            let source = match stage_names(states)
                .copy_from(&from.value, states.len())
                .map_err(|message| invalid(message, Vec::new()))?
            {
                Some(stage) => stage,
                None => {
                    states.push(StageRt::extra(&from.value, Some(cmd.span)));
                    states.len() - 1
                }
            };
            states[reader].add_dep(source, cmd.span);
            found = true;
        }
        CommandKind::Run(run) => {
            for mount in &run.mounts {
                let Some(Ok(parsed)) = &mount.parsed else {
                    continue;
                };
                // Mounts without `from` read `scratch`, which has nothing to check.
                if parsed.from.is_empty() {
                    continue;
                }
                let source = match stage_names(states).mount_from(&parsed.from) {
                    Some(stage) => stage,
                    None => {
                        states.push(StageRt::extra(&parsed.from, None));
                        states.len() - 1
                    }
                };
                states[reader].add_dep(source, cmd.span);
                found = true;
            }
        }
        _ => {}
    }
    Ok(found)
}

/// BuildKit's `validateCircularDependency`: the first state (in order) from which a
/// cycle of `--from` reads is reachable fails, located at the instructions on the
/// cycle. (BuildKit walks the reads in Go's random map order; here in the order they
/// were first read.)
pub(super) fn check_cycles(states: &[StageRt]) -> Result<(), LintError> {
    let reads = |i: usize| -> Vec<(usize, Option<Span>)> {
        states[i]
            .deps
            .iter()
            .map(|&(dep, span)| (dep, Some(span)))
            .collect()
    };
    let Some((i, path)) = reachability::first_cycle(states.len(), reads) else {
        return Ok(());
    };
    let state = &states[i];
    let name = state.name.clone().unwrap_or_else(|| {
        if state.extra {
            String::new()
        } else {
            format!("stage-{i}")
        }
    });
    Err(invalid(
        format!("circular dependency detected on stage: {name}"),
        path,
    ))
}

/// BuildKit's `allReachableStages`: the target, the states it builds on and reads
/// from, transitively.
pub(super) fn reachable(states: &[StageRt], target: usize) -> Vec<bool> {
    reachability::reachable(states.len(), target, |i| {
        let state = &states[i];
        state
            .base_stage
            .into_iter()
            .chain(state.deps.iter().map(|&(dep, _)| dep))
    })
}

/// BuildKit's refusal to copy from a stage that is not built yet.
pub(super) fn check_copy_source(
    states: &[StageRt],
    reader: usize,
    cmd: &Cmd,
) -> Result<(), String> {
    let CommandKind::Copy(copy) = &cmd.command.kind else {
        return Ok(());
    };
    let Some(from) = &copy.from else {
        return Ok(());
    };
    // An index out of range is no source here (the graph reported it).
    let source = stage_names(states)
        .copy_from(&from.value, states.len())
        .ok()
        .flatten();
    if source.is_some_and(|s| s < states.len() && !states[s].extra && !states[s].dispatched) {
        return Err(format!(
            "cannot copy from stage {}, it needs to be defined before current stage {}",
            go_quote(&from.value),
            go_quote(&stage_name(states, reader))
        ));
    }
    Ok(())
}

/// BuildKit's `stageName`: the `AS` name, or `stage-N`.
fn stage_name(states: &[StageRt], i: usize) -> String {
    states[i]
        .name
        .clone()
        .unwrap_or_else(|| format!("stage-{i}"))
}
