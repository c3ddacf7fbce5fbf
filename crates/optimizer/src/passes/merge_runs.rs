//! `merge-runs`: merge consecutive shell-form RUNs of a stage into one RUN.
//!
//! ## What it does
//!
//! A run of two or more adjacent `RUN` instructions of one stage, with
//! identical flags, becomes one `RUN` whose parts each run in their own
//! subshell, chained so that the first failing part ends the command with
//! that part's exit status:
//!
//! ```dockerfile
//! RUN cd /tmp && curl -fsSLO https://example.com/x.tgz   # fetch
//! LABEL stage=fetch
//! RUN tar -C /opt -xzf /tmp/x.tgz
//! ```
//! becomes
//! ```dockerfile
//! RUN ( cd /tmp && curl -fsSLO https://example.com/x.tgz ); ( exit $? ) || exit $?; \
//!     ( tar -C /opt -xzf /tmp/x.tgz )
//! LABEL stage=fetch
//! ```
//!
//! ## Why
//!
//! Every RUN is a layer; images with many layers pull slower and hit the
//! overlay depth limit (~127 layers), and files removed by a later RUN still
//! take space in the earlier layer. One RUN means one layer.
//!
//! ## The join, and why it is not `( a ) && ( b )`
//!
//! Each RUN is a fresh `/bin/sh -c` (or the stage's `SHELL`): no shell state
//! (cwd from `cd`, `export`ed or plain variables, `set` options, `umask`,
//! traps, functions, `exit`) crosses from one RUN to the next, and a non-zero
//! exit fails the build. The merged command keeps all of that:
//!
//! - **`( part )`** — each part runs in a subshell, so `cd`, `export`,
//!   `set -e`, `umask`, `trap` and `exit` stay inside it; `exit 0` in a part
//!   ends only that part, as it ended only its RUN.
//! - **`; ( exit $? ) || exit $?;`** — after a part, the parent stops with the
//!   part's exit status if it failed. `&&` would be shorter but wrong: POSIX
//!   shells ignore `set -e` inside *any* command of an AND-OR list except the
//!   last, including a whole subshell, so `RUN set -e; false; echo ok` joined
//!   as `( set -e; false; echo ok ) && ( … )` would no longer fail. Here the
//!   subshell is a plain command of a `;` list, so `set -e` inside it (or a
//!   `-e` in the stage's `SHELL`, which every subshell inherits as before)
//!   behaves exactly as in the separate RUN. `;` alone is not enough either:
//!   without `set -e` the parent would go on after a failing part. No
//!   variable is used, so nothing leaks into the next part.
//! - **Comments.** Continuation lines are joined before the shell sees the
//!   command, so a trailing `# note` in a part would swallow everything after
//!   it. The pass cuts each part at the end of its last token, which drops a
//!   trailing comment exactly as the shell would have ignored it.
//! - The last part's status is the merged command's status, as the last RUN's
//!   status was the build's.
//!
//! Comment lines above the later RUNs are kept, as comment lines inside the
//! merged instruction (BuildKit skips them); blank lines between are not.
//!
//! ## Safety conditions — the pass does not fire when
//!
//! - a RUN is in exec form (`RUN ["…"]`): no shell, maybe no `/bin/sh` at all;
//! - a RUN has a heredoc (`RUN <<EOF`): its body is a script without `set -e`
//!   semantics of its own, and several heredocs are reassembled by BuildKit;
//! - the stage's shell is not a POSIX shell (`sh`, `bash`, `dash`, `ash` with a
//!   final `-c`-style flag), or the image is Windows;
//! - flags differ: the `--mount` set (compared as written, order-insensitive),
//!   `--network`, `--security`, `--device` must be identical — a union of
//!   mounts would hide paths or expose secrets to the other part;
//! - anything but comments, blank lines and pure metadata sits between them:
//!   `ENV`, `ARG`, `WORKDIR`, `USER`, `SHELL`, `COPY`, `ADD`, `VOLUME`, `FROM`
//!   end the run. `LABEL`, `EXPOSE`, `CMD`, `ENTRYPOINT`, `HEALTHCHECK`,
//!   `STOPSIGNAL`, `MAINTAINER` and `ONBUILD` between merged RUNs emit no
//!   filesystem change and are moved, in order, after the merged RUN (only
//!   the order of history entries changes);
//! - a part starts background work: a `&` operator (also bash's `&>`, which
//!   dash reads as `&`), or a known daemon launcher (`nohup`, `setsid`,
//!   `service`, `systemctl`, `start-stop-daemon`, `/etc/init.d/…`, `pg_ctl`,
//!   `mysqld_safe`, `supervisord`, `dockerd`, `wait`, `disown`, Gradle without
//!   `--no-daemon`, …): a daemon killed when its RUN ended would keep running
//!   during the next part;
//! - the shell reader cannot vouch for a part's token boundaries: unbalanced
//!   quotes or parentheses, a trailing backslash, here-documents, `case`,
//!   functions, `[[`, `((`, a comment inside `$(…)`, or a part ending in an
//!   operator other than `;`, or an empty part;
//! - a RUN (or an instruction between) has a `# dfopt:keep` comment above it;
//! - ONBUILD triggers are never merged (they are not RUN instructions here).
//!
//! ## Applicability
//!
//! Stable, on by default. The image filesystem and config are the same; layer
//! boundaries and history entries differ, and editing one part re-runs the
//! whole merged RUN (coarser cache granularity).

