//! `prune-stages`: report stages the target does not need, and ARGs nothing
//! references. Report only: the Dockerfile text is never changed.
//!
//! ## What it does
//!
//! Computes the stages reachable from the target stage (the `--target`, or
//! the last stage) through
//! - the base chain (`FROM <stage>`),
//! - `COPY --from=<stage or index>`,
//! - `RUN --mount=…,from=<stage>`,
//! - `ONBUILD` triggers, parsed as instructions as BuildKit parses them, that
//!   read a stage with `COPY --from` or a mount's `from=` (they run in stages
//!   built from this one, so they count as this stage's dependencies),
//!
//! each name looked up as BuildKit does (`dfopt_dockerfile::stages::lookup`:
//! the later of two stages with one name, a base name compared as written), and
//! reports every other stage. [`reachable_stages`] is public: the lowering
//! skips the unreachable stages (BuildKit does the same, see
//! optimization-safety.md §0).
//!
//! It also reports
//! - global ARGs (before the first FROM) that no `FROM` (image or
//!   `--platform`), no stage `ARG` re-declaring them without a value, and no
//!   other used global ARG's default references;
//! - stage ARGs whose name no later instruction of the stage (or of a stage
//!   built from it) mentions as `$NAME`/`${NAME…}`.
//!
//! ## Example
//!
//! ```dockerfile
//! ARG UNUSED=1
//! FROM alpine AS docs        # reported: the target does not need it
//! FROM alpine
//! ```
//!
//! ## Why report only
//!
//! Removing stages from the text would change what other `--target`s build.
//! Removing ARGs is not meaning-preserving in general: a stage ARG with a value
//! is in the environment of every later RUN, and programs read variables
//! implicitly (`DEBIAN_FRONTEND`, `NODE_ENV`, proxies; optimization-safety.md
//! §1.7). Names known to be read implicitly are not reported.
//!
//! ## Safety conditions
//!
//! Nothing is rewritten. When a `--from`/`from=` value needs variable
//! expansion the pass cannot resolve, every stage counts as reachable.

use std::collections::BTreeSet;

use dfopt_dockerfile::instructions::{Command, CommandKind, Ir};
use dfopt_dockerfile::shell::{Env, Lexer};
use dfopt_dockerfile::stages::builtin_args::{NonEnvArgs, PLATFORM_ARG_NAMES};
use dfopt_dockerfile::stages::lookup::{parse_trigger, StageNames};
use dfopt_dockerfile::stages::reachability;
use dfopt_dockerfile::stages::scope::{global_arg_decls, resolve_meta_args_lenient, Vars};
use dfopt_dockerfile::Span;

use crate::options::Options;
use crate::work::Cx;

pub(crate) const ID: &str = "prune-stages";

/// ARG names programs read implicitly, or that are build options; never reported.
const IMPLICIT_ARGS: [&str; 21] = [
    "DEBIAN_FRONTEND",
    "NODE_ENV",
    "HTTP_PROXY",
    "HTTPS_PROXY",
    "FTP_PROXY",
    "NO_PROXY",
    "ALL_PROXY",
    "http_proxy",
    "https_proxy",
    "ftp_proxy",
    "no_proxy",
    "all_proxy",
    "GOFLAGS",
    "GOPROXY",
    "CGO_ENABLED",
    "PIP_INDEX_URL",
    "PIP_EXTRA_INDEX_URL",
    "NPM_CONFIG_REGISTRY",
    "SOURCE_DATE_EPOCH",
    "BUILDKIT_INLINE_CACHE",
    "LANG",
];

/// Whether an ARG is never reported: read implicitly, a build option (BuildKit's
/// non-env ARGs, `DFOPT`), or a platform arg BuildKit predefines.
fn never_reported(name: &str) -> bool {
    IMPLICIT_ARGS.contains(&name)
        || NonEnvArgs::WithDfopt.contains(name)
        || PLATFORM_ARG_NAMES.contains(&name)
}

/// The stages needed to build `target` (a stage name, case-insensitive, the
/// later of duplicates as BuildKit; `None` or empty: the last stage), by index. An unknown target gives an empty set.
/// Global ARG defaults are used to expand `FROM` names.
pub fn reachable_stages(ir: &Ir, target: Option<&str>) -> BTreeSet<usize> {
    reachable_stages_with(ir, target, &Options::default(), '\\')
}

