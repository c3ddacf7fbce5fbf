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
//! ## Never a slower rebuild
//!
//! Merging trades cache granularity for layers: editing one part of a merged
//! RUN re-runs all of it. So independent expensive steps stay separate cache
//! units (`merge_cost` says what a part costs):
//!
//! ```dockerfile
//! RUN apt-get update && apt-get install -y build-essential
//! RUN apt-get update && apt-get install -y libpq-dev
//! ```
//! is left alone: adding a package to the second RUN re-runs only it, as
//! with the builtin frontend. A part joins the parts before it when it is
//! cheap (`mkdir`, `useradd`, `ln`, …), when it only refreshes a package
//! index for the install after it (`apt-get update`), when none of the parts
//! before it is an expensive step, or when it deletes or rewrites files
//! (`rm`, a package manager's `clean`/`purge`, `chmod`, `mv`): then the
//! merge keeps what it removes out of every layer, so the image is smaller.
//! A command the pass does not know counts as expensive. Nor does a merge
//! cost a cache mount: a part that deletes a cache directory or a parent of
//! one (`rm -rf /root/.cache`) is not merged with a part that runs a package
//! manager or build tool, since `cache-mounts` mounts nothing where the RUN
//! deletes the directory.
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
//!   Launchers are looked through: `sudo -u pg pg_ctl start`, `env X=1 cmd`,
//!   `gosu`, `su app -c '…'`, `sh -c '…'` (the quoted script is read; one
//!   that cannot be read counts as a daemon), and a daemon named inside a
//!   quoted script or a command substitution (`eval "$(ssh-agent -s)"`,
//!   `x=$(gradle properties)`: the commands of substitutions are read like
//!   the others) counts too; so do `ssh-agent`, `gpg-agent`, `gpgconf --launch`,
//!   `dbus-launch`, `Xvfb`/`Xorg`;
//! - an earlier part may replace the stage's shell: it names the shell's
//!   binary, `/bin/sh`, `/usr/bin/sh` or `/etc/shells` (`ln -sf /bin/bash
//!   /bin/sh`, `cp … /bin/sh`), or runs `update-alternatives`,
//!   `dpkg-divert`, `dpkg-reconfigure` or `chsh` (also inside a command
//!   substitution): the next RUN ran under the
//!   new shell, a merged part would run under the old one (such a part may
//!   still be the last part of a merge);
//! - the stage may be Windows: its base is a Windows image by name, the file
//!   uses the backtick escape with a base that may be Windows, or the stage
//!   has a `powershell`/`pwsh`/`cmd` SHELL (see `facts::windows_base`);
//! - the shell reader cannot vouch for a part's token boundaries: unbalanced
//!   quotes or parentheses, a trailing backslash, here-documents, functions,
//!   bash's `;&`/`;;&`, `case` inside `$(…)`, `((` around anything but a
//!   plain arithmetic expression, a comment inside `$(…)`, a substitution
//!   body it cannot read (a backslash inside backquotes), or a part ending
//!   in an operator other than `;`, or an empty part;
//! - a RUN (or an instruction between) has a `# dfopt:keep` comment above it;
//! - ONBUILD triggers are never merged (they are not RUN instructions here).
//!
//! ## Applicability
//!
//! Stable, on by default. The image filesystem and config are the same; layer
//! boundaries and history entries differ, and editing one part re-runs the
//! whole merged RUN — which is why expensive independent steps are not
//! merged (see "Never a slower rebuild").

use dfopt_dockerfile::instructions::{Command, CommandKind, Run};

use crate::change::{Change, ChangeKind};
use crate::facts::StageFacts;
use crate::passes::merge_cost::{self, Weight};
use crate::shell::{literal, Script, TokKind};
use crate::work::{is_kept, parse_alone, Cx, Origin, Printed};

pub(crate) const ID: &str = "merge-runs";