use dfopt_dockerfile::instructions::{Command, CommandKind, Run};

use crate::change::{Change, ChangeKind};
use crate::facts::StageFacts;
use crate::shell::{literal, Script, TokKind};
use crate::work::{is_kept, parse_alone, Cx, Origin, Printed};

pub(crate) const ID: &str = "merge-runs";

/// Commands that start processes outliving themselves.
const DAEMON_LAUNCHERS: [&str; 24] = [
    "nohup",
    "setsid",
    "disown",
    "wait",
    "service",
    "systemctl",
    "start-stop-daemon",
    "daemon",
    "daemonize",
    "rc-service",
    "openrc",
    "supervisord",
    "dockerd",
    "containerd",
    "pg_ctl",
    "pg_ctlcluster",
    "mysqld_safe",
    "mysqld",
    "mongod",
    "redis-server",
    "dbus-daemon",
    "sshd",
    "memcached",
    "Xvfb",
];

/// Why a RUN cannot take part in a merge (internal, for tests and debugging).
type Refusal = &'static str;

/// A RUN ready to be merged.
struct Part {
    index: usize,
    printed: Printed,
    /// The part's command, cut after its last token (logical text).
    logical: String,
    /// The same range in `printed.text`.
    text_range: (usize, usize),
}

pub(crate) fn run(cx: &mut Cx) {
    let facts = cx.facts();
    for (s, sf) in facts.iter().enumerate() {
        if sf.windows {
            continue;
        }
        let groups = find_groups(cx, sf, s);
        for group in groups.into_iter().rev() {
            merge(cx, s, group);
        }
    }
}

struct Group {
    parts: Vec<Part>,
    /// Metadata instructions between the parts, moved after the merged RUN.
    moved: Vec<usize>,
}

fn find_groups(cx: &Cx, facts: &StageFacts, s: usize) -> Vec<Group> {
    let commands = &cx.work.ir.stages[s].commands;
    let mut groups = Vec::new();
    let mut i = 0;
    while i < commands.len() {
        let Ok(first) = part(cx, facts, s, i) else {
            i += 1;
            continue;
        };
        let mut parts = vec![first];
        let mut moved = Vec::new();
        let mut pending = Vec::new();
        let mut j = i + 1;
        while j < commands.len() {
            let cmd = &commands[j];
            if matches!(cmd.kind, CommandKind::Run(_)) {
                match part(cx, facts, s, j) {
                    Ok(p) if same_flags(run_of(&commands[parts[0].index]), run_of(cmd)) => {
                        moved.append(&mut pending);
                        parts.push(p);
                        j += 1;
                        continue;
                    }
                    _ => break,
                }
            }
            if is_metadata(cmd) && !is_kept(&cmd.comments) {
                pending.push(j);
                j += 1;
                continue;
            }
            break;
        }
        let last = parts.last().map_or(i, |p| p.index);
        if parts.len() >= 2 {
            groups.push(Group { parts, moved });
        }
        i = last + 1;
    }
    groups
}

