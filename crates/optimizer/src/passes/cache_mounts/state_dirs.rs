//! State directories: install state rather than a pure cache, read again by
//! later steps (a Go module cache, a Maven repository, a pnpm store). They
//! are mounted on every RUN of the stage family (the stage and the stages
//! built `FROM` it) that uses the tool, or on none — and on none when any of
//! those RUNs cannot get the mount, runs offline (`--network=none`,
//! `--offline`, `GOPROXY=off`, …), when the directory is not the same in
//! every one of them, when a prefetch fills it for a later step that would
//! read it without the mount (see `prefetch`), or when a `COPY --from` or a
//! `RUN --mount=from=` takes files from it.

use std::collections::BTreeSet;

use dfopt_dockerfile::instructions::mount::MountType;
use dfopt_dockerfile::instructions::CommandKind;
use dfopt_dockerfile::stages::lookup::StageNames;

use super::cache_deletions::is_inside;
use super::mount_plans::RunPlan;
use super::prefetch::readers_get_mount;
use super::tool_family::command_named;
use super::{Report, FAMILIES};
use crate::cache_dirs::{dirs_of, CACHE_DIRS};
use crate::facts::{normalize, StageFacts};
use crate::work::Cx;

/// A RUN that needs a state directory.
pub(super) struct Sighting {
    pub stage: usize,
    pub index: usize,
    pub dir: usize,
    /// The RUN was read and planned (it may get the mount); otherwise it
    /// cannot get one.
    pub planned: bool,
}

/// The state directories a RUN needs: known when its command was read.
pub(super) enum Needs {
    Known(BTreeSet<usize>),
    Unknown,
}

/// The state directories RUN `(s, i)` needs; when its command was not read,
/// those of every tool its words name.
pub(super) fn state_needs(cx: &Cx, s: usize, i: usize, needs: Needs) -> BTreeSet<usize> {
    match needs {
        Needs::Known(n) => n,
        Needs::Unknown => crude_tools(cx, s, i)
            .into_iter()
            .flat_map(|t| dirs_of(t).filter(|(_, d)| d.state).map(|(i, _)| i))
            .collect(),
    }
}

/// Which tools a RUN seems to use, from its words alone (any form).
fn crude_tools(cx: &Cx, s: usize, i: usize) -> BTreeSet<crate::cache_dirs::Tool> {
    let mut out = BTreeSet::new();
    let CommandKind::Run(run) = &cx.work.ir.stages[s].commands[i].kind else {
        return out;
    };
    let mut text = run.cmd.args.join(" ");
    for f in &run.cmd.files {
        text.push('\n');
        text.push_str(&f.data);
    }
    for word in text.split(|c: char| c.is_whitespace() || ";&|()`'\"".contains(c)) {
        let base = word.rsplit('/').next().unwrap_or(word);
        if let Some((_, spec, _)) = command_named(base) {
            out.insert(spec.tool);
        }
    }
    out
}

/// Pure caches handled as state because a RUN prefetches into them for a
/// later one (`npm ci --prefer-offline`); the RUNs that mount them are added
/// to `sightings`.
pub(super) fn prefetched_caches(
    plans: &[RunPlan],
    sightings: &mut Vec<Sighting>,
) -> BTreeSet<usize> {
    let mut as_state = BTreeSet::new();
    let specs = FAMILIES.iter().flat_map(|f| f.tools);
    for spec in specs.filter(|t| t.prefetch_makes_state) {
        let tool = spec.tool;
        if !plans
            .iter()
            .any(|p| p.tools.iter().any(|t| t.tool == tool && t.prefetch))
        {
            continue;
        }
        for (d, _) in dirs_of(tool) {
            as_state.insert(d);
            for p in plans {
                if p.tools
                    .iter()
                    .any(|t| t.tool == tool && t.wants.contains(&d))
                {
                    sightings.push(Sighting {
                        stage: p.stage,
                        index: p.index,
                        dir: d,
                        planned: true,
                    });
                }
            }
        }
    }
    as_state
}