/// Commands that start processes outliving themselves.
const DAEMON_LAUNCHERS: [&str; 30] = [
    "ssh-agent",
    "gpg-agent",
    "dbus-launch",
    "Xorg",
    "x11vnc",
    "xvfb-run",
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
    /// The part may replace the stage's shell: nothing may be merged after it.
    replaces_shell: bool,
    /// What re-running it costs (see `merge_cost`).
    weight: Weight,
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
            if parts.last().is_some_and(|p| p.replaces_shell) {
                break;
            }
            let cmd = &commands[j];
            if matches!(cmd.kind, CommandKind::Run(_)) {
                match part(cx, facts, s, j) {
                    Ok(p)
                        if same_flags(run_of(&commands[parts[0].index]), run_of(cmd))
                            && joins(&parts, &p) =>
                    {
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

/// The cache-aware rule: a part joins the parts before it unless both it and
/// one of them are expensive, independent steps — then each stays its own
/// cache unit, so that editing one re-runs only that one. A part that
/// deletes or rewrites files joins anyway (the merge makes the image
/// smaller), and a package index refresh goes with the install after it.
fn joins(parts: &[Part], next: &Part) -> bool {
    // Merging must not cost a cache mount: a part that deletes a cache
    // directory (or a parent) stops `cache-mounts` for the whole RUN.
    let n = next.weight;
    if (n.deletes_cache_dir && parts.iter().any(|p| p.weight.cache_tool))
        || (n.cache_tool && parts.iter().any(|p| p.weight.deletes_cache_dir))
    {
        return false;
    }
    if next.weight.shrinks || !next.weight.expensive {
        return true;
    }
    !parts.iter().any(|p| p.weight.heavy())
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
    // Commands in substitutions count too (`x=$(gradle properties)`).
    for sc in script.with_substitutions() {
        if sc.cmds.iter().any(|c| starts_daemon(sc, c, 0)) {
            return Err("daemon");
        }
    }
    if script_mentions_daemon(&script) {
        return Err("daemon in a quoted script or substitution");
    }
    let last = script.last_significant().ok_or("empty command")?;
    if last.kind == TokKind::Op && !matches!(last.text(args), ";" | ")") {
        return Err("ends with an operator");
    }
    let logical = args[..last.end].to_string();
    let weight = {
        let mut w = merge_cost::weigh(&script);
        // A RUN merged before (an earlier round, or a file dfopt wrote)
        // already keeps what its parts delete out of every layer: its
        // deletions are no reason to merge it with the group the cost
        // rule kept apart from it (this also keeps rewriting idempotent).
        w.shrinks &= !logical.contains(SEPARATOR.trim());
        w
    };
    let text_range = printed.text_range(0, last.end);
    let shell = facts.before.get(i).and_then(|f| f.shell.as_deref());
    let replaces_shell = may_replace_shell(&script, shell);
    Ok(Part {
        index: i,
        printed,
        logical,
        text_range,
        replaces_shell,
        weight,
    })
}

fn starts_daemon(script: &Script, c: &crate::shell::SimpleCmd, depth: usize) -> bool {
    let Some(name) = script.name(c).and_then(literal) else {
        return false;
    };
    let args = script.args(c);
    launches_daemon(&name, &args, depth)
}

/// Whether the command `name args…` starts a process that outlives it,
/// looking through launchers (`sudo`, `su -c`, `env`, `sh -c`, …).
fn launches_daemon(name: &str, args: &[Option<String>], depth: usize) -> bool {
    if depth > 4 {
        return true;
    }
    if name.starts_with("/etc/init.d/") {
        return true;
    }
    let base = name.rsplit('/').next().unwrap_or(name);
    if DAEMON_LAUNCHERS.contains(&base) {
        return true;
    }
    match base {
        "gradle" | "gradlew" => !args.iter().any(|a| a.as_deref() == Some("--no-daemon")),
        "gpgconf" => args.iter().any(|a| a.as_deref() == Some("--launch")),
        // `su [user] -c 'script'`, `sh -c 'script'`: read the script.
        "su" | "runuser" | "sh" | "bash" | "dash" | "ash" | "busybox" => {
            let mut k = 0;
            while k < args.len() {
                match args[k].as_deref() {
                    None => return true,
                    Some("-c" | "--command") | Some("-lc" | "-ec" | "-xc" | "-exc") => {
                        return match args.get(k + 1) {
                            Some(Some(inner)) => script_starts_daemon(inner, depth + 1),
                            _ => true,
                        };
                    }
                    Some(a) if a.starts_with("--command=") => {
                        return script_starts_daemon(&a["--command=".len()..], depth + 1);
                    }
                    Some(_) => k += 1,
                }
            }
            // `busybox crond`, `su - user` reading commands from stdin …
            base == "busybox"
                && args
                    .first()
                    .and_then(|a| a.as_deref())
                    .is_some_and(|a| launches_daemon(a, &args[1..], depth + 1))
        }
        // `sudo [-u u] cmd …`, `env [-i] [K=V] cmd …`, `gosu user cmd`, …: the command after the options.
        "sudo" | "doas" | "env" | "gosu" | "su-exec" | "setpriv" | "nice" | "ionice"
        | "timeout" | "exec" | "command" | "chroot" | "stdbuf" | "time" => {
            let with_value: &[&str] = match base {
                "sudo" => &["-u", "-g", "-C", "-D", "-h", "-p", "-r", "-t", "-U", "-R"],
                "doas" => &["-u", "-C"],
                "env" => &["-u", "-C", "-S", "--unset", "--chdir"],
                "nice" => &["-n"],
                "ionice" => &["-c", "-n"],
                "timeout" => &["-s", "-k", "--signal", "--kill-after"],
                "stdbuf" => &["-i", "-o", "-e"],
                _ => &[],
            };
            // Positional words that precede the command.
            let skip_positional = match base {
                "gosu" | "su-exec" | "chroot" | "timeout" => 1,
                _ => 0,
            };
            let mut skipped = 0;
            let mut k = 0;
            while k < args.len() {
                let Some(a) = args[k].as_deref() else {
                    return true;
                };
                if with_value.contains(&a) {
                    k += 2;
                    continue;
                }
                if a.starts_with('-') || (base == "env" && a.contains('=')) {
                    k += 1;
                    continue;
                }
                if skipped < skip_positional {
                    skipped += 1;
                    k += 1;
                    continue;
                }
                return launches_daemon(a, &args[k + 1..], depth + 1);
            }
            false
        }
        _ => false,
    }
}

/// Whether a script given as a string (`sh -c '…'`) may start a daemon; a
/// script that cannot be read counts as one.
fn script_starts_daemon(text: &str, depth: usize) -> bool {
    let Ok(script) = Script::parse(text) else {
        return true;
    };
    script.has_background()
        || script_mentions_daemon(&script)
        || script
            .with_substitutions()
            .iter()
            .any(|sc| sc.cmds.iter().any(|c| starts_daemon(sc, c, depth)))
}

/// A daemon named inside a word that holds a script: a quoted string with a
/// space (`eval "$(ssh-agent -s)"`, `su app -c "pg_ctl start"`) or a command
/// substitution. Plain words (`apt-get install redis-server`) are package
/// names, not commands.
fn script_mentions_daemon(script: &Script) -> bool {
    script.toks.iter().any(|t| {
        if t.kind != TokKind::Word {
            return false;
        }
        let w = t.text(&script.text);
        let holds_script = w.contains(' ') || w.contains("$(") || w.contains('`');
        holds_script
            && w.split(|c: char| !(c.is_ascii_alphanumeric() || "_.-/".contains(c)))
                .any(|part| {
                    let base = part.rsplit('/').next().unwrap_or(part);
                    DAEMON_LAUNCHERS.contains(&base) || part.starts_with("/etc/init.d/")
                })
    })
}

/// Whether a part may replace the stage's shell: it names the shell binary
/// (`ln -sf /bin/bash /bin/sh`, `cp … /bin/sh`, `> /usr/bin/sh`), `/bin/sh`
/// itself, `/etc/shells`, or runs a tool that switches it
/// (`update-alternatives`, `dpkg-divert`, `dpkg-reconfigure dash`, `chsh`).
/// The next part of a merged RUN would then run under the old shell, while
/// its own RUN ran under the new one.
fn may_replace_shell(script: &Script, shell: Option<&[String]>) -> bool {
    let mut binaries: Vec<String> =
        vec!["/bin/sh".into(), "/usr/bin/sh".into(), "/etc/shells".into()];
    if let Some(first) = shell.and_then(|s| s.first()) {
        let base = first.rsplit('/').next().unwrap_or(first);
        binaries.push(format!("/bin/{base}"));
        binaries.push(format!("/usr/bin/{base}"));
        binaries.push(first.clone());
    }
    for (sc, c) in script
        .with_substitutions()
        .into_iter()
        .flat_map(|sc| sc.cmds.iter().map(move |c| (sc, c)))
    {
        if let Some(name) = sc.base_name(c) {
            if matches!(
                name.as_str(),
                "update-alternatives"
                    | "dpkg-divert"
                    | "dpkg-reconfigure"
                    | "chsh"
                    | "alternatives"
            ) {
                return true;
            }
        }
    }
    script.toks.iter().any(|t| {
        t.kind == TokKind::Word && {
            let w = t.text(&script.text);
            match literal(w) {
                Some(l) => {
                    let l = l.trim_end_matches('/');
                    binaries.iter().any(|b| l == b)
                }
                // A dynamic word that could name the shell.
                None => binaries.iter().any(|b| w.contains(b.as_str())),
            }
        }
    })
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