fn run_of(cmd: &Command) -> Option<&Run> {
    match &cmd.kind {
        CommandKind::Run(r) => Some(r),
        _ => None,
    }
}

fn is_metadata(cmd: &Command) -> bool {
    matches!(
        cmd.kind,
        CommandKind::Label(_)
            | CommandKind::Expose(_)
            | CommandKind::Cmd(_)
            | CommandKind::Entrypoint(_)
            | CommandKind::Healthcheck(_)
            | CommandKind::StopSignal(_)
            | CommandKind::Maintainer(_)
            | CommandKind::Onbuild(_)
    )
}

fn same_flags(a: Option<&Run>, b: Option<&Run>) -> bool {
    let (Some(a), Some(b)) = (a, b) else {
        return false;
    };
    fn mounts(r: &Run) -> Vec<&str> {
        let mut m: Vec<&str> = r.mounts.iter().map(|m| m.raw.value.as_str()).collect();
        m.sort_unstable();
        m
    }
    mounts(a) == mounts(b)
        && a.network == b.network
        && a.security == b.security
        && a.devices == b.devices
}

fn part(cx: &Cx, facts: &StageFacts, s: usize, i: usize) -> Result<Part, Refusal> {
    let cmd = &cx.work.ir.stages[s].commands[i];
    let CommandKind::Run(run) = &cmd.kind else {
        return Err("not a RUN");
    };
    if !run.cmd.prepend_shell {
        return Err("exec form");
    }
    if !run.cmd.files.is_empty() {
        return Err("heredoc");
    }
    if is_kept(&cmd.comments) {
        return Err("dfopt:keep");
    }
    if !facts.before.get(i).is_some_and(|f| f.posix_shell()) {
        return Err("not a POSIX shell");
    }
    let printed = cx.printed(s, i).ok_or("cannot re-read the instruction")?;
    if printed.instr.has_heredocs || printed.instr.json {
        return Err("heredoc or exec form");
    }
    let args = printed.args();
    let script = Script::parse(args).map_err(|u| u.0)?;
    if script.has_background() {
        return Err("background job");
    }
    for c in &script.cmds {
        if starts_daemon(&script, c) {
            return Err("daemon");
        }
    }
    let last = script.last_significant().ok_or("empty command")?;
    if last.kind == TokKind::Op && !matches!(last.text(args), ";" | ")") {
        return Err("ends with an operator");
    }
    let logical = args[..last.end].to_string();
    let text_range = printed.text_range(0, last.end);
    Ok(Part {
        index: i,
        printed,
        logical,
        text_range,
    })
}

fn starts_daemon(script: &Script, c: &crate::shell::SimpleCmd) -> bool {
    let Some(name) = script.name(c).and_then(literal) else {
        return false;
    };
    if name.starts_with("/etc/init.d/") {
        return true;
    }
    let base = name.rsplit('/').next().unwrap_or(&name);
    if DAEMON_LAUNCHERS.contains(&base) {
        return true;
    }
    if matches!(base, "gradle" | "gradlew") {
        let args = script.args(c);
        return !args.iter().any(|a| a.as_deref() == Some("--no-daemon"));
    }
    false
}

const SEPARATOR: &str = "; ( exit $? ) || exit $?; ";
const INDENT: &str = "    ";