/// State directories: all RUNs of a stage family that use the tool get the mount, or none does.
pub(super) fn state_groups(
    cx: &Cx,
    facts: &[StageFacts],
    plans: &mut [RunPlan],
    sightings: &[Sighting],
    as_state: &BTreeSet<usize>,
    reports: &mut Vec<Report>,
) {
    let root = |mut s: usize| {
        while let Some(p) = facts[s].parent {
            s = p;
        }
        s
    };
    for (d, dir) in CACHE_DIRS
        .iter()
        .enumerate()
        .filter(|(d, dir)| dir.state || as_state.contains(d))
    {
        let roots: BTreeSet<usize> = sightings
            .iter()
            .filter(|x| x.dir == d)
            .map(|x| root(x.stage))
            .collect();
        for r in roots {
            let mut why: Option<String> = None;
            let mut targets = BTreeSet::new();
            for m in sightings
                .iter()
                .filter(|x| x.dir == d && root(x.stage) == r)
            {
                let plan = plans
                    .iter()
                    .find(|p| p.stage == m.stage && p.index == m.index)
                    .filter(|_| m.planned);
                match plan.and_then(|p| p.targets.get(&d).map(|t| (p, t))) {
                    Some((p, t)) => {
                        targets.insert(t.clone());
                        let offline = p.tools.iter().any(|t| t.tool == dir.tool && t.offline);
                        if offline || p.network_none {
                            why.get_or_insert_with(|| {
                                format!("a {} RUN of the family works offline", dir.tool.as_str())
                            });
                        }
                    }
                    None => {
                        why.get_or_insert_with(|| {
                            format!(
                                "a {} RUN of the family cannot get the mount",
                                dir.tool.as_str()
                            )
                        });
                    }
                }
            }
            if targets.len() > 1 {
                why.get_or_insert_with(|| {
                    "the directory is not the same in every RUN of the family".into()
                });
            }
            if let Some(target) = targets.iter().next() {
                for m in sightings
                    .iter()
                    .filter(|x| x.dir == d && x.planned && root(x.stage) == r)
                {
                    let prefetch = plans.iter().any(|p| {
                        p.stage == m.stage
                            && p.index == m.index
                            && p.tools.iter().any(|t| t.tool == dir.tool && t.prefetch)
                    });
                    if prefetch && !readers_get_mount(cx, facts, plans, m.stage, m.index, d, target)
                    {
                        why.get_or_insert_with(|| {
                            "a RUN prefetches into it for a later step that may read it without the same mount (the prefetched files must stay in the image)".to_string()
                        });
                    }
                }
                if copied_out(cx, facts, r, target) {
                    why.get_or_insert_with(|| {
                        format!("a COPY --from or mount takes files from `{target}`")
                    });
                }
            }
            let Some(why) = why else { continue };
            let mut first = true;
            for p in plans.iter_mut().filter(|p| root(p.stage) == r) {
                let had = p.targets.remove(&d).is_some();
                for t in &mut p.tools {
                    t.wants.retain(|&x| x != d);
                }
                if had && first {
                    reports.push((
                        p.stage,
                        p.index,
                        format!("No `{}` cache mount added in this stage family", dir.name),
                        format!(
                            "It holds state later steps read, so it must be mounted on every RUN that uses {} or on none, and {why}.",
                            dir.tool.as_str()
                        ),
                    ));
                    first = false;
                }
            }
        }
    }
    for p in plans.iter_mut() {
        p.tools.retain(|t| !t.wants.is_empty());
    }
}

/// Whether a `COPY --from` or `RUN --mount from=` of any stage reads `target` (or a parent) from the family `root`.
fn copied_out(cx: &Cx, facts: &[StageFacts], root: usize, target: &str) -> bool {
    let ir = &cx.work.ir;
    // Stages as BuildKit finds them: `--from` by index or name, a mount's
    // `from=` by name only, the later of duplicate names.
    let names = StageNames::of_stages(ir.stages.iter().map(|s| s.name.as_deref()));
    let in_family = |stage: Option<usize>| -> bool {
        let Some(mut s) = stage.filter(|&i| i < facts.len()) else {
            return false;
        };
        while let Some(p) = facts[s].parent {
            s = p;
        }
        s == root
    };
    // An index no stage has fails the build or names an image; in doubt, it reads.
    let copy_in_family = |from: &str| {
        from.contains('$')
            || names
                .copy_from(from, ir.stages.len())
                .map_or(true, &in_family)
    };
    let mount_in_family = |from: &str| from.contains('$') || in_family(names.mount_from(from));
    let touches = |path: &str| {
        if path.contains('$') || path.contains(['*', '?', '[']) {
            return true;
        }
        let p = normalize(&format!("/{path}"));
        p == target || is_inside(&p, target) || is_inside(target, &p)
    };
    ir.stages.iter().any(|st| {
        st.commands.iter().any(|c| match &c.kind {
            CommandKind::Copy(cp) => {
                cp.from.as_ref().is_some_and(|f| copy_in_family(&f.value))
                    && cp.paths.sources.iter().any(|s| touches(s))
            }
            CommandKind::Run(r) => r.mounts.iter().any(|m| match &m.parsed {
                Some(Ok(mt)) => {
                    mt.kind == MountType::Bind
                        && !mt.from.is_empty()
                        && mount_in_family(&mt.from)
                        && touches(&mt.source)
                }
                _ => m.raw.value.contains("from="),
            }),
            _ => false,
        })
    })
}
