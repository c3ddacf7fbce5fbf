//! BuildKit's `Outline`: the ARGs, secrets and SSH sockets of the target and of
//! every stage it builds on, which the same walk collects while it dispatches.

use std::collections::BTreeSet;

use dfopt_dockerfile::Span;

use super::args::ArgInfo;
use super::stages::StageRt;
use super::walk::StageDef;

/// An ARG the target uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutlineArg {
    pub name: String,
    pub description: String,
    pub value: String,
    pub spans: Vec<Span>,
}

/// A secret or SSH socket the target uses.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OutlineMount {
    pub name: String,
    pub required: bool,
    pub spans: Vec<Span>,
}

/// What the target stage needs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Outline {
    /// The target stage's name (lowercase), empty for an unnamed stage.
    pub name: String,
    /// The stage's doc comment (`# <name> <description>` above FROM).
    pub description: String,
    pub args: Vec<OutlineArg>,
    pub secrets: Vec<OutlineMount>,
    pub ssh: Vec<OutlineMount>,
}

/// The start of the first span, for ordering by place in the file.
fn place(spans: &[Span]) -> u32 {
    spans.first().map_or(0, |s| s.start)
}

/// The outline of `target`, sorted by place in the file.
pub(super) fn collect(states: &[StageRt], stages: &[StageDef], target: usize) -> Outline {
    let mut args = Vec::new();
    collect_args(
        states,
        target,
        &mut BTreeSet::new(),
        &mut BTreeSet::new(),
        &mut args,
    );
    args.sort_by_key(|a: &ArgInfo| (place(&a.spans), a.position));
    let mut secrets = Vec::new();
    collect_mounts(
        states,
        target,
        &mut BTreeSet::new(),
        &mut BTreeSet::new(),
        &mut secrets,
        |s| &s.secrets,
    );
    let mut ssh = Vec::new();
    collect_mounts(
        states,
        target,
        &mut BTreeSet::new(),
        &mut BTreeSet::new(),
        &mut ssh,
        |s| &s.ssh,
    );
    let stage = &stages[target].stage;
    Outline {
        name: stage.name.clone().unwrap_or_default(),
        description: stage.doc_comment.clone(),
        args: args
            .into_iter()
            .map(|a| OutlineArg {
                name: a.name,
                description: a.description,
                value: a.value,
                spans: a.spans,
            })
            .collect(),
        secrets,
        ssh,
    }
}

fn collect_args(
    states: &[StageRt],
    i: usize,
    visited: &mut BTreeSet<String>,
    stages_seen: &mut BTreeSet<usize>,
    out: &mut Vec<ArgInfo>,
) {
    if !stages_seen.insert(i) {
        return;
    }
    let rt = &states[i];
    // BuildKit's markAllUsed: an ARG used also uses the ARGs its default read.
    let mut used = BTreeSet::new();
    let mut todo: Vec<String> = rt.used_args.iter().cloned().collect();
    while let Some(name) = todo.pop() {
        if !used.insert(name.clone()) {
            continue;
        }
        if let Some(info) = rt.all_args.get(&name) {
            todo.extend(info.deps.iter().cloned());
        }
    }
    for name in &used {
        if let Some(info) = rt.all_args.get(name) {
            if visited.insert(name.clone()) {
                out.push(info.clone());
            }
        }
    }
    if let Some(base) = rt.base_stage {
        collect_args(states, base, visited, stages_seen, out);
    }
    for &(dep, _) in &rt.deps {
        collect_args(states, dep, visited, stages_seen, out);
    }
}

fn collect_mounts(
    states: &[StageRt],
    i: usize,
    visited: &mut BTreeSet<String>,
    stages_seen: &mut BTreeSet<usize>,
    out: &mut Vec<OutlineMount>,
    pick: fn(&StageRt) -> &Vec<OutlineMount>,
) {
    if !stages_seen.insert(i) {
        return;
    }
    let rt = &states[i];
    for mount in pick(rt) {
        if visited.insert(mount.name.clone()) {
            out.push(mount.clone());
        }
    }
    if let Some(base) = rt.base_stage {
        collect_mounts(states, base, visited, stages_seen, out, pick);
    }
    for &(dep, _) in &rt.deps {
        collect_mounts(states, dep, visited, stages_seen, out, pick);
    }
    out.sort_by_key(|m| place(&m.spans));
}
