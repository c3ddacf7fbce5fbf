//! Which cache directories a RUN may get, and where they are.
//!
//! A RUN is read only when its command can be read with certainty
//! (shell form, no heredoc, no `# dfopt:keep`, a POSIX shell, not Windows).
//! Its calls are detected by the families (`tool_calls`); then each wanted
//! directory is resolved from the RUN's user and environment
//! (`crate::cache_dirs`) and declined, with a report, when its location is
//! not known, it is a system path or cannot be written in a flag, the RUN
//! already mounts it (or a parent or child), or a deletion of the RUN makes
//! the mount unsafe.
//!
//! **Non-root users.** BuildKit creates a missing mount point and its
//! parents as root-owned directories that stay in the image: under the
//! user's home (`~/.cache`) that would break the user's own writes at run
//! time. So for non-root users the pass mounts
//! only where a call is redirected on its command line (pip/uv
//! `--cache-dir=`, npm `--cache=`), at `/var/cache/dfopt/<dir>`, and declines
//! the other tools (reported); a call redirected only because a cleanup of
//! the tool is dropped counts when that cleanup surely runs after it (the
//! original image then kept nothing of it). A named `USER` is declined:
//! mounts need numeric ids, and the home directory is not known.
//!
//! **Command substitutions.** A RUN whose substitutions run anything but
//! commands that only read (`$(uname -m)`, `$(dpkg --print-architecture)`;
//! `Script::substitutions_only_read`) gets no mount: a deletion or a tool
//! call there (`x=$(rm -rf /var/lib/apt/lists)`) would be invisible to the
//! checks above.

use std::collections::{BTreeMap, BTreeSet};

use dfopt_dockerfile::instructions::mount::MountType;
use dfopt_dockerfile::instructions::{CommandKind, Network};

use super::cache_deletions::{deletions, is_inside, relation_all};
use super::mount_plans::{RunPlan, ToolPlan};
use super::state_dirs::Needs;
use super::tool_calls::detect;
use super::tool_family::spec_of;
use super::{Report, FAMILIES};
use crate::cache_dirs::{resolve, CACHE_DIRS, ID_PREFIX, NONROOT_BASE};
use crate::facts::{normalize, CmdFacts, StageFacts, User};
use crate::shell::Script;
use crate::work::{is_kept, Cx, Printed};

/// Reads RUN `(s, i)`: its plan, if it may get a mount, and the state
/// directories it needs.
pub(super) fn plan_run(
    cx: &Cx,
    sf: &StageFacts,
    s: usize,
    i: usize,
    reports: &mut Vec<Report>,
) -> (Option<RunPlan>, Needs) {
    let cmd = &cx.work.ir.stages[s].commands[i];
    let CommandKind::Run(run) = &cmd.kind else {
        return (None, Needs::Known(BTreeSet::new()));
    };
    if sf.windows || !run.cmd.prepend_shell || !run.cmd.files.is_empty() || is_kept(&cmd.comments) {
        return (None, Needs::Unknown);
    }
    let Some(facts) = sf.before.get(i).cloned() else {
        return (None, Needs::Unknown);
    };
    if !facts.posix_shell() {
        return (None, Needs::Unknown);
    }
    let Some(printed) = cx.printed(s, i) else {
        return (None, Needs::Unknown);
    };
    if printed.instr.has_heredocs || printed.instr.json {
        return (None, Needs::Unknown);
    }
    let script = match Script::parse(printed.args()) {
        Ok(script) => script,
        Err(why) => {
            if looks_like_tool_use(printed.args()) {
                reports.push((
                    s,
                    i,
                    "No cache mount added: the shell command could not be read with certainty"
                        .into(),
                    format!("It uses {}.", why.0),
                ));
            }
            return (None, Needs::Unknown);
        }
    };
    if !script.substitutions_only_read() {
        if looks_like_tool_use(printed.args()) {
            reports.push((
                s,
                i,
                "No cache mount added: a command substitution may write".into(),
                "A command substitution of the RUN runs a command that is not known to only read, so a deletion or a tool call inside it could not be checked.".into(),
            ));
        }
        return (None, Needs::Unknown);
    }
    let tools = detect(&cx.work.ir, &script, &facts);
    let needs: BTreeSet<usize> = tools
        .iter()
        .flat_map(|t| t.wants.iter().copied())
        .filter(|&d| CACHE_DIRS[d].state)
        .collect();
    if !tools.is_empty() && (sf.platform.is_none() || sf.root_image.is_none()) {
        let what = match (&sf.platform, &sf.root_image) {
            (None, None) => "the platform and the base image are",
            (None, _) => "the platform is",
            _ => "the base image is",
        };
        reports.push((
            s,
            i,
            "No cache mount added: the cache id cannot name the platform and base image".into(),
            format!(
                "Cache ids name the platform and base image the build uses, so that builds for \
                 other platforms or bases never share a cache, and {what} not known here (a \
                 build-arg could still change it, or no platform was given): pass `--platform` \
                 and the `--build-arg`s of the build, or build with the frontend, which knows both."
            ),
        ));
        return (None, Needs::Known(needs));
    }
    let plan = plan_tools(s, i, run, printed, script, facts, tools, reports);
    (plan, Needs::Known(needs))
}