/// Stage references of every stage: `(base parent, dependencies)`; `None`
/// dependencies mean "could be any stage". Every name is looked up as BuildKit
/// does it ([`StageNames`]): the base among earlier stages by its exact expanded
/// name, `--from` by index or lower-cased name, the later of duplicate names.
fn graph(ir: &Ir, opts: &Options, escape: char) -> Vec<(Option<usize>, Option<BTreeSet<usize>>)> {
    let lexer = Lexer::new(escape);
    // Global ARGs without the predefined platform args (FROM names rarely use
    // them); an expansion error or an unset ARG gives "".
    let mut globals = Vars::default();
    resolve_meta_args_lenient(global_arg_decls(ir), &opts.build_args, &mut globals, &lexer);
    let names = StageNames::of_stages(ir.stages.iter().map(|s| s.name.as_deref()));
    let mut earlier = StageNames::default();
    let mut out = Vec::new();
    for (si, stage) in ir.stages.iter().enumerate() {
        let base = lexer
            .process_word(&stage.base, &globals as &dyn Env)
            .unwrap_or_else(|_| stage.base.clone());
        let parent = earlier.base(&base);
        earlier.register(stage.name.as_deref(), si);
        let mut deps = Some(BTreeSet::new());
        for cmd in &stage.commands {
            let reads = match &cmd.kind {
                // Triggers run in the stages built on this one; counting their reads
                // here can only keep more stages.
                CommandKind::Onbuild(expr) => match parse_trigger(expr) {
                    Ok((trigger, _)) => command_reads(&trigger, &names, ir.stages.len()),
                    Err(_) => None,
                },
                _ => command_reads(cmd, &names, ir.stages.len()),
            };
            match (reads, deps.as_mut()) {
                (Some(reads), Some(d)) => d.extend(reads),
                (None, _) => deps = None,
                _ => {}
            }
        }
        out.push((parent, deps));
    }
    out
}

/// The stages a command reads (`COPY --from`, RUN mount `from=`); `None` when a
/// value needs expansion the pass cannot do. An index no stage has (an image
/// state, or an error BuildKit reports) and an image read no stage.
fn command_reads(cmd: &Command, names: &StageNames, stage_count: usize) -> Option<Vec<usize>> {
    let mut reads = Vec::new();
    match &cmd.kind {
        CommandKind::Copy(copy) => {
            if let Some(from) = copy.from.as_ref().filter(|f| !f.value.is_empty()) {
                if from.value.contains('$') {
                    return None;
                }
                reads.extend(names.copy_from(&from.value, stage_count).ok().flatten());
            }
        }
        CommandKind::Run(run) => {
            for m in &run.mounts {
                let (_, from) = reachability::run_mount_source(&m.raw.value);
                if from.contains('$') {
                    return None;
                }
                if !from.is_empty() {
                    reads.extend(names.mount_from(&from));
                }
            }
        }
        _ => {}
    }
    Some(reads)
}

/// [`reachable_stages`] with build-args (for `FROM` names) and the file's escape character.
pub fn reachable_stages_with(
    ir: &Ir,
    target: Option<&str>,
    opts: &Options,
    escape: char,
) -> BTreeSet<usize> {
    let start = StageNames::of_stages(ir.stages.iter().map(|s| s.name.as_deref()))
        .target(target, ir.stages.len());
    let Some(start) = start else {
        return BTreeSet::new();
    };
    let graph = graph(ir, opts, escape);
    let seen = reachability::reachable(graph.len(), start, |s| {
        let (parent, deps) = &graph[s];
        parent
            .iter()
            .chain(deps.iter().flatten())
            .copied()
            .collect::<Vec<_>>()
    });
    // A reached stage whose reads are unknown could read any stage.
    if (0..graph.len()).any(|s| seen[s] && graph[s].1.is_none()) {
        return (0..ir.stages.len()).collect();
    }
    (0..graph.len()).filter(|&s| seen[s]).collect()
}

/// Whether `text` mentions `$NAME` or `${NAME…}`.
fn references(text: &str, name: &str) -> bool {
    let is_ident = |c: char| c == '_' || c.is_ascii_alphanumeric();
    let mut rest = text;
    while let Some(i) = rest.find('$') {
        let after = &rest[i + 1..];
        let candidate = after.strip_prefix('{').unwrap_or(after);
        if let Some(tail) = candidate.strip_prefix(name) {
            if !tail.starts_with(is_ident) {
                return true;
            }
        }
        rest = after;
    }
    false
}

