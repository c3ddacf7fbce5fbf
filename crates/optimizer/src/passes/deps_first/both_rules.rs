//! The conditions both rules share, checked before either moves anything:
//! what the RUN's environment makes its shell and runtime load, the programs
//! it runs, and the ownership of the working directory the COPY writes into.

use dfopt_dockerfile::instructions::CommandKind;

use crate::facts::{StageFacts, User};
use crate::work::Cx;

use super::loader_env;
use super::locations::is_within;
use super::pair::Pair;
use super::scan::Call;

/// The conditions both rules share, on the RUN's environment and programs
/// and on the working directory the COPY writes into.
pub(super) fn check(
    cx: &Cx,
    facts: &[StageFacts],
    s: usize,
    pair: &Pair,
    calls: &[Call],
) -> Result<(), &'static str> {
    let run_facts = &facts[s].before[pair.run];
    loader_env::check(&run_facts.env, &pair.dest_abs, calls)?;
    if run_facts.shell.as_deref().is_some_and(reads_startup_files) {
        return Err("the RUN's shell is a login or interactive shell, which reads start-up files of a home that may be in the copied tree");
    }
    if has_onbuild_triggers(cx, facts, s) {
        return Err("the stage runs ONBUILD triggers of its base, whose effects on the environment the pass does not follow");
    }
    if calls
        .iter()
        .any(|call| call.program.starts_with('/') && is_within(&call.program, &pair.dest_abs))
    {
        return Err("the RUN runs a program of the copied tree");
    }
    // The full COPY gives directories that exist below `<dir>` (the working
    // directory, made by WORKDIR) the owner and mode of the copy; the
    // manifest COPY leaves an existing directory as it is. The install
    // would then run in a directory owned by someone else.
    if pair.workdir_below_dest() {
        let flags = match &cx.work.ir.stages[s].commands[pair.copy].kind {
            CommandKind::Copy(copy) => copy.chown.is_some() || copy.chmod.is_some(),
            CommandKind::Add(add) => add.chown.is_some() || add.chmod.is_some(),
            _ => true,
        };
        if flags || run_facts.user != User::Root {
            return Err("the working directory is below the COPY's destination, and the COPY sets owners or modes or the RUN's user is not root");
        }
    }
    Ok(())
}

/// Whether the shell's options make it a login or interactive shell
/// (`bash --login -c`, `sh -lc`, `-i`, an rc file): it then sources
/// `~/.profile`, `~/.bashrc` or the file named before running the command.
fn reads_startup_files(shell: &[String]) -> bool {
    shell.iter().skip(1).any(|option| {
        matches!(
            option.as_str(),
            "--login" | "--interactive" | "--rcfile" | "--init-file"
        ) || (option.starts_with('-')
            && !option.starts_with("--")
            && option[1..].contains(['l', 'i']))
    })
}

/// Whether ONBUILD triggers run at the start of stage `s`: a parent stage
/// of this file (or one further up its chain) has ONBUILD instructions, or
/// the base image's config lists triggers. A trigger may set the
/// environment, the user or the working directory (`ONBUILD ENV
/// PIP_CONSTRAINT=/app/constraints.txt`), which the facts the pass reads
/// do not include.
fn has_onbuild_triggers(cx: &Cx, facts: &[StageFacts], s: usize) -> bool {
    let mut stage = s;
    // A chain of FROM stages is at most as long as the file has stages.
    for _ in 0..facts.len() {
        let Some(parent) = facts[stage].parent else {
            return cx
                .opts
                .images
                .get(&stage)
                .is_some_and(|image| !image.on_build.is_empty());
        };
        let onbuild = cx.work.ir.stages[parent]
            .commands
            .iter()
            .any(|cmd| matches!(cmd.kind, CommandKind::Onbuild(_)));
        if onbuild {
            return true;
        }
        stage = parent;
    }
    true
}
