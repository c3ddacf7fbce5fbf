//! The conditions both rules share, checked before either moves anything:
//! what the RUN's environment makes its shell and runtime load, the programs
//! it runs, and the ownership of the working directory the COPY writes into.

use dfopt_dockerfile::instructions::CommandKind;

use crate::facts::{CmdFacts, User};
use crate::work::Cx;

use super::loader_env;
use super::locations::is_within;
use super::pair::Pair;
use super::scan::Call;

/// The conditions both rules share, on the RUN's environment and programs
/// and on the working directory the COPY writes into.
pub(super) fn check(
    cx: &Cx,
    s: usize,
    pair: &Pair,
    calls: &[Call],
    run_facts: &CmdFacts,
) -> Result<(), &'static str> {
    loader_env::check(&run_facts.env, &pair.dest_abs, calls)?;
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