pub(crate) fn run(cx: &mut Cx) {
    let ir = &cx.work.ir;
    let target = cx.opts.target.as_deref();
    let reachable = reachable_stages_with(ir, target, cx.opts, cx.src.escape);
    let target_name = match target.filter(|t| !t.is_empty()) {
        Some(t) => t.to_string(),
        None => ir
            .stages
            .last()
            .map(|s| s.display_name())
            .unwrap_or_default(),
    };
    let mut reports: Vec<(Vec<Span>, String, String)> = Vec::new();
    if !reachable.is_empty() {
        for (i, stage) in ir.stages.iter().enumerate() {
            if reachable.contains(&i) {
                continue;
            }
            let span = stage
                .commands
                .iter()
                .fold(stage.span, |acc, c| acc.cover(c.span));
            reports.push((
                vec![span],
                format!("Stage `{}` is not needed to build `{target_name}`", stage.display_name()),
                "No FROM, COPY --from, RUN --mount from= or ONBUILD reference leads to it from the target, so BuildKit \
                 does not build it and the lowering skips it; it stays in the file for other targets."
                    .to_string(),
            ));
        }
    }

    // Global ARGs.
    let globals: Vec<(String, Option<String>, Span)> = ir
        .meta_args
        .iter()
        .flat_map(|c| match &c.kind {
            CommandKind::Arg(decls) => decls
                .iter()
                .map(|d| (d.key.clone(), d.value.clone(), c.span))
                .collect(),
            _ => Vec::new(),
        })
        .collect();
    let mut used: BTreeSet<String> = BTreeSet::new();
    for (name, _, _) in &globals {
        let in_from = ir.stages.iter().any(|s| {
            references(&s.base, name)
                || s.platform
                    .as_ref()
                    .is_some_and(|p| references(&p.value, name))
        });
        let redeclared = ir.stages.iter().any(|s| {
            s.commands.iter().any(|c| match &c.kind {
                CommandKind::Arg(decls) => {
                    decls.iter().any(|d| d.key == *name && d.value.is_none())
                }
                _ => false,
            })
        });
        if in_from || redeclared {
            used.insert(name.clone());
        }
    }
    loop {
        let before = used.len();
        for (name, value, _) in &globals {
            if used.contains(name) {
                continue;
            }
            let referenced = globals.iter().any(|(other, v, _)| {
                used.contains(other) && v.as_deref().is_some_and(|v| references(v, name))
            });
            if referenced {
                used.insert(name.clone());
            }
            let _ = value;
        }
        if used.len() == before {
            break;
        }
    }
    for (name, _, span) in &globals {
        if used.contains(name) || never_reported(name) {
            continue;
        }
        reports.push((
            vec![*span],
            format!("Global ARG `{name}` is never used"),
            "Global ARGs are visible only to FROM lines and to stage ARGs that re-declare them without a value; \
             none does."
                .to_string(),
        ));
    }

    // Stage ARGs.
    let children = |s: usize| -> Vec<usize> {
        let mut out = Vec::new();
        let graph = graph(ir, cx.opts, cx.src.escape);
        let mut frontier = vec![s];
        while let Some(p) = frontier.pop() {
            for (c, (parent, _)) in graph.iter().enumerate() {
                if *parent == Some(p) && !out.contains(&c) {
                    out.push(c);
                    frontier.push(c);
                }
            }
        }
        out
    };
    for (si, stage) in ir.stages.iter().enumerate() {
        for (ci, cmd) in stage.commands.iter().enumerate() {
            let CommandKind::Arg(decls) = &cmd.kind else {
                continue;
            };
            for d in decls {
                if never_reported(&d.key) {
                    continue;
                }
                let later = stage.commands[ci + 1..].iter().map(|c| c.original.as_str());
                let child_texts: Vec<&str> = children(si)
                    .into_iter()
                    .flat_map(|c| {
                        ir.stages[c]
                            .commands
                            .iter()
                            .map(|cmd| cmd.original.as_str())
                    })
                    .collect();
                let mut texts = later.chain(child_texts);
                let same_arg = decls.iter().any(|o| {
                    o.key != d.key && o.value.as_deref().is_some_and(|v| references(v, &d.key))
                });
                if same_arg
                    || texts.any(|t| references(t, &d.key))
                    || bodies_mention(stage, ci, &d.key)
                {
                    continue;
                }
                reports.push((
                    vec![cmd.span],
                    format!("ARG `{}` of stage `{}` is never referenced", d.key, stage.display_name()),
                    "No later instruction of the stage (or of a stage built from it) mentions it. It may still be read \
                     implicitly: an ARG with a value is in the environment of every later RUN."
                        .to_string(),
                ));
            }
        }
    }
    for (ranges, title, reason) in reports {
        cx.report(ID, ranges, title, reason);
    }
}

fn bodies_mention(stage: &dfopt_dockerfile::instructions::Stage, after: usize, name: &str) -> bool {
    stage.commands[after + 1..].iter().any(|c| match &c.kind {
        CommandKind::Run(r) => r.cmd.files.iter().any(|f| references(&f.data, name)),
        CommandKind::Copy(cp) => cp.paths.contents.iter().any(|f| references(&f.data, name)),
        CommandKind::Add(a) => a.paths.contents.iter().any(|f| references(&f.data, name)),
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_names() {
        assert!(references("echo $A", "A"));
        assert!(references("echo ${A:-x}", "A"));
        assert!(!references("echo $AB", "A"));
        assert!(!references("echo A", "A"));
    }
}
