//! Rewrites a planned RUN: applies the edits whose directories are all
//! mounted, drops the cleanups the mounts make useless (whole commands, or
//! single `rm` arguments), adds the mount flags, checks that the new text
//! reads back as intended, and records one change per tool.

use std::collections::{BTreeMap, BTreeSet};

use dfopt_dockerfile::instructions::mount::Sharing;
use dfopt_dockerfile::instructions::CommandKind;

use super::cache_deletions::{relation, Relation};
use super::emptied_caches::cleanup_sure;
use super::mount_flag::mount_flag;
use super::mount_plans::{cmd_text, Gated, RunPlan};
use super::{Report, ID};
use crate::cache_dirs::{Tool, CACHE_DIRS};
use crate::change::{Change, ChangeKind};
use crate::facts::{StageFacts, User};
use crate::shell::{apply_edits, Edit};
use crate::work::{parse_alone, Cx};

/// Rewrites the RUN of `plan`, or reports why it was left alone.
pub(super) fn apply(cx: &mut Cx, facts: &[StageFacts], plan: RunPlan, reports: &mut Vec<Report>) {
    let kept: BTreeSet<usize> = plan.targets.keys().copied().collect();
    if kept.is_empty() {
        return;
    }
    let script = &plan.script;
    let mut edits: Vec<Edit> = Vec::new();
    let mut drop_cmds: BTreeSet<usize> = BTreeSet::new();
    let mut dropped_text: BTreeMap<Tool, Vec<String>> = BTreeMap::new();
    let sf = &facts[plan.stage];
    let mut redirected: BTreeSet<Tool> = BTreeSet::new();
    let mut kept_cleanups: BTreeMap<Tool, Vec<String>> = BTreeMap::new();
    for t in &plan.tools {
        let fill = |g: &Gated| {
            let mut e = g.edit.clone();
            for (d, target) in &plan.targets {
                e.text = e
                    .text
                    .replace(&format!("@{}@", CACHE_DIRS[*d].name), target);
            }
            e
        };
        for g in &t.edits {
            if g.requires.iter().all(|d| kept.contains(d)) {
                edits.push(fill(g));
            }
        }
        // A tool-level cleanup empties the tool's real cache directory. Dropping it is
        // safe when that is the mount for sure: a fixed path, a path from a known image
        // config, or calls redirected to the mount on their command line.
        let location_sure = cleanup_sure(t.tool, sf);
        let mut any_drop = false;
        for d in &t.drops {
            if !d.requires.iter().all(|x| kept.contains(x)) {
                continue;
            }
            if !location_sure {
                kept_cleanups
                    .entry(t.tool)
                    .or_default()
                    .push(cmd_text(script, d.cmd));
                continue;
            }
            any_drop = true;
            if drop_cmds.insert(d.cmd) {
                dropped_text
                    .entry(t.tool)
                    .or_default()
                    .push(cmd_text(script, d.cmd));
            }
        }
        if any_drop {
            for g in &t.redirects {
                if g.requires.iter().all(|d| kept.contains(d)) {
                    edits.push(fill(g));
                    redirected.insert(t.tool);
                }
            }
        }
    }
    // Deletions inside mounted directories.
    let mut rm_drops: BTreeMap<usize, Vec<(usize, Tool)>> = BTreeMap::new();
    for del in &plan.deletions {
        for (d, target) in &plan.targets {
            if let Relation::Inside = relation(del, target) {
                rm_drops
                    .entry(del.cmd)
                    .or_default()
                    .push((del.tok, CACHE_DIRS[*d].tool));
                break;
            }
        }
    }
    for (cmd, toks) in &rm_drops {
        let paths = plan.deletions.iter().filter(|d| d.cmd == *cmd).count();
        if toks.len() == paths {
            drop_cmds.insert(*cmd);
            dropped_text
                .entry(toks[0].1)
                .or_default()
                .push(cmd_text(script, *cmd));
        } else {
            for &(t, tool) in toks {
                edits.push(script.remove_word(t));
                dropped_text.entry(tool).or_default().push(format!(
                    "`{}` from {}",
                    script.word(t),
                    cmd_text(script, *cmd)
                ));
            }
        }
    }
    let drop_list: Vec<usize> = drop_cmds.iter().copied().collect();
    edits.extend(script.removal_edits(&drop_list));
    // Edits inside dropped commands are moot.
    let dropped_ranges: Vec<(usize, usize)> = drop_list
        .iter()
        .map(|&c| {
            (
                script.toks[script.cmds[c].first].start,
                script.toks[script.cmds[c].last - 1].end,
            )
        })
        .collect();
    edits.retain(|e| {
        e.text.is_empty()
            || e.text == "true"
            || !dropped_ranges
                .iter()
                .any(|&(a, b)| e.start >= a && e.end <= b)
    });
    let args = plan.printed.args();
    let Some(new_args) = apply_edits(args, &edits) else {
        reports.push((
            plan.stage,
            plan.index,
            "No cache mount added".into(),
            "The edits needed overlap; the RUN was left alone.".into(),
        ));
        return;
    };
    let flags: Vec<String> = plan
        .targets
        .iter()
        .map(|(&d, t)| mount_flag(d, t, sf, &plan.facts.user))
        .collect();

    // Rewrite the printed instruction, keeping its layout.
    let printed = &plan.printed;
    let mut text_edits: Vec<Edit> = Vec::new();
    for e in &edits {
        let (a, b) = printed.text_range(e.start, e.end);
        text_edits.push(Edit {
            start: a,
            end: b,
            text: e.text.clone(),
        });
    }
    let insert_at = printed
        .instr
        .flags_start
        .unwrap_or(printed.instr.args_start);
    let escape = cx.src.escape;
    let mut flag_text = String::new();
    for f in &flags {
        flag_text.push_str(f);
        flag_text.push(' ');
        flag_text.push(escape);
        flag_text.push_str(cx.src.newline);
        flag_text.push_str("    ");
    }
    text_edits.push(Edit::insert(insert_at, flag_text));
    let s = plan.stage;
    let CommandKind::Run(old_run) = &cx.work.ir.stages[s].commands[plan.index].kind else {
        return;
    };
    let mut want_mounts: Vec<String> = old_run.mounts.iter().map(|m| m.raw.value.clone()).collect();
    want_mounts.extend(
        flags
            .iter()
            .map(|f| f.trim_start_matches("--mount=").to_string()),
    );
    want_mounts.sort();
    let accept = |text: &str| -> Option<dfopt_dockerfile::instructions::Command> {
        let (_, cmd) = parse_alone(text, escape, s)?;
        let CommandKind::Run(run) = &cmd.kind else {
            return None;
        };
        let mut mounts: Vec<String> = run.mounts.iter().map(|m| m.raw.value.clone()).collect();
        mounts.sort();
        let ok = run.cmd.args.len() == 1
            && run.cmd.args[0] == new_args
            && mounts == want_mounts
            && run.network == old_run.network
            && run.security == old_run.security
            && run.devices == old_run.devices;
        ok.then_some(cmd)
    };
    let pretty = apply_edits(&printed.text, &text_edits);
    let (text, cmd) = match pretty
        .as_deref()
        .and_then(|t| accept(t).map(|c| (t.to_string(), c)))
    {
        Some(found) => found,
        None => {
            let logical = &printed.logical.text;
            let head = &logical[..printed.instr.args_range.0];
            let (keyword, rest) = head.split_once(char::is_whitespace).unwrap_or((head, ""));
            let flat = format!(
                "{keyword} {} {}{new_args}",
                flags.join(" "),
                rest.trim_start()
            );
            match accept(&flat) {
                Some(cmd) => (flat, cmd),
                None => {
                    reports.push((
                        plan.stage,
                        plan.index,
                        "No cache mount added".into(),
                        "The rewritten RUN did not read back as intended; it was left alone."
                            .into(),
                    ));
                    return;
                }
            }
        }
    };
    let target_cmd = &mut cx.work.ir.stages[s].commands[plan.index];
    target_cmd.kind = cmd.kind;
    target_cmd.original = cmd.original;
    cx.work.stages[s][plan.index].text = Some(text);
    let ranges = cx.ranges(s, plan.index);
    for t in &plan.tools {
        let dirs: Vec<&str> = t
            .wants
            .iter()
            .filter_map(|d| plan.targets.get(d))
            .map(String::as_str)
            .collect();
        if dirs.is_empty() {
            continue;
        }
        let mut reason = format!(
            "BuildKit keeps the cache between builds and never puts it in the image{}; the id names the platform and base image so unrelated builds never share it.",
            if t.wants.iter().any(|&d| CACHE_DIRS[d].sharing == Sharing::Locked) { " (`sharing=locked`: the tool locks its files)" } else { "" }
        );
        for w in &t.why {
            reason.push(' ');
            reason.push_str(w);
        }
        if let Some(dropped) = dropped_text.get(&t.tool) {
            reason.push_str(&format!(" Dropped {} (it would only empty the mounted cache, and the directory is no longer in the image).", dropped.join(", ")));
        }
        if redirected.contains(&t.tool) {
            reason.push_str(" The tool's calls in this RUN are pointed at the mount on their command line, so what the dropped cleanup removed can only be in the mount.");
        }
        if let Some(kept) = kept_cleanups.get(&t.tool) {
            reason.push_str(&format!(
                " Kept {}: the cache location was assumed, not known, so it may not be the mount.",
                kept.join(", ")
            ));
        }
        if let User::Numeric { uid, .. } = plan.facts.user {
            reason.push_str(&format!(
                " The mount is owned by uid {uid}, the RUN's user."
            ));
        }
        if sf.assumed {
            reason.push_str(" The base image config was not provided: its user (unless a USER sets it) was assumed to be root and its environment that of the official image (a wrong guess leaves the mount unused).");
        }
        let change = Change {
            pass: ID,
            kind: ChangeKind::Rewrite,
            ranges: ranges.clone(),
            title: format!(
                "Added {} cache mount{} ({})",
                t.tool.as_str(),
                if dirs.len() > 1 { "s" } else { "" },
                dirs.iter()
                    .map(|d| format!("`{d}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
            reason,
            note: format!("{} cache", t.tool.as_str()),
        };
        cx.record(change, &[(s, plan.index)]);
    }
}
