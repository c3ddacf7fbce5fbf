//! The moves: the full COPY goes below the RUN (with what was between kept
//! before the RUN), and for a dependency install the manifest COPYs take
//! its place.

use std::collections::BTreeMap;

use dfopt_dockerfile::instructions::{Command, CommandKind, Copy};

use crate::change::{Change, ChangeKind};
use crate::work::{parse_alone, Cx, Origin};

use super::context::parent;
use super::pair::Pair;
use super::scan::Install;
use super::ID;

/// Copies the manifests before the install and the full COPY after it.
pub(super) fn split(
    cx: &mut Cx,
    s: usize,
    pair: &Pair,
    install: &Install,
    files: &[String],
) -> bool {
    if files.is_empty() {
        return false;
    }
    let Some(copies) = manifest_copies(cx, s, pair, files) else {
        return false;
    };
    let count = copies.len();
    let ranges: Vec<_> = [pair.copy, pair.run]
        .iter()
        .flat_map(|&i| cx.ranges(s, i))
        .collect();
    let instruction = cx.work.stages[s][pair.copy].instructions[0];
    let copy_span = cx.work.ir.stages[s].commands[pair.copy].span;
    let inserted: Vec<(Command, Origin)> = copies
        .into_iter()
        .map(|(text, cmd)| {
            let command = Command {
                kind: cmd.kind,
                original: cmd.original,
                comments: Vec::new(),
                span: copy_span,
            };
            let origin = Origin {
                instructions: vec![instruction],
                text: Some(text),
                changes: Vec::new(),
            };
            (command, origin)
        })
        .collect();
    let copy_text = cx.text_of(s, pair.copy);
    let run_text = install.texts.join("`, `");
    let names: Vec<&str> = files.iter().map(String::as_str).collect();
    let new_run = reorder(cx, s, pair, inserted);
    let change = Change {
        pass: ID,
        kind: ChangeKind::Rewrite,
        ranges,
        title: format!(
            "Copied {} before `{}` so `{}` is cached across source edits",
            names.join(", "),
            first_line(&copy_text),
            run_text
        ),
        reason: "The install reads only these manifests (checked in the build context: no local paths, no install scripts, \
                 nothing in the context where it writes), so it sees the same files as before; the full COPY after it \
                 writes the same files again, and nothing between changes the RUN's user, environment or working directory."
            .to_string(),
        note: "deps first".to_string(),
    };
    let mut targets: Vec<(usize, usize)> = (pair.copy..pair.copy + count).map(|i| (s, i)).collect();
    targets.push((s, new_run));
    cx.record(change, &targets);
    true
}

/// Moves the full COPY below a RUN that cannot read its destination.
pub(super) fn move_above(cx: &mut Cx, s: usize, pair: &Pair) -> bool {
    let ranges: Vec<_> = [pair.copy, pair.run]
        .iter()
        .flat_map(|&i| cx.ranges(s, i))
        .collect();
    let copy_text = cx.text_of(s, pair.copy);
    let new_run = reorder(cx, s, pair, Vec::new());
    let change = Change {
        pass: ID,
        kind: ChangeKind::Rewrite,
        ranges,
        title: format!(
            "Moved a system package install above `{}` so it is cached across source edits",
            first_line(&copy_text)
        ),
        reason: "Every command of the RUN is a system package install, refresh or cleanup with literal package names: \
                 it reads nothing the COPY writes, and its user, environment and working directory are unchanged."
            .to_string(),
        note: "deps first".to_string(),
    };
    cx.record(change, &[(s, new_run)]);
    true
}

/// `[copy, between…, run]` becomes `[inserted…, between…, run, copy]`, in
/// the commands and their origins alike; returns the RUN's new index.
fn reorder(cx: &mut Cx, s: usize, pair: &Pair, inserted: Vec<(Command, Origin)>) -> usize {
    let commands = &mut cx.work.ir.stages[s].commands;
    let origins = &mut cx.work.stages[s];
    let full_copy = commands.remove(pair.copy);
    let full_origin = origins.remove(pair.copy);
    // The RUN is now at `pair.run - 1`; the COPY goes right after it.
    commands.insert(pair.run, full_copy);
    origins.insert(pair.run, full_origin);
    let count = inserted.len();
    for (k, (command, origin)) in inserted.into_iter().enumerate() {
        commands.insert(pair.copy + k, command);
        origins.insert(pair.copy + k, origin);
    }
    pair.run - 1 + count
}

/// One COPY per context directory the manifests are in, each with the
/// original's flags, checked by parsing it back.
fn manifest_copies(
    cx: &Cx,
    s: usize,
    pair: &Pair,
    files: &[String],
) -> Option<Vec<(String, Command)>> {
    let printed = cx.printed(s, pair.copy)?;
    let head = &printed.text[..printed.instr.args_start];
    let keyword_len = head.find(|c: char| c.is_whitespace()).unwrap_or(head.len());
    let head = format!("COPY{}", &head[keyword_len..]);
    let original = &cx.work.ir.stages[s].commands[pair.copy];
    let (chown, chmod, link) = match &original.kind {
        CommandKind::Copy(c) => (c.chown.as_ref(), c.chmod.as_ref(), c.link),
        CommandKind::Add(a) => (a.chown.as_ref(), a.chmod.as_ref(), a.link),
        _ => return None,
    };
    let base = match pair.dest.as_str() {
        "." | "./" => "./".to_string(),
        dest => format!("{}/", dest.trim_end_matches('/')),
    };
    // A manifest's place under the destination is its path below the
    // COPY's source directory.
    let mut by_dir: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for file in files {
        let dir = parent(file);
        let below = if pair.source_root.is_empty() {
            dir
        } else if dir == pair.source_root {
            ""
        } else {
            dir.strip_prefix(pair.source_root.as_str())?
                .strip_prefix('/')?
        };
        by_dir.entry(below).or_default().push(file);
    }
    let mut out = Vec::new();
    for (dir, sources) in by_dir {
        let dest = if dir.is_empty() {
            base.clone()
        } else {
            format!("{base}{dir}/")
        };
        let text = format!("{head}{} {dest}", sources.join(" "));
        let (_, cmd) = parse_alone(&text, cx.src.escape, s)?;
        let CommandKind::Copy(Copy {
            paths,
            from: None,
            chown: new_chown,
            chmod: new_chmod,
            link: new_link,
            parents: false,
            excludes,
        }) = &cmd.kind
        else {
            return None;
        };
        let same_flags = new_chown.as_ref().map(|f| &f.value) == chown.map(|f| &f.value)
            && new_chmod.as_ref().map(|f| &f.value) == chmod.map(|f| &f.value)
            && *new_link == link
            && excludes.is_empty();
        if !same_flags
            || paths.dest != dest
            || paths.sources != sources
            || !paths.contents.is_empty()
        {
            return None;
        }
        out.push((text, cmd));
    }
    Some(out)
}

/// The first line of an instruction, without a continuation backslash.
pub(super) fn first_line(text: &str) -> &str {
    text.lines()
        .next()
        .unwrap_or(text)
        .trim_end_matches('\\')
        .trim_end()
}