fn merge(cx: &mut Cx, s: usize, group: Group) {
    let escape = cx.src.escape;
    let first = &group.parts[0];
    let head_end = first.printed.instr.args_start;
    let head = &first.printed.text[..head_end];
    // Expected logical arguments of the merged RUN.
    let wrapped: Vec<String> = group
        .parts
        .iter()
        .map(|p| format!("( {} )", p.logical))
        .collect();
    let expected = wrapped.join(&format!("{SEPARATOR}{INDENT}"));

    let mut text = head.to_string();
    for (k, part) in group.parts.iter().enumerate() {
        if k > 0 {
            text.push_str(SEPARATOR);
            text.push(escape);
            text.push_str(cx.src.newline);
            let origin = &cx.work.stages[s][part.index];
            for line in cx.comment_lines(origin.instructions[0]) {
                text.push_str(&line);
                text.push_str(cx.src.newline);
            }
            text.push_str(INDENT);
        }
        text.push_str("( ");
        text.push_str(&part.printed.text[part.text_range.0..part.text_range.1]);
        text.push_str(" )");
    }
    let first_run = run_of(&cx.work.ir.stages[s].commands[first.index]).cloned();
    let accept = |text: &str, expected: &str| -> Option<Command> {
        let (_, cmd) = parse_alone(text, escape, s)?;
        let run = run_of(&cmd)?;
        let same = run.cmd.args.len() == 1
            && run.cmd.args[0] == expected
            && same_flags(Some(run), first_run.as_ref());
        same.then_some(cmd)
    };
    let (text, cmd) = match accept(&text, &expected) {
        Some(cmd) => (text, cmd),
        None => {
            // Fall back to one logical line.
            let flat_expected = wrapped.join(SEPARATOR);
            let head = &first.printed.logical.text[..first.printed.instr.args_range.0];
            let flat = format!("{head}{flat_expected}");
            match accept(&flat, &flat_expected) {
                Some(cmd) => (flat, cmd),
                None => return,
            }
        }
    };

    let indices: Vec<usize> = group.parts.iter().map(|p| p.index).collect();
    let ranges: Vec<_> = indices.iter().flat_map(|&i| cx.ranges(s, i)).collect();
    let span = ranges
        .iter()
        .copied()
        .reduce(|a, b| a.cover(b))
        .unwrap_or_default();
    let stage = &cx.work.ir.stages[s];
    let merged = Command {
        kind: cmd.kind,
        original: cmd.original,
        comments: stage.commands[indices[0]].comments.clone(),
        span,
    };
    let mut origin = Origin {
        instructions: Vec::new(),
        text: Some(text),
        changes: Vec::new(),
    };
    for &i in &indices {
        let o = &cx.work.stages[s][i];
        origin.instructions.extend(&o.instructions);
        for c in &o.changes {
            if !origin.changes.contains(c) {
                origin.changes.push(*c);
            }
        }
    }
    let first_index = indices[0];
    let last_index = *indices.last().unwrap_or(&first_index);
    let moved_cmds: Vec<Command> = group
        .moved
        .iter()
        .map(|&i| cx.work.ir.stages[s].commands[i].clone())
        .collect();
    let moved_origins: Vec<Origin> = group
        .moved
        .iter()
        .map(|&i| cx.work.stages[s][i].clone())
        .collect();
    let moved_names: Vec<&'static str> = moved_cmds.iter().map(Command::keyword).collect();

    let commands = &mut cx.work.ir.stages[s].commands;
    let mut replacement = vec![merged];
    replacement.extend(moved_cmds);
    commands.splice(first_index..=last_index, replacement);
    let origins = &mut cx.work.stages[s];
    let mut replacement = vec![origin];
    replacement.extend(moved_origins);
    origins.splice(first_index..=last_index, replacement);

    let n = indices.len();
    let mut reason = "Each part runs in its own subshell, so `cd`, variables, `set` options, traps and `exit` stay inside it, and \
         the merged command stops with a part's exit status as soon as that part fails, as the separate RUNs did; flags are identical \
         and nothing between them changes the environment, user, shell or filesystem."
        .to_string();
    if !moved_names.is_empty() {
        reason.push_str(&format!(
            " {} moved after the merged RUN (metadata only: the image config is unchanged).",
            moved_names.join(", ")
        ));
    }
    let change = Change {
        pass: ID,
        kind: ChangeKind::Rewrite,
        ranges,
        title: format!("Merged {n} consecutive RUN instructions into one"),
        reason,
        note: format!("{n} RUNs merged"),
    };
    cx.record(change, &[(s, first_index)]);
}