#[allow(clippy::too_many_arguments)]
fn plan_tools(
    s: usize,
    i: usize,
    run: &dfopt_dockerfile::instructions::Run,
    printed: Printed,
    script: Script,
    facts: CmdFacts,
    tools: Vec<ToolPlan>,
    reports: &mut Vec<Report>,
) -> Option<RunPlan> {
    if tools.is_empty() {
        return None;
    }
    let names = tools
        .iter()
        .map(|t| t.tool.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let decline = |reports: &mut Vec<_>, why: String| {
        reports.push((s, i, format!("No cache mount added for {names}"), why));
    };
    match &facts.user {
        User::Named(u) => {
            decline(reports, format!("The RUN runs as USER `{u}`, a name: cache mounts need numeric uid/gid, which only the image's /etc/passwd knows. Use a numeric USER to enable caching."));
            return None;
        }
        User::Unknown => {
            decline(
                reports,
                "The USER depends on a value that is not known before the build.".into(),
            );
            return None;
        }
        _ => {}
    }
    for m in &run.mounts {
        if !matches!(m.parsed, Some(Ok(_))) {
            decline(
                reports,
                "A `--mount` of this RUN depends on variables, so its target is not known.".into(),
            );
            return None;
        }
    }
    let deletions = deletions(&script, &facts);
    let mut plan = RunPlan {
        stage: s,
        index: i,
        printed,
        script,
        facts,
        tools,
        targets: BTreeMap::new(),
        deletions,
        network_none: run.network == Network::None,
    };
    let existing: Vec<(String, String)> = run
        .mounts
        .iter()
        .filter_map(|m| match &m.parsed {
            // Secrets and SSH agents without a target go under /run (/run/secrets/<id>, /run/buildkit/ssh_agent.N).
            Some(Ok(mount))
                if mount.target.is_empty()
                    && matches!(mount.kind, MountType::Secret | MountType::Ssh) =>
            {
                None
            }
            Some(Ok(mount)) => Some((mount.target.clone(), mount.id.clone())),
            _ => None,
        })
        .collect();
    let mut tools = std::mem::take(&mut plan.tools);
    if plan.network_none {
        // Without network a system package manager can only use packages already in the image's cache directory.
        tools.retain(|t| {
            let system = spec_of(t.tool).0.system;
            if system {
                reports.push((
                    s,
                    i,
                    format!("No cache mount added for {}", t.tool.as_str()),
                    "The RUN has `--network=none`: it can only install what the image already holds in the cache directory, which a mount would hide.".into(),
                ));
            }
            !system
        });
    }
    for tool in &mut tools {
        let mut kept = Vec::new();
        for &d in &tool.wants {
            let dir = &CACHE_DIRS[d];
            // Mounted by this pass before (an earlier round, or a file it rendered).
            let own = format!("{ID_PREFIX}{}-", dir.name);
            if existing.iter().any(|(_, id)| id.starts_with(&own)) {
                continue;
            }
            if dir.root_only && plan.facts.user != User::Root {
                decline(
                    reports,
                    format!(
                        "{} runs as a non-root user here; it needs root.",
                        tool.tool.as_str()
                    ),
                );
                continue;
            }
            let resolved = match plan.facts.user {
                User::Numeric { .. } => {
                    // Only tools whose calls here are redirected to the mount on the command line.
                    let marker = format!("@{}@", dir.name);
                    let redirected = tool.edits.iter().any(|e| e.edit.text.contains(&marker))
                        || (cleaned_after_calls(&plan.script, tool)
                            && tool.redirects.iter().any(|e| e.edit.text.contains(&marker)));
                    if !redirected {
                        reports.push((
                            s,
                            i,
                            format!("No `{}` cache mount added", dir.name),
                            "The RUN runs as a non-root user: BuildKit would leave the mount point and its missing parents \
                             (such as `~/.cache`) in the image as root-owned directories this user could not write. For \
                             non-root users only calls redirected on their command line get a mount (pip/uv `--no-cache-dir`/`--no-cache`, \
                             npm after `npm cache clean --force`)."
                                .to_string(),
                        ));
                        continue;
                    }
                    Ok(format!("{NONROOT_BASE}/{}", dir.name))
                }
                _ => resolve(dir, &plan.facts),
            };
            let target = match resolved {
                Ok(t) => t,
                Err(why) => {
                    reports.push((
                        s,
                        i,
                        format!("No `{}` cache mount added", dir.name),
                        format!("Its location is not known: {why}."),
                    ));
                    continue;
                }
            };
            if ["/dev", "/proc", "/sys"]
                .iter()
                .any(|p| target == *p || is_inside(&target, p))
            {
                reports.push((
                    s,
                    i,
                    format!("No `{}` cache mount added", dir.name),
                    format!("The directory is `{target}`, a system path (`/dev/null` turns the cache off)."),
                ));
                continue;
            }
            if target.contains([',', '"', '\'', '$', '\\', '`'])
                || target.chars().any(char::is_whitespace)
                || target == "/"
            {
                reports.push((
                    s,
                    i,
                    format!("No `{}` cache mount added", dir.name),
                    format!("The directory `{target}` cannot be written in a mount flag safely."),
                ));
                continue;
            }
            let clash = existing.iter().find(|(t, _)| {
                let t = if t.starts_with('/') {
                    normalize(t)
                } else {
                    String::new()
                };
                t.is_empty() || t == target || is_inside(&t, &target) || is_inside(&target, &t)
            });
            if let Some((t, id)) = clash {
                if !id.starts_with(ID_PREFIX) && *t != target {
                    reports.push((
                        s,
                        i,
                        format!("No `{}` cache mount added", dir.name),
                        format!("The RUN already mounts `{t}`, which overlaps `{target}`."),
                    ));
                }
                continue;
            }
            if let Err(what) = relation_all(&plan.deletions, &target) {
                reports.push((
                    s,
                    i,
                    format!("No `{}` cache mount added", dir.name),
                    format!("The RUN deletes {what}, which with `{target}` mounted would fail (device busy) or empty the cache."),
                ));
                continue;
            }
            plan.targets.insert(d, target);
            kept.push(d);
        }
        tool.wants = kept;
    }
    plan.tools = tools;
    settle(&mut plan);
    plan.tools.retain(|t| !t.wants.is_empty());
    if plan.tools.is_empty() {
        return None;
    }
    Some(plan)
}

/// Whether a cleanup of the tool (`npm cache clean --force`) surely runs
/// after every call that would be redirected to the mount. Only then did
/// the original image keep none of what those calls cached in the user's
/// home, so calls redirected to a mount elsewhere leave the same image.
fn cleaned_after_calls(script: &Script, tool: &ToolPlan) -> bool {
    tool.drops.iter().any(|d| {
        let at = script.toks[script.cmds[d.cmd].first].start;
        script.always_runs(d.cmd) && tool.redirects.iter().all(|r| r.edit.start < at)
    })
}

/// Whether a command the pass cannot read seems to call a tool (then it says
/// why it added nothing).
fn looks_like_tool_use(text: &str) -> bool {
    FAMILIES
        .iter()
        .flat_map(|f| f.hints)
        .any(|t| text.contains(t))
}

/// The families' conditions that need the RUN's deletions; then the targets
/// of the directories no tool wants any more are let go.
fn settle(plan: &mut RunPlan) {
    for settle in FAMILIES.iter().filter_map(|f| f.settle) {
        settle(plan);
    }
    let wanted: BTreeSet<usize> = plan
        .tools
        .iter()
        .flat_map(|t| t.wants.iter().copied())
        .collect();
    plan.targets.retain(|d, _| wanted.contains(d));
}
